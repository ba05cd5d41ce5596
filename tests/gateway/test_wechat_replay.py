"""A signed query string is good for one message: the signature covers only token, timestamp and nonce,
not the body, so whoever sees one request could otherwise send any message with it for five minutes."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from tests.gateway import db
from tests.gateway.wechat_platform import captured


def stored_for(app, openid: str) -> tuple[int, int]:
    """(transcript messages, deliveries) kept for this user."""
    return (
        len(db.messages(app, sender=openid)),
        db.scalar(app, "SELECT count(*) FROM wechat_deliveries WHERE openid = ?", openid),
    )


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "encrypted"])
def test_a_captured_query_with_another_message_is_refused(app, client, platform, upstream, safe):
    genuine = platform.post(client, platform.text("o-victim", "老板拖欠工资怎么办"), safe=safe)
    assert genuine.status == 200
    # the same signature, timestamp and nonce with a body of the attacker's: another openid, a new MsgId
    forged = platform.post(client, platform.text("o-attacker", "交通补贴"), **captured(genuine.query))
    assert forged.status == 403
    assert upstream.messages() == ["老板拖欠工资怎么办"]
    assert stored_for(app, "o-attacker") == (0, 0)


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "encrypted"])
def test_a_retry_with_the_same_query_and_body_gets_the_same_answer(client, platform, upstream, safe):
    """Should WeChat resend a push unchanged, query string included, it still gets its answer."""
    first = platform.post(client, platform.text("o-retry", "老板拖欠工资怎么办"), safe=safe)
    again = platform.resend(client, first)
    assert (again.status, again.content) == (200, first.content)
    assert len(upstream.calls) == 1


def test_two_messages_racing_on_one_query_only_one_gets_through(app, platform, upstream):
    query, start, replies = platform.query(), threading.Barrier(2), {}

    def deliver(openid):
        client = app.test_client()
        start.wait()
        replies[openid] = platform.send(client, query, platform.text(openid, "老板拖欠工资怎么办")).status

    threads = [threading.Thread(target=deliver, args=(openid,)) for openid in ("o-one", "o-two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(replies.values()) == [200, 403]
    assert len(upstream.calls) == 1
    refused = next(openid for openid, status in replies.items() if status == 403)
    assert stored_for(app, refused) == (0, 0)


def test_queries_older_than_the_window_are_forgotten(app, client, platform):
    old = int(time.time()) - 301  # would be refused as stale anyway
    with sqlite3.connect(app.config["TRANSCRIPTS_DB"]) as conn:
        conn.execute(
            "INSERT INTO wechat_queries (timestamp, nonce, fingerprint) VALUES (?, ?, ?)", [old, "n", "f"]
        )
    assert platform.post(client, platform.text("o-new", "工资")).status == 200
    assert db.scalar(app, "SELECT count(*) FROM wechat_queries WHERE timestamp = ?", old) == 0
    assert db.scalar(app, "SELECT count(*) FROM wechat_queries") == 1

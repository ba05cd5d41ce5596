"""Issue #13, items 1 and 2: a database that refuses writes never costs a worker his answer, never
leaves a connection stuck read-only, and loses no turn (the spool), against a stand-in Rasa."""

from __future__ import annotations

import json
import time

import pytest

from bot.gateway import transcripts
from tests.gateway import db
from tests.gateway.faults import own, read_only, unprivileged_folder, unprivileged_threads, write_lock_held

QUESTIONS = ["老板拖欠工资怎么办", "工资要不回来", "交通补贴怎么领", "工资拖了三个月"]


def answered(response, kb) -> bool:
    """The bot's own answer (not the gateway's apology) came back as JSON."""
    replies = response.get_json()
    return response.status_code == 200 and replies[0]["text"] in {
        kb.render("unpaid_wages"),
        kb.render("transport_subsidy"),
    }


def wait_until_spool_empty(app, seconds: float = 15.0) -> None:
    spool = app.extensions["transcripts"].spool
    deadline = time.monotonic() + seconds
    while spool.pending() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not spool.pending(), "the spool was not replayed"


def stored_questions(app, sender: str) -> list[str]:
    return [row["text"] for row in db.messages(app, sender=sender, direction="in")]


def test_a_write_protected_database_file_leaves_no_read_only_connection_behind(make_app, kb):
    """As a waitress thread lives: one thread, its connection opened while the file was read-only."""
    with unprivileged_folder() as folder:
        app = make_app(TRANSCRIPTS_DB=str(folder / "transcripts.db"))
        own(folder)
        client = app.test_client()
        client.get("/healthz")  # every module the request path needs is imported by now
        with unprivileged_threads() as thread:

            def post(text):
                return thread.submit(
                    client.post, "/api/messages", json={"sender": "ro", "message": text}
                ).result()

            with read_only(folder / "transcripts.db"):
                during = [post(text) for text in QUESTIONS[:2]]
                health = thread.submit(client.get, "/healthz").result()
            after = [post(text) for text in QUESTIONS[2:]]
            wait_until_spool_empty(app)
            assert thread.submit(client.get, "/healthz").result().get_json()["status"] == "ok"
        assert all(answered(response, kb) for response in during + after)
        assert (health.status_code, health.get_json()["status"]) == (200, "degraded")
        assert health.get_json()["transcripts"] == "down"
        assert stored_questions(app, "ro") == QUESTIONS  # the spooled ones first, in order
        answers = db.messages(app, sender="ro", direction="out")
        assert len(answers) == len(QUESTIONS) and answers[0]["text"] == kb.render("unpaid_wages")


def test_a_held_write_lock_costs_the_worker_at_most_the_short_wait_and_loses_nothing(app, client, kb):
    path = app.config["TRANSCRIPTS_DB"]
    with write_lock_held(path):
        started = time.monotonic()
        first = client.post("/api/messages", json={"sender": "locked", "message": QUESTIONS[0]})
        first_took = time.monotonic() - started
        started = time.monotonic()
        second = client.post("/api/messages", json={"sender": "locked", "message": QUESTIONS[1]})
        second_took = time.monotonic() - started
        health = client.get("/healthz").get_json()
        spooled = [
            json.loads(line) for line in app.extensions["transcripts"].spool.path.read_text().splitlines()
        ]
        released_at = transcripts.now()
    assert answered(first, kb) and answered(second, kb)
    assert first_took < transcripts.WRITE_WAIT_SECONDS + 1.5  # not the 10 s busy timeout of before
    assert second_took < 1.0  # while turns wait in the spool, new ones join them without waiting
    assert health["status"] == "degraded" and health["spooled_bytes"] > 0
    assert [entry["op"] for entry in spooled] == ["turn", "turn"]
    wait_until_spool_empty(app)
    rows = db.messages(app, sender="locked")
    assert [row["text"] for row in rows if row["direction"] == "in"] == QUESTIONS[:2]
    assert all(row["created_at"] < released_at for row in rows)  # the time of the turn, not of the replay
    assert rows[0]["faq_key"] == "faq/unpaid_wages" and rows[0]["latency_ms"] is not None
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_turns_left_in_the_spool_by_a_stopped_gateway_are_replayed_by_the_next_one(make_app, kb):
    app = make_app()
    with write_lock_held(app.config["TRANSCRIPTS_DB"]):
        app.extensions["transcripts"].replay_soon = lambda: None  # this gateway stops before it can replay
        assert answered(
            app.test_client().post("/api/messages", json={"sender": "left", "message": "工资"}), kb
        )
    assert app.extensions["transcripts"].spool.pending()
    restarted = make_app()
    wait_until_spool_empty(restarted)
    assert stored_questions(restarted, "left") == ["工资"]


def test_a_torn_spool_line_is_set_aside_and_the_others_replayed(app):
    store = app.extensions["transcripts"]
    question = {
        "channel": "web",
        "sender": "torn",
        "direction": "in",
        "text": "工资",
        "at": transcripts.now(),
    }
    store.spool.append("message", question)
    with store.spool.path.open("a", encoding="utf-8") as out:
        out.write('{"op": "message", "channel": "web", "sen')  # the process died while writing
    assert store.replay() == 1
    assert stored_questions(app, "torn") == ["工资"]
    assert not store.spool.pending()
    assert '"sen' in store.spool.path.with_name(store.spool.path.name + ".rejected").read_text()


def test_a_failed_request_drops_its_connection(app):
    """A database error in a request (a console page, the history) must not leave its connection in use."""
    store = app.extensions["transcripts"]
    with app.test_request_context():
        broken = transcripts.get_db()
        broken.conn.close()  # as a connection the disk failed under
        with pytest.raises(transcripts.sqlite3.ProgrammingError):
            transcripts.get_db().execute("SELECT 1")
        transcripts.close_db(transcripts.sqlite3.ProgrammingError("closed"))
        assert store.db() is not broken


# WeChat, the main channel: the same promise -----------------------------------------------------------


def test_a_wechat_user_is_answered_while_the_database_is_locked_and_his_retry_makes_no_second_turn(
    app, client, platform, upstream, kb
):
    xml = platform.text("o-locked", "老板拖欠工资怎么办", msg_id=777001)
    with write_lock_held(app.config["TRANSCRIPTS_DB"]):
        started = time.monotonic()
        first = platform.post(client, xml, safe=True)
        took = time.monotonic() - started
        retry = platform.post(client, xml, safe=True)  # WeChat's retry: a new signed query, same message
        follower = platform.post(client, platform.event("o-new", "subscribe"), safe=True)
    assert first.status == 200 and "0874-5125539" in first.content
    assert took < transcripts.WRITE_WAIT_SECONDS + 2.0  # well inside WeChat's 5 s
    assert retry.content == first.content and len(upstream.calls) == 1
    assert follower.status == 200 and follower.content.startswith(kb.render("greet")[:10])
    wait_until_spool_empty(app)
    turn = db.messages(app, msg_id="777001")
    assert [(m["direction"], m["text"][:6]) for m in turn][0] == ("in", "老板拖欠工资")
    assert len(turn) >= 2 and turn[1]["direction"] == "out"


def test_a_captured_wechat_query_is_refused_while_the_database_is_locked(app, client, platform, upstream):
    with write_lock_held(app.config["TRANSCRIPTS_DB"]):
        reply = platform.post(client, platform.text("o-a", "工资", msg_id=91))
        replayed = platform.send(client, reply.query, platform.text("o-b", "不算了", msg_id=92))
    assert reply.status == 200 and replayed.status == 403
    assert upstream.messages() == ["工资"]

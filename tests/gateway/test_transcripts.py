"""Transcripts: one SQLite file in WAL mode, every message stored, masked before it is written."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.gateway import transcripts
from tests.gateway import db


def test_the_file_is_in_wal_mode(app):
    assert db.scalar(app, "PRAGMA journal_mode") == "wal"


def test_every_turn_of_both_channels_is_stored(app, client, platform):
    client.post("/api/messages", json={"sender": "web-a", "message": "老板拖欠工资怎么办"})
    client.post("/api/messages", json={"sender": "web-a", "message": "交通补助多少"})
    platform.post(client, platform.text("o-a", "老板拖欠工资怎么办", msg_id=77))
    rows = db.messages(app)
    assert [(r["channel"], r["sender"], r["direction"]) for r in rows] == [
        ("web", "web-a", "in"),
        ("web", "web-a", "out"),
        ("web", "web-a", "in"),
        ("web", "web-a", "out"),
        ("wechat", "o-a", "in"),
        ("wechat", "o-a", "out"),
    ]
    assert [r["faq_key"] for r in rows if r["direction"] == "in"] == [
        "faq/unpaid_wages",
        "faq/transport_subsidy",
        "faq/unpaid_wages",
    ]
    assert rows[-1]["msg_id"] == "77" and rows[-2]["msg_id"] == "77"
    conversations = db.scalar(app, "SELECT group_concat(channel || ':' || message_count) FROM conversations")
    assert conversations == "web:4,wechat:2"


def test_personal_data_never_reaches_the_file(app, client, platform):
    secret = ["13912345678", "530326199001011234", "6222021234567890123"]
    client.post("/api/messages", json={"sender": "p", "message": f"我手机{secret[0]} 身份证{secret[1]}"})
    platform.post(client, platform.text("o-p", f"工资打到卡{secret[2]}里没收到，电话{secret[0]}"))
    files = list(Path(app.config["TRANSCRIPTS_DB"]).parent.glob("transcripts.db*"))
    assert files  # the database, and its write-ahead log while a connection is open
    for path in files:
        content = path.read_bytes()
        for number in secret:
            assert number.encode() not in content, f"{number} written to {path.name}"
    texts = [r["text"] for r in db.messages(app, direction="in")]
    assert texts == ["我手机[手机号] 身份证[身份证号]", "工资打到卡[银行卡号]里没收到，电话[手机号]"]


def test_bot_replies_are_masked_too(app):
    """A multi-question reply quotes the worker's words; the office phones in answers stay."""
    with transcripts.connect(app.config["TRANSCRIPTS_DB"]) as conn:
        transcripts.record(conn, "web", "q", "out", "【第1问】我电话13912345678\n请打0874-5125539")
    assert db.messages(app)[0]["text"] == "【第1问】我电话[手机号]\n请打0874-5125539"


def test_concurrent_writers_lose_nothing(app):
    path = app.config["TRANSCRIPTS_DB"]

    def write(n):
        with transcripts.connect(path) as conn:
            for i in range(10):
                transcripts.record(conn, "web", f"user-{n % 3}", "in", f"消息{n}-{i}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert db.scalar(app, "SELECT count(*) FROM messages") == 120
    assert db.scalar(app, "SELECT sum(message_count) FROM conversations") == 120
    assert db.scalar(app, "SELECT count(*) FROM conversations") == 3


def test_a_thread_keeps_its_connection_between_requests_but_never_a_transaction(app):
    with app.app_context():
        first = transcripts.get_db()
        assert transcripts.get_db() is first
        first.execute("BEGIN IMMEDIATE")  # a request that failed half-way through a write
    assert not first.conn.in_transaction  # rolled back at teardown
    with app.app_context():
        assert transcripts.get_db() is first  # no reconnect (and no WAL checkpoint) per request
        assert first.execute("SELECT 1").fetchone() == (1,)
    seen = []

    def other_thread():
        with app.app_context():
            seen.append(transcripts.get_db())

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen[0] is not first  # sqlite3 connections are not shared between threads


def test_unknown_direction_or_column_is_refused(app):
    with transcripts.connect(app.config["TRANSCRIPTS_DB"]) as conn:
        with pytest.raises(ValueError):
            transcripts.record(conn, "web", "x", "sideways", "hi")
        with pytest.raises(TypeError):
            transcripts.record(conn, "web", "x", "in", "hi", mood="happy")
    assert db.scalar(app, "SELECT count(*) FROM messages") == 0


def test_an_answer_is_stored_in_one_transaction(app):
    """What Rasa understood and all its replies are written together: all or nothing."""
    with transcripts.connect(app.config["TRANSCRIPTS_DB"]) as conn:
        asked = transcripts.record(conn, "web", "a", "in", "老板拖欠工资怎么办")
        replies = [
            {"text": "先协商", "buttons": []},
            {"text": "再打12333", "buttons": [{"title": "仲裁", "payload": "/x"}]},
        ]
        transcripts.record_answer(
            conn, asked, "web", "a", replies, intent="faq", confidence=0.98, actions=["a1"]
        )
        with pytest.raises(TypeError):  # a bad column in the middle: nothing of this answer is kept
            transcripts.record_answer(conn, asked, "web", "a", replies, intent="greet", mood="happy")
    rows = db.messages(app)
    assert [(r["direction"], r["text"]) for r in rows] == [
        ("in", "老板拖欠工资怎么办"),
        ("out", "先协商"),
        ("out", "再打12333"),
    ]
    assert rows[0]["intent"] == "faq" and rows[0]["confidence"] == 0.98
    assert db.scalar(app, "SELECT message_count FROM conversations WHERE sender = 'a'") == 3

"""The transcripts database's schema (bot/gateway/schema.py): numbered steps and PRAGMA user_version.

A new file gets every table at the current version; a file made before versions existed (issue #16) is
adopted without losing a row; a second upgrade changes nothing; a file from a newer release is refused;
`flask --app bot init-db` does it from the command line; gateways starting at once run each step once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlite_utils
from werkzeug.security import generate_password_hash

from bot.gateway import create_app, schema, settings, transcripts
from bot.gateway.admin import auth
from bot.gateway.wechat import state as wechat_state
from tests.gateway.admin.conftest import login
from tests.gateway.admin.pages import inbox_ids

CURRENT = 2  # bump with every step added to schema.STEPS, and add what the step makes to the facts below

TABLES = {
    "health",
    "conversations",
    "messages",
    "callbacks",
    "admin_users",
    "admin_sessions",
    "admin_login_failures",
    "admin_reviews",
    "admin_tags",
    "admin_notes",
    "admin_corrections",
    "admin_handoffs",
    "admin_audit",
    "wechat_deliveries",
    "wechat_users",
    "wechat_queries",
}
SEARCH_TABLES = {
    "messages_fts",
    "messages_fts_config",
    "messages_fts_data",
    "messages_fts_docsize",
    "messages_fts_idx",
}
INDEXES = {
    "idx_conversations_channel_sender",
    "idx_messages_conversation_id_id",
    "idx_messages_channel_msg_id",
    "admin_users_username",
    "idx_admin_sessions_user_id",
    "idx_admin_tags_tag",
    "idx_admin_notes_conversation_id",
    "idx_admin_corrections_message_id",
    "idx_admin_corrections_conversation_id",
    "idx_admin_handoffs_conversation_id",
    "idx_admin_audit_conversation_id",
    "idx_wechat_deliveries_created_at",
}
TRIGGERS = {"messages_ai", "messages_ad", "messages_au"}
MESSAGE_COLUMNS = [
    "id",
    "conversation_id",
    "channel",
    "sender",
    "direction",
    "text",
    "buttons",
    "intent",
    "confidence",
    "faq_key",
    "actions",
    "latency_ms",
    "error",
    "msg_id",
    "created_at",
    "payload",
    "feedback",
    "staff",
    "checks",  # step 2 (#17)
]
LATER_COLUMNS = ("payload", "feedback", "staff")
PASSWORD = "zhuanyi-jiuye-2024"


# -- a file exactly as the code before #16 made it (frozen: do not "fix" it when the schema changes) --


def make_database_like_before_16(path: Path, *, later_columns: bool = True) -> None:
    """The transcripts file as the gateway made it before schema versions, with rows in it.

    A copy of that code: transcripts.init, then admin/schema.init (create_tables, enable_search), then
    wechat/state.init, all with sqlite-utils' create(if_not_exists=True); user_version stays 0.
    `later_columns=False` leaves out what transcripts.LATER_COLUMNS added after the first release
    (messages.payload, .feedback, .staff): a file of that release.
    """
    db = sqlite_utils.Database(path)
    db.enable_wal()
    # transcripts.init
    db["health"].create({"id": int, "at": str}, pk="id", if_not_exists=True)
    db["conversations"].create(
        {"id": int, "channel": str, "sender": str, "started_at": str, "last_at": str, "message_count": int},
        pk="id",
        not_null={"channel", "sender", "started_at", "last_at"},
        if_not_exists=True,
    )
    db["conversations"].create_index(["channel", "sender"], unique=True, if_not_exists=True)
    db["messages"].create(
        {
            "id": int,
            "conversation_id": int,
            "channel": str,
            "sender": str,
            "direction": str,
            "text": str,
            "buttons": str,
            "intent": str,
            "confidence": float,
            "faq_key": str,
            "actions": str,
            "latency_ms": int,
            "error": str,
            "msg_id": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("conversation_id", "conversations", "id")],
        not_null={"conversation_id", "channel", "sender", "direction", "text", "created_at"},
        if_not_exists=True,
    )
    db["messages"].create_index(["conversation_id", "id"], if_not_exists=True)
    db["messages"].create_index(["channel", "msg_id"], if_not_exists=True)
    if later_columns:
        for column in LATER_COLUMNS:
            if column not in db["messages"].columns_dict:
                db["messages"].add_column(column, str)
    db["callbacks"].create(
        {"id": int, "conversation_id": int, "phone": str, "created_at": str},
        pk="id",
        foreign_keys=[("conversation_id", "conversations", "id")],
        not_null={"conversation_id", "phone", "created_at"},
        if_not_exists=True,
    )
    # admin/schema.create_tables
    db["admin_users"].create(
        {
            "id": int,
            "username": str,
            "password_hash": str,
            "active": int,
            "created_at": str,
            "last_login_at": str,
        },
        pk="id",
        not_null={"username", "password_hash", "active", "created_at"},
        defaults={"active": 1},
        if_not_exists=True,
    )
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS admin_users_username ON admin_users (username COLLATE NOCASE)"
    )
    db["admin_sessions"].create(
        {"id": str, "user_id": int, "started_at": float},
        pk="id",
        not_null={"user_id", "started_at"},
        foreign_keys=[("user_id", "admin_users", "id")],
        if_not_exists=True,
    )
    db["admin_sessions"].create_index(["user_id"], if_not_exists=True)
    db["admin_login_failures"].create(
        {"key": str, "failures": int, "last_failed_at": float, "locked_until": float},
        pk="key",
        not_null={"failures", "last_failed_at", "locked_until"},
        if_not_exists=True,
    )
    db["admin_reviews"].create(
        {"conversation_id": int, "staff": str, "reviewed_at": str},
        pk="conversation_id",
        not_null={"staff", "reviewed_at"},
        if_not_exists=True,
    )
    db["admin_tags"].create(
        {"conversation_id": int, "tag": str, "staff": str, "added_at": str},
        pk=("conversation_id", "tag"),
        not_null={"staff", "added_at"},
        if_not_exists=True,
    )
    db["admin_tags"].create_index(["tag"], if_not_exists=True)
    db["admin_notes"].create(
        {"id": int, "conversation_id": int, "body": str, "staff": str, "created_at": str},
        pk="id",
        not_null={"conversation_id", "body", "staff", "created_at"},
        if_not_exists=True,
    )
    db["admin_notes"].create_index(["conversation_id"], if_not_exists=True)
    db["admin_corrections"].create(
        {
            "id": int,
            "message_id": int,
            "conversation_id": int,
            "text": str,
            "predicted_intent": str,
            "predicted_faq_key": str,
            "predicted_confidence": float,
            "intent": str,
            "staff": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"message_id", "conversation_id", "text", "intent", "staff", "created_at", "updated_at"},
        if_not_exists=True,
    )
    db["admin_corrections"].create_index(["message_id"], unique=True, if_not_exists=True)
    db["admin_corrections"].create_index(["conversation_id"], if_not_exists=True)
    db["admin_handoffs"].create(
        {
            "id": int,
            "conversation_id": int,
            "upto_message_id": int,
            "staff": str,
            "handled_at": str,
            "note": str,
        },
        pk="id",
        not_null={"conversation_id", "upto_message_id", "staff", "handled_at"},
        if_not_exists=True,
    )
    db["admin_handoffs"].create_index(["conversation_id"], if_not_exists=True)
    db["admin_audit"].create(
        {
            "id": int,
            "at": str,
            "staff": str,
            "action": str,
            "conversation_id": int,
            "message_id": int,
            "detail": str,
        },
        pk="id",
        not_null={"at", "staff", "action"},
        if_not_exists=True,
    )
    db["admin_audit"].create_index(["conversation_id"], if_not_exists=True)
    # admin/schema.enable_search
    db["messages"].enable_fts(["text"], tokenize="trigram", create_triggers=True, replace=True)
    # wechat/state.init
    db["wechat_deliveries"].create(
        {"account": str, "msg_id": str, "openid": str, "reply": str, "answer": str, "created_at": str},
        pk=("account", "msg_id"),
        not_null={"account", "msg_id", "openid", "created_at"},
        if_not_exists=True,
    )
    db["wechat_deliveries"].create_index(["created_at"], if_not_exists=True)
    db["wechat_users"].create(
        {
            "account": str,
            "openid": str,
            "payloads": str,
            "parts": str,
            "pending_msg_id": str,
            "pending_since": str,
            "updated_at": str,
        },
        pk=("account", "openid"),
        if_not_exists=True,
    )
    db["wechat_queries"].create(
        {"timestamp": int, "nonce": str, "fingerprint": str},
        pk=("timestamp", "nonce"),
        not_null={"timestamp", "nonce", "fingerprint"},
        if_not_exists=True,
    )
    _write_rows(db, later_columns=later_columns)
    db.close()


def _write_rows(db: sqlite_utils.Database, *, later_columns: bool) -> None:
    """A web conversation (a question, the bot's answer with a button, a staff reply), a number to call
    back, an account with a session, a tag and a note, and a WeChat user with a delivery and a query."""
    at = "2026-03-02T08:00:00.000+00:00"
    db.execute(
        "INSERT INTO conversations (id, channel, sender, started_at, last_at, message_count)"
        " VALUES (1, 'web', 'w-old', ?, ?, 3)",
        [at, at],
    )
    later = {"payload": None, "feedback": None, "staff": None}
    messages = [
        {
            "direction": "in",
            "text": "老板欠工资想去仲裁怎么弄",
            "intent": "faq",
            "confidence": 0.93,
            "faq_key": "faq/unpaid_wages",
            "actions": '["action_answer_faq"]',
            "latency_ms": 310,
            **later,
            "payload": "/faq",
        },
        {
            "direction": "out",
            "text": "先找老板协商，不行就打12333。",
            "buttons": '[{"title": "仲裁期限", "payload": "/check_arbitration_deadline"}]',
            **later,
            "feedback": "down",
        },
        {"direction": "out", "text": "明天上午回电", **later, "staff": "amei"},
    ]
    for message in messages:
        if not later_columns:
            message = {k: v for k, v in message.items() if k not in LATER_COLUMNS}
        row = {"conversation_id": 1, "channel": "web", "sender": "w-old", "created_at": at, **message}
        db.execute(
            f"INSERT INTO messages ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
    db.execute(
        "INSERT INTO callbacks (conversation_id, phone, created_at) VALUES (1, '13912345678', ?)", [at]
    )
    db.execute(
        "INSERT INTO admin_users (id, username, password_hash, created_at) VALUES (1, 'amei', ?, ?)",
        [generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"), at],
    )
    db.execute("INSERT INTO admin_sessions (id, user_id, started_at) VALUES ('digest', 1, 1772438400.0)")
    db.execute(
        "INSERT INTO admin_tags (conversation_id, tag, staff, added_at) VALUES (1, '工资', 'amei', ?)", [at]
    )
    db.execute(
        "INSERT INTO admin_notes (conversation_id, body, staff, created_at) VALUES (1, '已回电', 'amei', ?)",
        [at],
    )
    db.execute(
        "INSERT INTO wechat_users (account, openid, payloads, parts, updated_at)"
        " VALUES ('gh_1', 'o-old', '[\"/greet\", \"/faq\"]', '[\"第二段\"]', ?)",
        [at],
    )
    db.execute(
        "INSERT INTO wechat_deliveries (account, msg_id, openid, reply, created_at)"
        " VALUES ('gh_1', 'm-1', 'o-old', '<xml/>', ?)",
        [at],
    )
    db.execute("INSERT INTO wechat_queries (timestamp, nonce, fingerprint) VALUES (1772438400, 'n', 'f')")


# -- reading a file's facts with plain sqlite3 --------------------------------------------------------


def user_version(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def names(path: Path, kind: str) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%'", [kind]
        )
        return {row[0] for row in rows}


def columns(path: Path, table: str) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def structure(path: Path) -> dict:
    """What the schema means, whatever the DDL's wording: per table its columns (name, type, not null,
    default, primary key) and foreign keys, per index its table, uniqueness and columns, the triggers."""
    facts = {}
    with contextlib.closing(sqlite3.connect(path)) as conn:
        objects = conn.execute(
            "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchall()
        for kind, name, table in objects:
            if kind == "table":
                facts[name] = (
                    [row[1:] for row in conn.execute(f"PRAGMA table_xinfo('{name}')")],
                    [row[2:5] for row in conn.execute(f"PRAGMA foreign_key_list('{name}')")],
                )
            elif kind == "index":
                unique = {row[1]: row[2] for row in conn.execute(f"PRAGMA index_list('{table}')")}
                keys = [row[2:6] for row in conn.execute(f"PRAGMA index_xinfo('{name}')") if row[5]]
                facts[name] = (table, unique[name], keys)
            else:
                facts[name] = (kind, table)
    return facts


def all_rows(path: Path) -> dict[str, list[tuple]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in sorted(TABLES)
        }


def build(path: Path, tmp_path: Path):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-only",
            "TRANSCRIPTS_DB": str(path),
            "RASA_URL": "http://127.0.0.1:9",
            "ACTIONS_URL": "http://127.0.0.1:9",
        },
        instance_path=tmp_path / "instance",
    )


# -- (a) a new file ---------------------------------------------------------------------------------


def test_a_new_file_gets_every_table_at_the_current_version(tmp_path):
    path = tmp_path / "sub" / "new.db"
    done = transcripts.init(path)
    assert schema.current() == CURRENT
    assert (done.before, done.after, done.applied) == (0, CURRENT, (1, 2))
    assert user_version(path) == CURRENT
    assert names(path, "table") == TABLES | SEARCH_TABLES
    assert names(path, "index") == INDEXES
    assert names(path, "trigger") == TRIGGERS
    assert columns(path, "messages") == MESSAGE_COLUMNS
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_new_schema_is_the_one_the_code_before_16_made(tmp_path, monkeypatch):
    """Step 1: same tables, columns (types, NOT NULL, defaults, keys), foreign keys, indexes and triggers."""
    monkeypatch.setattr(schema, "STEPS", schema.STEPS[:1])
    transcripts.init(tmp_path / "new.db")
    make_database_like_before_16(tmp_path / "before.db")
    assert structure(tmp_path / "new.db") == structure(tmp_path / "before.db")


def test_what_the_new_schema_enforces(tmp_path):
    path = tmp_path / "t.db"
    transcripts.init(path)
    with contextlib.closing(transcripts.connect(path)) as db:
        transcripts.record(db, "web", "w", "in", "你好")
        with pytest.raises(sqlite3.IntegrityError):  # one conversation per (channel, sender)
            db.execute(
                "INSERT INTO conversations (channel, sender, started_at, last_at) VALUES ('web', 'w', 1, 1)"
            )
        with pytest.raises(sqlite3.IntegrityError):  # foreign keys are checked
            db.execute(
                "INSERT INTO messages (conversation_id, channel, sender, direction, text, created_at)"
                " VALUES (99, 'web', 'w', 'in', 'x', 'now')"
            )
        add_user = "INSERT INTO admin_users (username, password_hash, created_at) VALUES (?, 'h', 'now')"
        db.execute(add_user, ["Amei"])
        with pytest.raises(sqlite3.IntegrityError):  # usernames are unique whatever their case
            db.execute(add_user, ["amei"])
        assert db.execute("SELECT active FROM admin_users").fetchone() == (1,)
        # the search index is filled by the triggers: a substring inside Chinese text without spaces
        transcripts.record(db, "web", "w", "in", "老板欠工资想去仲裁")
        hits = db.execute("SELECT rowid FROM messages_fts WHERE messages_fts MATCH '\"欠工资\"'").fetchall()
        assert len(hits) == 1


# -- (b) a file made before versions ----------------------------------------------------------------


@pytest.mark.parametrize("later_columns", [True, False], ids=["as-before-16", "first-release"])
def test_a_file_made_before_versions_is_adopted_with_all_its_rows(tmp_path, later_columns):
    path = tmp_path / "transcripts.db"
    make_database_like_before_16(path, later_columns=later_columns)
    assert user_version(path) == 0
    rows = all_rows(path)
    assert bool(set(columns(path, "messages")) & set(LATER_COLUMNS)) is later_columns

    done = transcripts.init(path)

    assert (done.before, done.after, done.applied) == (0, CURRENT, (1, 2))
    assert user_version(path) == CURRENT
    assert columns(path, "messages") == MESSAGE_COLUMNS
    transcripts.init(tmp_path / "new.db")
    assert structure(path) == structure(tmp_path / "new.db")
    after = all_rows(path)
    # the added columns are empty in the old rows (step 2's checks in all of them), everything else as it was
    added = (None, None, None, None) if not later_columns else (None,)
    rows["messages"] = [row + added for row in rows["messages"]]
    assert after == rows
    assert len(after["messages"]) == 3 and len(after["admin_users"]) == 1 and len(after["wechat_users"]) == 1
    with contextlib.closing(transcripts.connect(path)) as db:
        history = transcripts.history(db, "web", "w-old")
        assert [m["text"] for m in history] == [
            "老板欠工资想去仲裁怎么弄",
            "先找老板协商，不行就打12333。",
            "明天上午回电",
        ]
        assert history[1]["buttons"] == [{"title": "仲裁期限", "payload": "/check_arbitration_deadline"}]
        if later_columns:
            assert [m["feedback"] for m in history] == [None, "down", None]
            assert [m["staff"] for m in history] == [False, False, True]
        assert auth.find_user(db, "AMEI")["username"] == "amei"
        wechat = wechat_state.user(db, "gh_1", "o-old")
        assert (wechat.payloads, wechat.parts) == (["/greet", "/faq"], ["第二段"])
        assert wechat_state.reply_of(db, "gh_1", "m-1") == "<xml/>"
        # the old rows are in the search index, and new ones join them
        transcripts.record(db, "web", "w-old", "in", "工伤认定要多久")
        for word, found in (("想去仲裁", 1), ("工伤认定", 1), ("不存在的词", 0)):
            query = f"SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '\"{word}\"'"
            assert db.execute(query).fetchone()[0] == found, word
        # and the columns that came later take writes
        reply = transcripts.record(db, "web", "w-old", "out", "好的", staff="amei")
        assert transcripts.set_feedback(db, "web", "w-old", reply, "up")


def test_the_console_started_on_an_old_file_shows_its_conversation_to_its_account(tmp_path):
    path = tmp_path / "transcripts.db"
    make_database_like_before_16(path)
    app = build(path, tmp_path)
    assert user_version(path) == CURRENT and app.extensions["admin"]["fts"] is True
    client = app.test_client()
    assert login(client, "amei", PASSWORD).status_code == 302
    page = client.get("/admin/conversations/1")
    assert page.status_code == 200
    assert "老板欠工资想去仲裁怎么弄" in page.text and "明天上午回电" in page.text
    assert inbox_ids(client.get("/admin/", query_string={"q": "想去仲裁"}).text) == [1]


def test_a_file_with_a_foreign_table_of_our_name_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO messages (body) VALUES ('theirs')")
        conn.commit()
    with pytest.raises(schema.SchemaError, match=r"table messages .* lacks the columns \['conversation_id'"):
        transcripts.init(path)
    assert user_version(path) == 0
    assert names(path, "table") == {"messages"}  # the step was rolled back whole
    assert columns(path, "messages") == ["id", "body"]


# -- (c) idempotent ---------------------------------------------------------------------------------


def test_upgrading_twice_changes_nothing(tmp_path):
    path = tmp_path / "transcripts.db"
    make_database_like_before_16(path)
    transcripts.init(path)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        ddl = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    rows = all_rows(path)
    with contextlib.closing(transcripts.connect(path)) as db:
        changes = db.conn.total_changes
        again = schema.upgrade(db)
        assert db.conn.total_changes == changes
    assert (again.before, again.after, again.applied) == (CURRENT, CURRENT, ())
    assert transcripts.init(path).applied == ()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall() == ddl
    assert all_rows(path) == rows and user_version(path) == CURRENT


def test_building_the_app_twice_on_one_file_runs_the_steps_once(tmp_path):
    path = tmp_path / "transcripts.db"
    build(path, tmp_path)
    with contextlib.closing(transcripts.connect(path)) as db:
        transcripts.record(db, "web", "w", "in", "你好")
    build(path, tmp_path)  # a restart, or a second worker process
    assert user_version(path) == CURRENT
    assert transcripts.init(path).applied == ()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT text FROM messages").fetchall() == [("你好",)]


# -- (d) newer than the code ------------------------------------------------------------------------


def test_a_file_from_a_newer_release_is_refused(tmp_path):
    path = tmp_path / "transcripts.db"
    transcripts.init(path)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {CURRENT + 1}")
    message = (
        rf"{path} has schema version {CURRENT + 1}, but this code knows versions up to {CURRENT}: a newer"
        r" release has upgraded it.* never downgrades"
    )
    with pytest.raises(schema.TooNew, match=message):
        transcripts.init(path)
    with pytest.raises(schema.TooNew, match=message):  # the gateway does not start on it
        build(path, tmp_path)
    assert user_version(path) == CURRENT + 1  # nothing was downgraded


def test_an_empty_file_of_a_newer_release_gets_no_tables(tmp_path):
    path = tmp_path / "empty.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA user_version = 7")
    with pytest.raises(schema.TooNew, match="schema version 7"):
        transcripts.init(path)
    assert names(path, "table") == set() and user_version(path) == 7


# -- (e) flask --app bot init-db --------------------------------------------------------------------


def test_init_db_creates_the_file_and_prints_the_version(tmp_path):
    path = tmp_path / "var" / "transcripts.db"
    app = build(path, tmp_path)
    shutil.rmtree(path.parent)  # the command itself has to make the folder, the file and the tables
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert result.output == f"transcripts: {path}: schema version {CURRENT} (was version 0)\n"
    assert path.is_file() and user_version(path) == CURRENT
    assert names(path, "table") == TABLES | SEARCH_TABLES
    again = runner.invoke(args=["init-db"])
    assert again.exit_code == 0 and again.output.endswith(f"schema version {CURRENT} (already current)\n")


def test_init_db_upgrades_a_file_made_before_versions(tmp_path):
    path = tmp_path / "transcripts.db"
    app = build(path, tmp_path)
    path.unlink()
    make_database_like_before_16(path, later_columns=False)
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and "schema version 2 (was version 0)" in result.output
    assert columns(path, "messages") == MESSAGE_COLUMNS
    assert all_rows(path)["admin_users"][0][1] == "amei"


def test_init_db_refuses_a_newer_file_with_the_reason(tmp_path):
    path = tmp_path / "transcripts.db"
    app = build(path, tmp_path)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {CURRENT + 1}")
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 1
    assert f"has schema version {CURRENT + 1}, but this code knows versions up to {CURRENT}" in result.output
    assert user_version(path) == CURRENT + 1


def test_the_flask_app_bot_entry_point_has_init_db(tmp_path, monkeypatch):
    """`flask --app bot init-db`: bot.create_app, the factory flask finds, registers the command."""
    from flask.cli import ScriptInfo

    from bot.gateway import settings

    monkeypatch.setattr(settings, "INSTANCE", tmp_path / "instance")
    monkeypatch.setenv("TRANSCRIPTS_DB", str(tmp_path / "t.db"))
    app = ScriptInfo(app_import_path="bot").load_app()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and f"schema version {CURRENT}" in result.output


FLASK_INIT_DB = """
import sys
from pathlib import Path

from bot import paths

paths.VAR = Path(sys.argv[1])  # before the gateway's settings are read: the repository's var/ stays untouched
from flask.cli import main

sys.argv = ["flask", "--app", "bot", "init-db"]
main()
"""


def flask_init_db(tmp_path: Path, path: Path) -> subprocess.CompletedProcess:
    """`flask --app bot init-db` in its own process, as an operator runs it."""
    environment = {k: v for k, v in os.environ.items() if k not in settings.ENVIRONMENT_KEYS}
    return subprocess.run(
        [sys.executable, "-c", FLASK_INIT_DB, str(tmp_path / "var")],
        cwd=settings.paths.REPO,
        env={**environment, "TRANSCRIPTS_DB": str(path)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_flask_command_upgrades_an_old_file_and_refuses_a_newer_one(tmp_path):
    path = tmp_path / "transcripts.db"
    make_database_like_before_16(path, later_columns=False)
    done = flask_init_db(tmp_path, path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"transcripts: {path}: schema version {CURRENT} (was version 0)\n"
    assert columns(path, "messages") == MESSAGE_COLUMNS
    again = flask_init_db(tmp_path, path)
    assert again.stdout == f"transcripts: {path}: schema version {CURRENT} (already current)\n"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {CURRENT + 1}")
    refused = flask_init_db(tmp_path, path)
    assert refused.returncode != 0 and refused.stdout == ""
    assert (
        f"{path} has schema version {CURRENT + 1}, but this code knows versions up to {CURRENT}"
        in refused.stderr
    )


# -- (f) several starters at once -------------------------------------------------------------------


def _count_step_runs(monkeypatch, pause: float = 0.2) -> list[int]:
    """Replace the steps by the same steps that count their runs and hold the lock a moment longer."""
    runs: list[int] = []
    real = schema.STEPS

    def counted(number, step):
        def run(conn):
            runs.append(number)
            step(conn)
            threading.Event().wait(pause)  # the other starter is waiting for the lock meanwhile

        return run

    monkeypatch.setattr(schema, "STEPS", tuple(counted(n, step) for n, step in enumerate(real, 1)))
    return runs


def _at_once(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(n):
        try:
            results[n] = work(barrier)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_threads_upgrading_one_new_file_at_once_both_succeed_and_run_step_1_once(tmp_path, monkeypatch):
    path = tmp_path / "new.db"
    runs = _count_step_runs(monkeypatch)

    def upgrade(barrier):
        with contextlib.closing(transcripts.connect(path, create=True)) as db:
            barrier.wait()
            return schema.upgrade(db)

    results = _at_once(2, upgrade)
    assert all(isinstance(result, schema.Upgrade) for result in results), results
    assert runs == [1, 2]
    assert sorted(result.applied for result in results) == [(), (1, 2)]
    assert {result.after for result in results} == {CURRENT}
    assert user_version(path) == CURRENT and names(path, "table") == TABLES | SEARCH_TABLES


def test_gateways_starting_at_once_on_a_missing_file_all_start(tmp_path, monkeypatch):
    """transcripts.init as create_app runs it: making the file, switching it to WAL, upgrading."""
    path = tmp_path / "var" / "transcripts.db"
    runs = _count_step_runs(monkeypatch, pause=0.05)

    def start(barrier):
        barrier.wait()
        return transcripts.init(path)

    results = _at_once(4, start)
    assert all(isinstance(result, schema.Upgrade) for result in results), results
    assert runs == [1, 2] and sum(len(result.applied) for result in results) == 2
    assert user_version(path) == CURRENT
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_old_file_adopted_by_two_starters_keeps_its_rows(tmp_path, monkeypatch):
    path = tmp_path / "transcripts.db"
    make_database_like_before_16(path, later_columns=False)
    rows = all_rows(path)
    runs = _count_step_runs(monkeypatch)

    def start(barrier):
        barrier.wait()
        return transcripts.init(path)

    results = _at_once(2, start)
    assert all(isinstance(result, schema.Upgrade) for result in results), results
    assert runs == [1, 2]
    assert all_rows(path)["messages"] == [row + (None, None, None, None) for row in rows["messages"]]


# -- the mechanism for the next steps --------------------------------------------------------------


def test_a_later_step_runs_on_a_current_file_and_only_there(tmp_path, monkeypatch):
    path = tmp_path / "transcripts.db"
    transcripts.init(path)

    def step_next(conn):
        conn.execute("ALTER TABLE messages ADD COLUMN language TEXT")

    monkeypatch.setattr(schema, "STEPS", (*schema.STEPS, step_next))
    done = transcripts.init(path)
    assert (done.before, done.after, done.applied) == (CURRENT, CURRENT + 1, (CURRENT + 1,))
    assert columns(path, "messages") == [*MESSAGE_COLUMNS, "language"]
    assert transcripts.init(path).applied == ()
    newer = tmp_path / "new.db"
    assert transcripts.init(newer).applied == (1, 2, 3)  # a new file gets every step in order


def test_a_failing_step_leaves_the_file_at_the_step_before(tmp_path, monkeypatch):
    path = tmp_path / "transcripts.db"
    transcripts.init(path)

    def broken_step_2(conn):
        conn.execute("CREATE TABLE half_done (id INTEGER)")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(schema, "STEPS", (*schema.STEPS, broken_step_2))
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        transcripts.init(path)
    assert user_version(path) == CURRENT
    assert "half_done" not in names(path, "table")
    with contextlib.closing(transcripts.connect(path)) as db:
        assert not db.conn.in_transaction
        transcripts.record(db, "web", "w", "in", "still writable")  # the gateway's writes go on

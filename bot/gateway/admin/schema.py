"""The console's own tables, next to the transcripts in the same SQLite file, and the search index.

Every table is prefixed `admin_` so it can never collide with the gateway's. The full-text index over
`messages.text` is an FTS5 table with the `trigram` tokenizer (SQLite ≥ 3.34): Chinese has no spaces
between words, and trigrams find any substring of three characters or more. Shorter queries and older
SQLite builds fall back to LIKE (see search.py).
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import sqlite_utils

from bot.gateway import transcripts

FTS_TABLE = "messages_fts"
TRIGRAM_MIN_SQLITE = (3, 34, 0)
# columns of `messages` that newer chat pages fill (a tapped button's payload, the worker's 👎) and older
# transcript files lack: the console reads them only where they exist
OPTIONAL_COLUMNS = ("payload", "feedback")


def trigram_available() -> bool:
    return sqlite3.sqlite_version_info >= TRIGRAM_MIN_SQLITE


def init(path: str | Path) -> bool:
    """Create the console's tables and the search index if missing; True when the index is usable."""
    transcripts.init(path)  # the tables we read must exist first (idempotent)
    with contextlib.closing(transcripts.connect(path)) as db:
        with transcripts.writing(db):
            create_tables(db)
        return enable_search(db)


def create_tables(db: sqlite_utils.Database) -> None:
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
    # usernames are unique whatever their case: "Amei" and "amei" are one person
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS admin_users_username ON admin_users (username COLLATE NOCASE)"
    )
    # one row per login; the cookie only names it, so deleting the row (logout, new password) ends the
    # session even for a copy of the cookie. The id is stored as a digest: the file alone opens no session.
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
            "text": str,  # the (masked) user text at the time of the correction
            "predicted_intent": str,
            "predicted_faq_key": str,
            "predicted_confidence": float,
            "intent": str,  # the right one, as written in nlu_data: "faq/unpaid_wages", "human_handoff"
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
    # one row per "handled" click: the conversation leaves the queue up to that message, and comes back
    # when the worker asks again later
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


def message_columns(db: sqlite_utils.Database) -> frozenset[str]:
    """Which of OPTIONAL_COLUMNS messages has. Asked each time (one PRAGMA): the gateway that adds them
    may be started after the console's process."""
    names = {row[1] for row in db.execute("PRAGMA table_info(messages)").fetchall()}
    return frozenset(names & set(OPTIONAL_COLUMNS))


def optional_columns_sql(db: sqlite_utils.Database, alias: str = "m") -> str:
    """`m.payload, m.feedback` for a SELECT, NULL for those missing."""
    have = message_columns(db)
    return ", ".join(f"{alias}.{name}" if name in have else f"NULL AS {name}" for name in OPTIONAL_COLUMNS)


def enable_search(db: sqlite_utils.Database) -> bool:
    """The trigram index over messages.text, kept current by triggers; idempotent and safe to race."""
    if not trigram_available():
        return False
    try:
        # replace=True returns at once when the index already exists with this configuration
        db["messages"].enable_fts(["text"], tokenize="trigram", create_triggers=True, replace=True)
    except sqlite3.OperationalError:
        # another worker created it between our check and our CREATE: fine if it is there now
        if not db[FTS_TABLE].exists():
            raise
    return True


def rebuild_search(db: sqlite_utils.Database) -> None:
    """Re-fill the index from the messages (after a restore, or if the schema changed under it)."""
    db["messages"].enable_fts(["text"], tokenize="trigram", create_triggers=True, replace=True)
    db["messages"].rebuild_fts()

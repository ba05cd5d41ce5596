"""Transcripts: every message of both channels, one SQLite file in WAL mode, written with sqlite-utils.

`record` is the only way in, and it masks the text itself, so nothing personal is ever written
(the bot's replies are masked too: a multi-question reply quotes the worker's own words).
Each request gets its own connection on Flask's `g`; background threads open their own with `connect`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import click
import sqlite_utils
from flask import Flask, current_app, g
from flask.cli import with_appcontext

from bot.gateway import pii

DIRECTIONS = ("in", "out")
TURN_COLUMNS = ("intent", "confidence", "faq_key", "actions", "latency_ms", "error")


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def connect(path: str | Path) -> sqlite_utils.Database:
    # autocommit connection: transactions are explicit (BEGIN IMMEDIATE below, sqlite-utils' atomic())
    conn = sqlite3.connect(str(path), timeout=10, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")  # the WSGI server writes from several threads at once
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, one fsync per checkpoint
    return sqlite_utils.Database(conn, execute_plugins=False)


@contextlib.contextmanager
def writing(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes the write lock up front, so concurrent writers queue on the busy
    timeout instead of failing when a read snapshot has to be upgraded."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()


def init(path: str | Path) -> None:
    """Create the file and tables if missing; switch the file to WAL (it stays so)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(connect(path)) as db:
        db.enable_wal()
        db["conversations"].create(
            {
                "id": int,
                "channel": str,
                "sender": str,
                "started_at": str,
                "last_at": str,
                "message_count": int,
            },
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


def record(db: sqlite_utils.Database, *args: object, **kwargs: object) -> int:
    """Store one message (masked) and bump its conversation, in its own transaction; returns the message
    id. Arguments as `_insert`: channel, sender, direction, text, then buttons=, msg_id= and turn columns."""
    with writing(db):
        return _insert(db, *args, **kwargs)


def record_answer(
    db: sqlite_utils.Database,
    message_id: int,
    channel: str,
    sender: str,
    replies: list[dict],
    *,
    msg_id: str | None = None,
    **turn,
) -> None:
    """After Rasa answered: what it understood goes onto the stored question, and its replies are stored,
    in one transaction (one commit per turn instead of one per row)."""
    with writing(db):
        _update(db, message_id, turn)
        for reply in replies:
            _insert(
                db,
                channel,
                sender,
                "out",
                reply["text"],
                buttons=reply["buttons"],
                msg_id=msg_id,
                error=turn.get("error"),
            )


def update_turn(db: sqlite_utils.Database, message_id: int, **turn) -> None:
    """Add what Rasa understood (intent, confidence, faq_key, actions, latency, error) to a stored message."""
    with writing(db):
        _update(db, message_id, turn)


def _insert(
    db: sqlite_utils.Database,
    channel: str,
    sender: str,
    direction: str,
    text: str,
    *,
    buttons: list[dict] | None = None,
    msg_id: str | None = None,
    **turn,
) -> int:
    # plain SQL: sqlite-utils' insert() commits on its own, which would split the caller's transaction
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    at = now()
    row = {
        "channel": channel,
        "sender": sender,
        "direction": direction,
        "text": pii.mask(text or ""),
        "buttons": json.dumps(buttons or [], ensure_ascii=False),
        "msg_id": msg_id,
        "created_at": at,
        **_turn_columns(turn),
    }
    row["conversation_id"] = _touch_conversation(db, channel, sender, at)
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    return db.execute(f"INSERT INTO messages ({columns}) VALUES ({marks})", list(row.values())).lastrowid


def _update(db: sqlite_utils.Database, message_id: int, turn: dict) -> None:
    columns = _turn_columns(turn)
    if columns:
        assignments = ", ".join(f"{name} = ?" for name in columns)
        db.execute(f"UPDATE messages SET {assignments} WHERE id = ?", [*columns.values(), message_id])


def _turn_columns(turn: dict) -> dict:
    unknown = set(turn) - set(TURN_COLUMNS)
    if unknown:
        raise TypeError(f"unknown transcript columns: {sorted(unknown)}")
    columns = dict(turn)
    if "actions" in columns:
        columns["actions"] = json.dumps(columns["actions"] or [], ensure_ascii=False)
    return columns


def _touch_conversation(db: sqlite_utils.Database, channel: str, sender: str, at: str) -> int:
    cursor = db.execute(
        "INSERT INTO conversations (channel, sender, started_at, last_at, message_count)"
        " VALUES (?, ?, ?, ?, 1)"
        " ON CONFLICT (channel, sender) DO UPDATE"
        " SET last_at = excluded.last_at, message_count = message_count + 1"
        " RETURNING id",
        [channel, sender, at, at],
    )
    return cursor.fetchone()[0]


def history(db: sqlite_utils.Database, channel: str, sender: str, limit: int = 100) -> list[dict]:
    """The latest messages of one conversation, oldest first, as the chat page shows them."""
    rows = db.execute(
        "SELECT m.direction, m.text, m.buttons, m.created_at FROM messages m"
        " JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.channel = ? AND c.sender = ? ORDER BY m.id DESC LIMIT ?",
        [channel, sender, limit],
    ).fetchall()
    return [
        {"direction": direction, "text": text, "buttons": json.loads(buttons or "[]"), "at": at}
        for direction, text, buttons, at in reversed(rows)
    ]


# -- Flask ---------------------------------------------------------------------------------------


def get_db() -> sqlite_utils.Database:
    """This thread's connection, opened on first use and kept for the thread's next requests.

    Closing the last connection to a WAL database checkpoints and removes the WAL file: done after every
    request, that cost the chat API 8 ms per message (py-spy, `make bench`). The connections belong to
    the app, so they go with it.
    """
    if "transcripts" not in g:
        local = current_app.extensions["transcripts"]
        if getattr(local, "db", None) is None:
            local.db = connect(current_app.config["TRANSCRIPTS_DB"])
        g.transcripts = local.db
    return g.transcripts


def close_db(exception: BaseException | None = None) -> None:
    """End of a request: the connection stays open, but never inside a transaction."""
    db = g.pop("transcripts", None)
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the transcripts database (the gateway also does it on start)."""
    init(current_app.config["TRANSCRIPTS_DB"])
    click.echo(f"transcripts: {current_app.config['TRANSCRIPTS_DB']}")


def init_app(app: Flask) -> None:
    init(app.config["TRANSCRIPTS_DB"])
    app.extensions["transcripts"] = threading.local()
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)

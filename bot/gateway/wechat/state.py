"""What the WeChat side remembers between messages, kept in the transcripts database.

`wechat_deliveries`: one row per (account, MsgId). Its primary key is what makes a turn run once when
WeChat delivers the same message again (also from another worker process); the row keeps the reply
that was given, so every copy gets the same one, and the answer when it came after the holding message.
`wechat_users`: per user, the payloads of the last reply's buttons ("1" → payload), the parts of a long
answer not sent yet ("更多"), and the turn whose answer is still owed after a holding message.
`wechat_queries`: the signed query strings (timestamp, nonce) of the last five minutes, each with the
message it came with, so a captured signature cannot carry another message.
The tables are made by bot/gateway/schema.py, with every other table of the file.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field

import sqlite_utils

from bot.gateway import schema, transcripts
from bot.gateway.wechat.adapter import MAX_AGE_SECONDS
from bot.gateway.wechat.text import Answer

KEEP_DELIVERIES = dt.timedelta(days=2)  # WeChat's retries come within seconds; this is ample


@dataclass
class UserState:
    payloads: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    pending_msg_id: str | None = None
    pending_since: str | None = None


def init(db: sqlite_utils.Database) -> None:
    """The tables above exist at the current schema (bot/gateway/schema.py makes them; idempotent)."""
    schema.upgrade(db)


def claim(db: sqlite_utils.Database, account: str, msg_id: str, openid: str) -> bool:
    """True for the first delivery of this message (the caller runs the turn), False for a copy."""
    now = dt.datetime.now(dt.timezone.utc)
    with transcripts.writing(db):
        db.execute(
            "DELETE FROM wechat_deliveries WHERE created_at < ?",
            [(now - KEEP_DELIVERIES).isoformat(timespec="milliseconds")],
        )
        cursor = db.execute(
            "INSERT INTO wechat_deliveries (account, msg_id, openid, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            [account, msg_id, openid, now.isoformat(timespec="milliseconds")],
        )
        return cursor.rowcount == 1


def claim_query(db: sqlite_utils.Database, timestamp: int, nonce: str, fingerprint: str) -> bool:
    """False when this signed query string already came with another message: a replay.

    The same message again, byte for byte, is let through: should WeChat retry with the same query string,
    the MsgId dedupe gives the retry the first reply. Queries older than the timestamp window are forgotten:
    they are refused as stale anyway.
    """
    with transcripts.writing(db):
        db.execute("DELETE FROM wechat_queries WHERE timestamp < ?", [int(time.time()) - MAX_AGE_SECONDS])
        db.execute(
            "INSERT INTO wechat_queries (timestamp, nonce, fingerprint) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [timestamp, nonce, fingerprint],
        )
        (first,) = db.execute(
            "SELECT fingerprint FROM wechat_queries WHERE timestamp = ? AND nonce = ?", [timestamp, nonce]
        ).fetchone()
    return first == fingerprint


def decide(db: sqlite_utils.Database, account: str, msg_id: str, reply: str) -> None:
    """Record the reply given to this message; copies that arrive later get the same."""
    db.execute(
        "UPDATE wechat_deliveries SET reply = ? WHERE account = ? AND msg_id = ?", [reply, account, msg_id]
    )


def reply_of(db: sqlite_utils.Database, account: str, msg_id: str) -> str | None:
    row = db.execute(
        "SELECT reply FROM wechat_deliveries WHERE account = ? AND msg_id = ?", [account, msg_id]
    ).fetchone()
    return row[0] if row else None


def store_answer(db: sqlite_utils.Database, account: str, msg_id: str, answer: Answer) -> None:
    db.execute(
        "UPDATE wechat_deliveries SET answer = ? WHERE account = ? AND msg_id = ?",
        [json.dumps({"text": answer.text, "payloads": answer.payloads}, ensure_ascii=False), account, msg_id],
    )


def answer_of(db: sqlite_utils.Database, account: str, msg_id: str) -> Answer | None:
    row = db.execute(
        "SELECT answer FROM wechat_deliveries WHERE account = ? AND msg_id = ?", [account, msg_id]
    ).fetchone()
    if not row or row[0] is None:
        return None
    stored = json.loads(row[0])
    return Answer(stored["text"], stored["payloads"])


def user(db: sqlite_utils.Database, account: str, openid: str) -> UserState:
    row = db.execute(
        "SELECT payloads, parts, pending_msg_id, pending_since FROM wechat_users"
        " WHERE account = ? AND openid = ?",
        [account, openid],
    ).fetchone()
    if row is None:
        return UserState()
    payloads, parts, pending_msg_id, pending_since = row
    return UserState(json.loads(payloads or "[]"), json.loads(parts or "[]"), pending_msg_id, pending_since)


def save_user(db: sqlite_utils.Database, account: str, openid: str, **changes) -> None:
    """Upsert the given fields (payloads, parts, pending_msg_id, pending_since) of one user."""
    row = {"account": account, "openid": openid, "updated_at": transcripts.now()}
    for name, value in changes.items():
        row[name] = json.dumps(value, ensure_ascii=False) if name in ("payloads", "parts") else value
    with transcripts.writing(db):
        db["wechat_users"].upsert(row, pk=("account", "openid"))

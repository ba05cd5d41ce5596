"""What staff do to a conversation: review, tags, notes, corrections, handoffs handled.

Each function is one transaction that also writes the audit log, so nothing happens unrecorded.
Notes are masked like the transcripts: a phone or ID number typed into a note is not kept either.
"""

from __future__ import annotations

import re

import sqlite_utils

from bot.gateway import pii, transcripts
from bot.gateway.admin import audit, clock
from bot.plugins import graphemes

TAG = re.compile(r"^[\w\-·]{1,20}$")  # \w includes Chinese; no spaces or commas
MAX_NOTE = 2000


class Refused(ValueError):
    """The request cannot be done as asked (shown to the staff member as it is)."""


def set_reviewed(db: sqlite_utils.Database, staff: str, conversation_id: int, reviewed: bool) -> None:
    with transcripts.writing(db):
        if reviewed:
            db["admin_reviews"].upsert(
                {"conversation_id": conversation_id, "staff": staff, "reviewed_at": clock.now_iso()},
                pk="conversation_id",
            )
        else:
            db.execute("DELETE FROM admin_reviews WHERE conversation_id = ?", [conversation_id])
        audit.log(db, staff, "review" if reviewed else "unreview", conversation_id=conversation_id)


def add_tag(db: sqlite_utils.Database, staff: str, conversation_id: int, tag: str) -> None:
    tag = tag.strip()
    if not TAG.match(tag):
        raise Refused("标签为 1–20 个汉字、字母、数字或 - _，不含空格和逗号")
    with transcripts.writing(db):
        db["admin_tags"].insert(
            {"conversation_id": conversation_id, "tag": tag, "staff": staff, "added_at": clock.now_iso()},
            ignore=True,
        )
        audit.log(db, staff, "tag_add", conversation_id=conversation_id, tag=tag)


def remove_tag(db: sqlite_utils.Database, staff: str, conversation_id: int, tag: str) -> None:
    with transcripts.writing(db):
        db.execute("DELETE FROM admin_tags WHERE conversation_id = ? AND tag = ?", [conversation_id, tag])
        audit.log(db, staff, "tag_remove", conversation_id=conversation_id, tag=tag)


def add_note(db: sqlite_utils.Database, staff: str, conversation_id: int, body: str) -> None:
    body = pii.mask(body.strip())
    if not body:
        raise Refused("备注是空的")
    if len(body) > MAX_NOTE:
        raise Refused(f"备注最多 {MAX_NOTE} 字")
    with transcripts.writing(db):
        note_id = (
            db["admin_notes"]
            .insert(
                {
                    "conversation_id": conversation_id,
                    "body": body,
                    "staff": staff,
                    "created_at": clock.now_iso(),
                }
            )
            .last_pk
        )
        audit.log(db, staff, "note_add", conversation_id=conversation_id, note_id=note_id)


def correct(db: sqlite_utils.Database, staff: str, message: dict, intent: str) -> None:
    """Store the right intent (or "faq/<key>") of a user turn; a second correction replaces the first."""
    if message["direction"] != "in":
        raise Refused("只能更正用户说的话")
    if not message["text"].strip():
        raise Refused("这条消息没有文字，不能作为训练数据")
    at = clock.now_iso()
    with transcripts.writing(db):
        db.execute(
            "INSERT INTO admin_corrections (message_id, conversation_id, text, predicted_intent,"
            " predicted_faq_key, predicted_confidence, intent, staff, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (message_id) DO UPDATE SET intent = excluded.intent, staff = excluded.staff,"
            " updated_at = excluded.updated_at",
            [
                message["id"],
                message["conversation_id"],
                message["text"],
                message.get("intent"),
                message.get("faq_key"),
                message.get("confidence"),
                intent,
                staff,
                at,
                at,
            ],
        )
        audit.log(
            db,
            staff,
            "correct",
            conversation_id=message["conversation_id"],
            message_id=message["id"],
            predicted=message.get("faq_key") or message.get("intent"),
            intent=intent,
        )


def delete_correction(db: sqlite_utils.Database, staff: str, message: dict) -> None:
    with transcripts.writing(db):
        db.execute("DELETE FROM admin_corrections WHERE message_id = ?", [message["id"]])
        audit.log(
            db,
            staff,
            "correction_delete",
            conversation_id=message["conversation_id"],
            message_id=message["id"],
        )


def mark_handled(
    db: sqlite_utils.Database, staff: str, conversation_id: int, upto_message_id: int, note: str = ""
) -> None:
    """Take the conversation out of the queue up to `upto_message_id` (what the staff member saw)."""
    note = graphemes.cut(pii.mask(note.strip()), 500)
    with transcripts.writing(db):
        db["admin_handoffs"].insert(
            {
                "conversation_id": conversation_id,
                "upto_message_id": upto_message_id,
                "staff": staff,
                "handled_at": clock.now_iso(),
                "note": note or None,
            }
        )
        audit.log(
            db, staff, "handoff_handled", conversation_id=conversation_id, upto_message_id=upto_message_id
        )


def log_action(db: sqlite_utils.Database, staff: str, action: str, **detail) -> None:
    with transcripts.writing(db):
        audit.log(db, staff, action, **detail)

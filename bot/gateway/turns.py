"""One turn of a conversation, whatever the channel: store the message, ask Rasa, store the replies.

The incoming message is stored before Rasa is asked, so it is kept even when Rasa fails or the process
dies mid-turn. The text is masked before it goes to Rasa too: its tracker store keeps the text as well.
Senders are namespaced per channel in Rasa ("web:…", "wechat:…"), so a web visitor can never write into
a WeChat user's conversation by guessing an openid.
"""

from __future__ import annotations

import sqlite_utils

from bot.gateway import pii, transcripts
from bot.gateway.rasa_client import RasaClient, Turn
from policy_kb import kb as policy


def ask(
    db: sqlite_utils.Database,
    rasa: RasaClient,
    channel: str,
    sender: str,
    text: object,
    *,
    budget: float,
    msg_id: str | None = None,
) -> list[dict]:
    """The bot's replies to one message ([{"text", "buttons"}], never empty); both sides are stored."""
    masked = pii.mask(text if isinstance(text, str) else "")
    message_id = transcripts.record(db, channel, sender, "in", masked, msg_id=msg_id)
    turn = rasa.ask(f"{channel}:{sender}", masked, budget)
    replies = turn.replies or failure_replies()
    transcripts.record_answer(db, message_id, channel, sender, replies, msg_id=msg_id, **_turn_columns(turn))
    return replies


def answer_locally(
    db: sqlite_utils.Database,
    channel: str,
    sender: str,
    text: str,
    reply: str,
    *,
    action: str,
    msg_id: str | None = None,
) -> list[dict]:
    """A turn the gateway answers itself (unreadable request, a picture, "更多"…): stored like any other."""
    note_incoming(db, channel, sender, text, action=action, msg_id=msg_id)
    transcripts.record(db, channel, sender, "out", reply, msg_id=msg_id, actions=[action])
    return [{"text": reply, "buttons": []}]


def note_incoming(
    db: sqlite_utils.Database, channel: str, sender: str, text: str, *, action: str, msg_id: str | None = None
) -> int:
    """Store a user message the gateway handles without Rasa; `action` says what it did with it."""
    return transcripts.record(db, channel, sender, "in", text, msg_id=msg_id, actions=[action])


def failure_replies() -> list[dict]:
    """Rasa down, slow or broken: the worker still gets the phones to call, from policy_kb."""
    return [{"text": policy.get().render("error"), "buttons": []}]


def _turn_columns(turn: Turn) -> dict:
    info = turn.info
    return {
        "intent": info.get("intent"),
        "confidence": info.get("confidence"),
        "faq_key": info.get("faq_key"),
        "actions": info.get("actions") or [],
        "latency_ms": turn.latency_ms,
        "error": turn.error,
    }

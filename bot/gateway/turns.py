"""One turn of a conversation, whatever the channel: store the message, ask Rasa, store the replies.

The incoming message is stored before Rasa is asked, so it is kept even when Rasa fails or the process
dies mid-turn. When the database cannot take it, the worker is answered all the same and the whole turn
goes to the spool (transcripts.Store). The text is masked before it goes to Rasa too: its tracker store
keeps the text as well. Senders are namespaced per channel in Rasa ("web:…", "wechat:…"), so a web
visitor can never write into a WeChat user's conversation by guessing an openid.
"""

from __future__ import annotations

from bot.gateway import pii, transcripts
from bot.gateway.rasa_client import RasaClient, Turn
from policy_kb import kb as policy

HANDOFF_INTENT = "human_handoff"  # the worker asked for a person: the page offers to take his number


def ask(
    store: transcripts.Store,
    rasa: RasaClient,
    channel: str,
    sender: str,
    text: object,
    *,
    budget: float,
    msg_id: str | None = None,
    shown: str | None = None,
) -> list[dict]:
    """The bot's replies to one message ([{"text", "buttons", "id", "handoff"}], never empty); both
    sides are stored. `shown`: the title of the button whose payload `text` is, stored as the text."""
    masked = pii.mask(text if isinstance(text, str) else "")
    question = {"channel": channel, "sender": sender, "direction": "in", "text": masked, "msg_id": msg_id}
    if shown:
        question.update(text=pii.mask(shown), payload=masked)
    question["at"] = transcripts.now()
    stored, message_id = store.write_now("message", **question)
    turn = rasa.ask(f"{channel}:{sender}", masked, budget)
    replies = turn.replies or failure_replies()
    answer = {"replies": replies, "msg_id": msg_id, "at": transcripts.now(), **_turn_columns(turn)}
    ids = None
    if stored:
        ids = store.write("answer", message_id=message_id, channel=channel, sender=sender, **answer)
    else:
        store.keep("turn", question=question, answer=answer)
    handoff = turn.info.get("intent") == HANDOFF_INTENT
    return [
        {**reply, "id": reply_id, "handoff": handoff and n == len(replies) - 1}
        for n, (reply, reply_id) in enumerate(zip(replies, ids or [None] * len(replies), strict=True))
    ]


def answer_locally(
    store: transcripts.Store,
    channel: str,
    sender: str,
    text: str,
    reply: str,
    *,
    action: str,
    msg_id: str | None = None,
) -> list[dict]:
    """A turn the gateway answers itself (unreadable request, a picture, "更多"…): stored like any other."""
    note_incoming(store, channel, sender, text, action=action, msg_id=msg_id)
    say(store, channel, sender, reply, action=action, msg_id=msg_id)
    return [{"text": reply, "buttons": []}]


def note_incoming(
    store: transcripts.Store, channel: str, sender: str, text: str, *, action: str, msg_id: str | None = None
) -> None:
    """Store a user message the gateway handles without Rasa; `action` says what it did with it."""
    _message(store, channel, sender, "in", text, action=action, msg_id=msg_id)


def say(
    store: transcripts.Store,
    channel: str,
    sender: str,
    reply: str,
    *,
    action: str,
    msg_id: str | None = None,
    buttons: list[dict] | None = None,
) -> None:
    """Store one of the gateway's own replies."""
    _message(store, channel, sender, "out", reply, action=action, msg_id=msg_id, buttons=buttons)


def _message(store, channel, sender, direction, text, *, action, msg_id, buttons=None) -> None:
    store.write(
        "message",
        channel=channel,
        sender=sender,
        direction=direction,
        text=text,
        buttons=buttons,
        msg_id=msg_id,
        actions=[action],
        at=transcripts.now(),
    )


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
        "checks": info.get("checks"),  # the warning signs of a job-ad check (#17), else None
    }

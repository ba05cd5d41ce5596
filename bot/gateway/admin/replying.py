"""Staff write back (issue #14, item 6): a reply into the worker's own chat from the transcript or the
handoff page, and the number a web worker left for a call back (shown here only, unmasked).

The delivery itself is bot/gateway/staff_reply.py (web: the page polls; WeChat: a customer-service
message within 48 hours). Every reply is audited.
"""

from __future__ import annotations

from flask import flash, request

from bot.gateway import staff_reply
from bot.gateway.admin import clock, review
from bot.gateway.admin.views import ROW_ID, _back, _conversation_or_404, bp, db, staff


def panel(conversation: dict) -> dict:
    """What the reply box shows: can a reply reach the worker now, until when, and his call-back numbers."""
    closes = None
    if conversation["channel"] == "wechat":
        closes = staff_reply.wechat_window(staff_reply.last_from_user(db(), conversation["id"]))
    numbers = [
        {"phone": phone, "at": clock.local(at)}
        for phone, at in db().execute(
            "SELECT phone, created_at FROM callbacks WHERE conversation_id = ? ORDER BY id DESC",
            [conversation["id"]],
        )
    ]
    return {
        "channel": conversation["channel"],
        "open": conversation["channel"] == "web" or closes is not None,
        "closes": clock.local(closes.isoformat()) if closes else None,
        "callbacks": numbers,
    }


@bp.post(f"/conversations/<{ROW_ID}:conversation_id>/reply")
def reply(conversation_id: int):
    conversation = _conversation_or_404(conversation_id)
    result = staff_reply.send(db(), conversation, request.form.get("body", ""), staff())
    if result.sent:
        review.log_action(db(), staff(), "staff_reply", conversation_id=conversation_id)
    flash(result.why, "message" if result.sent else "error")
    return _back(conversation_id, "reply")


def callbacks_of(conversation_id: int) -> list[str]:
    """The numbers a worker left, newest first: the one place they are shown unmasked."""
    rows = db().execute(
        "SELECT phone FROM callbacks WHERE conversation_id = ? ORDER BY id DESC", [conversation_id]
    )
    return [phone for (phone,) in rows]


@bp.context_processor
def helpers() -> dict:
    return {"reply_panel": panel, "callbacks_of": callbacks_of}

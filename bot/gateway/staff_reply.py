"""A helpdesk reply into a worker's conversation (issue #14, item 6), whatever his channel.

- web: the reply is stored as a bot-side message with the staff member's name; the chat page polls its
  history (GET /api/history?after=…) and shows it labelled 工作人员;
- WeChat: a customer-service message (客服消息), which WeChat allows only within 48 hours of the user's
  last message to the account; after that the console says the window has closed and sends nothing.
Either way the reply is in the transcript (masked like every other message).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app

from bot.gateway import transcripts

logger = logging.getLogger(__name__)

WECHAT_WINDOW = dt.timedelta(hours=48)
MAX_REPLY = 1000


@dataclass(frozen=True)
class Result:
    sent: bool
    why: str  # shown to staff: what happened, in Chinese


def wechat_window(last_from_user: str | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """When WeChat's 48-hour window for customer-service messages closes, or None if it has closed."""
    if not last_from_user:
        return None
    closes = dt.datetime.fromisoformat(last_from_user) + WECHAT_WINDOW
    return closes if closes > (now or dt.datetime.now(dt.timezone.utc)) else None


def last_from_user(db, conversation_id: int) -> str | None:
    row = db.execute(
        "SELECT max(created_at) FROM messages WHERE conversation_id = ? AND direction = 'in'",
        [conversation_id],
    ).fetchone()
    return row[0] if row else None


def send(db, conversation: dict, text: str, staff: str) -> Result:
    """Deliver `text` to the worker of `conversation` (a row of `conversations`) and store it."""
    text = text.strip()
    if not text:
        return Result(False, "回复是空的，没有发送。")
    if len(text) > MAX_REPLY:
        return Result(False, f"回复太长（{len(text)} 字），请控制在 {MAX_REPLY} 字以内。")
    channel, sender = conversation["channel"], conversation["sender"]
    if channel == "wechat":
        if wechat_window(last_from_user(db, conversation["id"])) is None:
            return Result(False, "这位用户最后一次发消息已超过48小时，微信不允许再发客服消息。请打电话联系。")
        service = current_app.extensions.get("wechat")
        if service is None or not service.adapter.can_push:
            return Result(False, "没有配置 WECHAT_APPID 和 WECHAT_APPSECRET，不能发微信客服消息。")
        try:
            service.adapter.push_text(sender, text)
        except Exception:  # noqa: BLE001 - WeChat's API refused or is unreachable: staff must know
            logger.exception("customer-service message to a WeChat user failed")
            return Result(False, "微信没有接受这条客服消息（可能网络或接口出错），请稍后再试或打电话。")
    transcripts.record(db, channel, sender, "out", text, staff=staff, actions=["staff_reply"])
    return Result(True, "已发送，用户在聊天里能看到。" if channel == "web" else "已作为微信客服消息发出。")

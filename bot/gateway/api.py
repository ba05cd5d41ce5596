"""The chat API for the web page: Rasa's REST JSON in and out, the stored history, and /healthz.

The chat page's conversation id comes from the server, in an HttpOnly, SameSite=Lax cookie ("page-…",
random): the page never sees it, another site cannot send it, and `/api/history` serves only the
cookie's conversation. Integrations keep posting `{"sender", "message"}`, but a page conversation's id
is refused from anyone who does not hold its cookie (a stranger's "不算了" cancels nobody's
calculation). Both endpoints are rate-limited per conversation and per address (bot/gateway/ratelimit.py).
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from bot.gateway import ratelimit, transcripts, turns
from bot.gateway.rasa_client import RasaClient
from bot.plugins import graphemes
from policy_kb import kb as policy
from policy_kb import navigation as topics  # the greeting menu, as data

bp = Blueprint("api", __name__)

CHANNEL = "web"
MAX_SENDER = 128  # the same cap as our Rasa REST channel
MAX_STORED_BODY = 2000  # an unreadable request is kept for the record, but not at any length
HISTORY_LIMIT = 200
COOKIE = "huize_chat"
COOKIE_MAX_AGE = 365 * 24 * 3600  # the page keeps its conversation (and history) for a year
PAGE_PREFIX = "page-"
_PAGE_ID = re.compile(r"^page-[A-Za-z0-9_-]{24}$")
# (config key, what it limits): message and history requests per conversation, per address
LIMITS = {
    "messages": ("CHAT_RATE_CONVERSATION", "CHAT_RATE_ADDRESS"),
    "history": ("HISTORY_RATE_CONVERSATION", "HISTORY_RATE_ADDRESS"),
}


def rasa() -> RasaClient:
    return current_app.extensions["rasa"]


@bp.post("/api/messages")
def post_message():
    """{"sender", "message"} → [{"text", "buttons"}]; an unreadable request still gets a polite reply."""
    if not request.is_json:
        # text/plain, form posts: what another site can send without a preflight; nothing is stored or asked
        return jsonify([{"text": policy.get().render("bad_input"), "buttons": []}]), 415
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # JSON nested thousands deep
        body = None
    if not isinstance(body, dict):
        raw = graphemes.cut(request.get_data(as_text=True), MAX_STORED_BODY)
        replies = turns.answer_locally(
            transcripts.store(),
            CHANNEL,
            _anonymous(),
            raw,
            policy.get().render("bad_input"),
            action="gateway_bad_request",
        )
        return jsonify(replies)
    cookie = page_conversation()
    sender = _sender(_whole(body.get("sender")), default="")
    if sender.startswith(PAGE_PREFIX) and sender != cookie:
        current_app.logger.warning("a page conversation's id was posted without its cookie; refused")
        return _local_reply("not_your_conversation", 403)
    fresh = not sender and not cookie
    sender = sender or cookie or new_page_conversation()
    wait = _throttled("messages", sender)
    if wait:
        return _local_reply("too_fast", 429, {"Retry-After": ratelimit.retry_after(wait)})
    budget = current_app.config["WEB_BUDGET_SECONDS"]
    message = _whole(body.get("message"))
    shown = _title(body.get("title"), message)
    replies = turns.ask(transcripts.store(), rasa(), CHANNEL, sender, message, budget=budget, shown=shown)
    response = jsonify(replies)
    return give_cookie(response, sender) if fresh else response


def page_conversation() -> str | None:
    """The conversation id in this browser's cookie, when it is one the server could have issued."""
    value = request.cookies.get(COOKIE, "")
    return value if _PAGE_ID.match(value) else None


def new_page_conversation() -> str:
    return PAGE_PREFIX + secrets.token_urlsafe(18)


def give_cookie(response: Response, conversation: str) -> Response:
    response.set_cookie(
        COOKIE,
        conversation,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        path="/",
    )
    return response


def _throttled(kind: str, conversation: str) -> float:
    """Seconds to wait when this request is over a limit (nothing taken from the other then), else 0."""
    per_conversation, per_address = current_app.extensions["ratelimit"][kind]
    return per_conversation.take(conversation) or per_address.take(request.remote_addr or "?")


def _local_reply(answer: str, status: int, headers: dict | None = None):
    """A refusal in the chat API's own shape; nothing is stored and nothing goes to Rasa."""
    return jsonify([{"text": policy.get().render(answer), "buttons": []}]), status, headers or {}


def _whole(value: object) -> object:
    """A lone surrogate ("\\ud800" in the JSON) cannot be stored or sent on: it becomes U+FFFD."""
    return graphemes.whole(value) if isinstance(value, str) else value


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge):
    """A body over MAX_CONTENT_LENGTH (a pasted document): a polite reply too; only the fact is kept."""
    replies = turns.answer_locally(
        transcripts.store(),
        CHANNEL,
        _anonymous(),
        "[内容过长，未保存]",
        policy.get().render("too_long"),
        action="gateway_too_large",
    )
    return jsonify(replies)


@bp.get("/api/history")
def history():
    """The stored messages (masked) of this browser's own conversation, the cookie's, for the chat page
    to redraw it; nothing without the cookie. A `sender` parameter is ignored: it opened any history."""
    conversation = page_conversation()
    if not conversation:
        return jsonify({"messages": []})
    wait = _throttled("history", conversation)
    if wait:
        return (
            jsonify({"messages": [], "error": "too many requests"}),
            429,
            {"Retry-After": ratelimit.retry_after(wait)},
        )
    after = request.args.get("after", "0")
    after = int(after) if after.isdigit() and len(after) < 19 else 0  # newer than this id: the page polls
    return jsonify(
        {"messages": transcripts.history(transcripts.get_db(), CHANNEL, conversation, HISTORY_LIMIT, after)}
    )


@bp.get("/api/welcome")
def welcome():
    """The greeting and the topic menu for a new page conversation, stored as the bot's first message:
    the page no longer sends a "你好" the worker never typed (it showed, and opened every transcript)."""
    conversation = page_conversation()
    fresh = conversation is None
    conversation = conversation or new_page_conversation()
    wait = _throttled("history", conversation)
    if wait:
        return jsonify([]), 429, {"Retry-After": ratelimit.retry_after(wait)}
    text, buttons = policy.get().render("greet"), topics.menu_buttons()
    message_id = transcripts.store().write(
        "message",
        channel=CHANNEL,
        sender=conversation,
        direction="out",
        text=text,
        buttons=buttons,
        actions=["gateway_welcome"],
        at=transcripts.now(),
    )
    response = jsonify([{"text": text, "buttons": buttons, "id": message_id, "handoff": False}])
    return give_cookie(response, conversation) if fresh else response


@bp.post("/api/feedback")
def feedback():
    """{"id": a bot message of the cookie's conversation, "value": "up" | "down" | null} → {"ok"}."""
    body = request.get_json(silent=True) if request.is_json else None
    conversation = page_conversation()
    if not isinstance(body, dict) or not conversation:
        return jsonify({"ok": False, "error": "a JSON body and the page's cookie are needed"}), 400
    message_id, value = body.get("id"), body.get("value")
    if not isinstance(message_id, int) or isinstance(message_id, bool) or value not in FEEDBACK:
        return jsonify({"ok": False, "error": 'id is a number, value "up", "down" or null'}), 400
    if _throttled("history", conversation):
        return jsonify({"ok": False, "error": "too many requests"}), 429
    if not 0 < message_id < 2**63 or not transcripts.set_feedback(
        transcripts.get_db(), CHANNEL, conversation, message_id, value
    ):
        return jsonify({"ok": False, "error": "no such answer in this conversation"}), 404
    return jsonify({"ok": True})


@bp.post("/api/callback")
def callback():
    """{"phone"}: a worker who asked for a person leaves a number; staff see it on the handoff page."""
    body = request.get_json(silent=True) if request.is_json else None
    conversation = page_conversation()
    phone = _phone(body.get("phone")) if isinstance(body, dict) else None
    if not conversation:
        return jsonify({"ok": False, "error": "the page's cookie is needed"}), 400
    if _throttled("messages", conversation):
        return jsonify({"ok": False, "error": "too many requests"}), 429
    if phone is None:
        return jsonify({"ok": False, "error": policy.get().render("callback_bad_number")}), 400
    transcripts.add_callback(transcripts.get_db(), CHANNEL, conversation, phone)
    return jsonify({"ok": True, "text": policy.get().render("callback_taken")})


FEEDBACK = ("up", "down", None)
_PHONE = re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}")
MAX_TITLE = 60


def _phone(value: object) -> str | None:
    """A mobile or landline number, whatever separators were typed; None when it is not one."""
    if not isinstance(value, str):
        return None
    digits = re.sub(r"[\s\-.()（）]", "", unicodedata.normalize("NFKC", value))
    match = _PHONE.fullmatch(digits)
    return match.group() if match else None


def _title(value: object, message: object) -> str | None:
    """The title of the tapped button, kept only with a payload ("/…") and at a sane length."""
    if isinstance(value, str) and isinstance(message, str) and message.startswith("/") and value.strip():
        return graphemes.cut(value.strip(), MAX_TITLE)
    return None


def init_app(app: Flask) -> None:
    """The rate limits' buckets, from the config (a limit that cannot be read stops the start)."""
    app.extensions["ratelimit"] = {
        kind: tuple(ratelimit.Buckets(ratelimit.Limit.parse(app.config[key])) for key in keys)
        for kind, keys in LIMITS.items()
    }


@bp.get("/healthz")
def healthz():
    """Rasa with a loaded model, the action server, and the transcripts database proven by a write.

    "ok": all up. "degraded" (still 200: workers get their answers): the database refuses writes or
    turns wait in the spool for it. "unavailable" (503): Rasa or the action server is down.
    """
    store = transcripts.store()
    status = {
        "gateway": "up",
        "rasa": _up(rasa().rasa_up()),
        "actions": _up(rasa().actions_up()),
        "transcripts": _up(store.takes_writes()),
        "spooled_bytes": store.spool.pending(),
    }
    if status["rasa"] == "down" or status["actions"] == "down":
        return jsonify({"status": "unavailable", **status}), 503
    degraded = status["transcripts"] == "down" or status["spooled_bytes"]
    return jsonify({"status": "degraded" if degraded else "ok", **status}), 200


def _sender(value: object, default: str | None = None) -> str:
    sender = str(value).strip()[:MAX_SENDER] if isinstance(value, str | int) else ""
    if sender:
        return sender
    # no sender: a one-off id, so strangers never share one Rasa conversation
    return _anonymous() if default is None else default


def _anonymous() -> str:
    return "anonymous-" + secrets.token_hex(8)


def _up(flag: bool) -> str:
    return "up" if flag else "down"

"""The chat API for the web page: Rasa's REST JSON in and out, the stored history, and /healthz."""

from __future__ import annotations

import re
import secrets

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from bot.gateway import transcripts, turns
from bot.gateway.rasa_client import RasaClient
from policy_kb import kb as policy

bp = Blueprint("api", __name__)

CHANNEL = "web"
MAX_SENDER = 128  # the same cap as our Rasa REST channel
MAX_STORED_BODY = 2000  # an unreadable request is kept for the record, but not at any length
HISTORY_LIMIT = 200


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
        raw = request.get_data(as_text=True)[:MAX_STORED_BODY]
        replies = turns.answer_locally(
            transcripts.store(),
            CHANNEL,
            _anonymous(),
            raw,
            policy.get().render("bad_input"),
            action="gateway_bad_request",
        )
        return jsonify(replies)
    sender = _sender(_whole(body.get("sender")))
    budget = current_app.config["WEB_BUDGET_SECONDS"]
    message = _whole(body.get("message"))
    return jsonify(turns.ask(transcripts.store(), rasa(), CHANNEL, sender, message, budget=budget))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _whole(value: object) -> object:
    """A lone surrogate ("\\ud800" in the JSON) cannot be stored or sent on: it becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value


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
    """The stored messages of one web sender (masked), for the chat page to redraw the conversation.

    The sender id is a random id the page keeps for itself; WeChat conversations are never served here.
    """
    sender = _sender(request.args.get("sender"), default="")
    if not sender:
        return jsonify({"error": "sender is required"}), 400
    return jsonify({"messages": transcripts.history(transcripts.get_db(), CHANNEL, sender, HISTORY_LIMIT)})


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

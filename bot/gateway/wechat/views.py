"""The WeChat Official Account endpoint at /wechat (GET: server verification, POST: messages).

Everything wechatpy does is behind `wechat_adapter`; what to answer is `wechat_flow`. Without
WECHAT_TOKEN the endpoint does not exist (404): an unconfigured token must never mean "accept all".
A signed query string that already came with another message is refused like a bad signature (403).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, request

from bot.gateway import transcripts
from bot.gateway.wechat import state as wechat_state
from bot.gateway.wechat.adapter import Forbidden, Rejected, WeChatAdapter
from bot.gateway.wechat.flow import WeChatService

bp = Blueprint("wechat", __name__)


def _database():
    """The connection for the stateful flow, or None while the database refuses writes or turns wait
    in the spool: then the worker is answered from memory (wechat_degraded)."""
    store = transcripts.store()
    if store.spool.pending():
        return None
    try:
        return transcripts.get_db()
    except transcripts.STORAGE_ERRORS:
        store.drop()
        return None


def init_app(app: Flask) -> None:
    """Build the WeChat service when a token is configured, and its tables; a WECHAT_ENCODING_MODE
    that cannot work raises ValueError here, at the start."""
    config = app.config
    if not config.get("WECHAT_TOKEN"):
        return
    with transcripts.connect(config["TRANSCRIPTS_DB"]) as db:
        wechat_state.init(db)
    adapter = WeChatAdapter(
        config["WECHAT_TOKEN"],
        config.get("WECHAT_AES_KEY"),
        config.get("WECHAT_APPID"),
        config.get("WECHAT_APPSECRET"),
        config.get("WECHAT_ENCODING_MODE"),
    )
    app.extensions["wechat"] = WeChatService(
        adapter,
        app.extensions["rasa"],
        app.extensions["transcripts"],
        budget=config["RASA_BUDGET_SECONDS"],
        background_budget=config["RASA_BACKGROUND_SECONDS"],
    )


@bp.route("/wechat", methods=["GET", "POST"])
def endpoint() -> Response:
    service: WeChatService | None = current_app.extensions.get("wechat")
    if service is None:
        abort(404)
    try:
        if request.method == "GET":
            return Response(service.adapter.verify_url(request.args), mimetype="text/plain")
        incoming = service.adapter.read(request.args, request.get_data())
        database = _database()
        claimed = (
            wechat_state.claim_query(database, incoming.timestamp, incoming.nonce, incoming.fingerprint)
            if database
            else service.degraded.claim_query(incoming.timestamp, incoming.nonce, incoming.fingerprint)
        )
        if not claimed:
            raise Forbidden("signed query string already used for another message")
    except Rejected as rejected:
        current_app.logger.warning("WeChat request refused: %s", rejected)
        return Response(str(rejected), status=rejected.status, mimetype="text/plain")
    except transcripts.STORAGE_ERRORS:  # failed between the check and the claim: from memory then
        database = None
        transcripts.drop_db()
        if not service.degraded.claim_query(incoming.timestamp, incoming.nonce, incoming.fingerprint):
            return Response("signed query string already used", status=403, mimetype="text/plain")
    try:
        reply = service.respond(database, incoming) if database else service.degraded.respond(incoming)
    except transcripts.STORAGE_ERRORS:  # the database failed mid-turn (rare: it just took the claim)
        current_app.logger.exception("WeChat state could not be written; answering from memory")
        transcripts.drop_db()
        reply = service.degraded.respond(incoming)
    if reply is None:
        return Response("success", mimetype="text/plain")  # WeChat's "received, nothing to say"
    return Response(service.adapter.render(incoming, reply), mimetype="application/xml")

"""The chat page at `/`: a WeChat-style conversation for phones, served with local assets only.

The page gets its conversation id here, in an HttpOnly cookie it cannot read (bot/gateway/api.py).
`/sw.js` is the page's service worker (static/sw.js), served from the page's own directory so that its
scope is the page: a reload without network opens the kept page instead of the browser's error page.
"""

from flask import Blueprint, make_response, render_template, send_from_directory

from bot.gateway import api

bp = Blueprint(
    "chat", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)


@bp.get("/")
def page():
    response = make_response(render_template("chat.html"))
    conversation = api.page_conversation() or api.new_page_conversation()
    return api.give_cookie(response, conversation)  # renewed at every visit: a year from the last one


@bp.get("/sw.js")
def service_worker():
    response = send_from_directory(bp.static_folder, "sw.js", mimetype="text/javascript", max_age=0)
    # browsers check a worker for updates at most once a day anyway; no-cache makes each check real
    response.headers["Cache-Control"] = "no-cache"
    return response

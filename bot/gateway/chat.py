"""The chat page at `/`: a WeChat-style conversation for phones, served with local assets only.

The page gets its conversation id here, in an HttpOnly cookie it cannot read (bot/gateway/api.py).
"""

from flask import Blueprint, make_response, render_template

from bot.gateway import api

bp = Blueprint(
    "chat", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)


@bp.get("/")
def page():
    response = make_response(render_template("chat.html"))
    conversation = api.page_conversation() or api.new_page_conversation()
    return api.give_cookie(response, conversation)  # renewed at every visit: a year from the last one

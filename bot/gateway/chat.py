"""The chat page at `/`: a WeChat-style conversation for phones, served with local assets only."""

from flask import Blueprint, render_template

bp = Blueprint(
    "chat", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)


@bp.get("/")
def page():
    return render_template("chat.html")

"""CSRF protection for the console's forms: a random token in the (signed) session, echoed by every form.

A POST whose `csrf_token` field (or X-CSRF-Token header) is missing or differs is refused with 400
before any view runs, and the refusal is audited (a forged form is worth knowing about). The token is
renewed at login, so a token seen before login is worthless after.
"""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

from bot.gateway import transcripts
from bot.gateway.admin import auth, review

SESSION_KEY = "admin_csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def token() -> str:
    """This session's token (created on first use); templates call it as csrf_token()."""
    if SESSION_KEY not in session:
        session[SESSION_KEY] = secrets.token_urlsafe(32)
    return session[SESSION_KEY]


def renew() -> str:
    session[SESSION_KEY] = secrets.token_urlsafe(32)
    return session[SESSION_KEY]


def check() -> None:
    expected = session.get(SESSION_KEY)
    sent = request.form.get(FIELD) or request.headers.get(HEADER)
    if not expected or not sent or not hmac.compare_digest(str(sent).encode(), str(expected).encode()):
        staff = auth.current_staff()  # None on the login form
        review.log_action(
            transcripts.get_db(),
            staff.username if staff else "?",
            "csrf_refused",
            address=request.remote_addr,
            method=request.method,
            path=request.path[:200],
        )
        abort(400, description="表单已过期或来源不明（CSRF 校验失败）。请回到上一页刷新后再提交。")

"""The helpdesk console at /admin: staff review transcripts, see where the bot failed, and turn the
failures into training data.

`register(app)` is all the gateway needs to call: it adds the blueprint, the `flask admin …` commands,
the console's config defaults and its tables (in the transcripts' SQLite file).

Modules: views (the blueprint), auth (accounts, login delay, session), csrf, filters and search (the
inbox's WHERE clause and Chinese full-text search), queries (reads), review (staff actions), audit,
catalog (intents of nlu_data), replying (staff replies into a worker's chat), export (NLU YAML, CSV), stats and charts (dashboard), schema, cli, clock.
"""

from __future__ import annotations

from flask import Flask

DEFAULTS = {
    "ADMIN_LOW_CONFIDENCE": 0.6,  # the inbox's default "low confidence" threshold
    "ADMIN_PAGE_SIZE": 50,
    "ADMIN_TIMEZONE": "Asia/Shanghai",  # dates in filters and on screen; stored times stay UTC
    "ADMIN_NLU_DIR": None,  # where the intents of a correction come from; default nlu_data/nlu
    "ADMIN_LOGIN_DELAY_BASE": 0.5,  # seconds after the first failed login; doubled after each further one
    "ADMIN_LOGIN_DELAY_CAP": 60.0,
    "ADMIN_LOGIN_FORGET_SECONDS": 3600.0,  # failures older than this no longer count
    "ADMIN_LOGIN_NEW_ADDRESS_CAP": 2.0,  # the most an address without failures waits for the username's delay
    "ADMIN_SESSION_HOURS": 12.0,  # a login lasts a working day at most
    "ADMIN_PASSWORD_METHOD": "scrypt",  # werkzeug.security method for new password hashes
}


def register(app: Flask) -> None:
    from bot.gateway.admin import cli, replying, schema, views  # noqa: F401 - replying adds its routes

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    # the session cookie carries the login: never readable by scripts, never sent by other sites' posts
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if app.config.get("SESSION_COOKIE_SAMESITE") not in ("Lax", "Strict"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    fts = schema.init(app.config["TRANSCRIPTS_DB"])
    app.extensions["admin"] = {"fts": fts}
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.group)

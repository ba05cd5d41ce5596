"""The Flask gateway: chat page, chat API, WeChat Official Account endpoint.

`create_app(test_config=None)`: defaults, then the instance folder's config.py, then environment
variables, then `test_config`. Blueprints are registered here.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from bot.gateway import settings, transcripts
from bot.gateway.rasa_client import RasaClient


def create_app(test_config: dict | None = None, *, instance_path: str | Path | None = None) -> Flask:
    """Build the gateway. `instance_path` defaults to var/instance in the repository (tests pass a temporary one)."""
    folder = Path(instance_path or settings.INSTANCE).resolve()
    os.makedirs(folder, exist_ok=True)
    # static files belong to the chat blueprint (url_for("chat.static")), so the app has no folder of its own
    app = Flask(__name__, instance_path=str(folder), instance_relative_config=True, static_folder=None)
    app.config.from_mapping(settings.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(settings.from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.secret_key(folder)
    if not app.config.get("RASA_TOKEN"):
        app.config["RASA_TOKEN"] = settings.secret_key(folder, settings.RASA_TOKEN_FILE)
    app.json.ensure_ascii = False  # replies are Chinese: keep them readable on the wire and in logs

    transcripts.init_app(app)
    app.extensions["rasa"] = RasaClient(
        app.config["RASA_URL"], app.config["ACTIONS_URL"], token=app.config["RASA_TOKEN"]
    )
    _register_blueprints(app)
    app.after_request(_security_headers)
    return app


# the chat page loads only its own script, style and images and talks only to its own API
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _security_headers(response):
    """On every answer, not only the console's (which sets its own stricter ones first)."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _register_blueprints(app: Flask) -> None:
    from bot.gateway import admin, api, chat
    from bot.gateway.wechat import views as wechat

    app.register_blueprint(chat.bp)
    app.register_blueprint(api.bp)
    api.init_app(app)
    app.register_blueprint(wechat.bp)
    wechat.init_app(app)
    admin.register(app)

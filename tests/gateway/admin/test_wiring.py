"""How the console plugs into the gateway: `register(app)`, its tables, and `flask --app bot admin`."""

from __future__ import annotations

import importlib

import pytest

from bot.gateway.admin import schema
from tests.gateway.admin.conftest import build_app


def test_register_adds_the_blueprint_the_commands_and_the_tables(app, db):
    assert "admin" in app.blueprints
    assert "admin" in app.cli.commands
    assert set(app.cli.commands["admin"].commands) == {
        "create-user",
        "set-password",
        "disable-user",
        "list-users",
        "reindex",
    }
    tables = set(db.table_names())
    for table in (
        "users",
        "sessions",
        "login_failures",
        "reviews",
        "tags",
        "notes",
        "corrections",
        "handoffs",
        "audit",
    ):
        assert f"admin_{table}" in tables
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["ADMIN_LOW_CONFIDENCE"] == 0.6


def test_the_search_index_uses_trigrams(app, db):
    assert schema.trigram_available()  # SQLite >= 3.34
    assert "tokenize='trigram'" in db["messages_fts"].schema
    assert app.extensions["admin"]["fts"] is True


def test_building_twice_on_one_file_is_fine(tmp_path):
    build_app(tmp_path)
    app = build_app(tmp_path)  # a second worker process starting on the same file
    assert app.extensions["admin"]["fts"] is True


def test_config_may_override_the_defaults(tmp_path):
    app = build_app(tmp_path, ADMIN_LOW_CONFIDENCE=0.5, SESSION_COOKIE_SAMESITE="Strict")
    assert app.config["ADMIN_LOW_CONFIDENCE"] == 0.5
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Strict"


def test_flask_app_bot_has_the_console(tmp_path, monkeypatch):
    """`flask --app bot admin create-user NAME` needs bot.create_app, and create_app to register us."""
    bot = importlib.import_module("bot")
    if not hasattr(bot, "create_app"):
        pytest.skip("bot/__init__.py has no create_app yet (see bot/gateway/admin/__init__.py)")
    from flask.cli import ScriptInfo

    from bot.gateway import settings

    monkeypatch.setattr(settings, "INSTANCE", tmp_path / "instance")
    monkeypatch.setenv("TRANSCRIPTS_DB", str(tmp_path / "t.db"))
    app = ScriptInfo(app_import_path="bot").load_app()
    if "admin" not in app.blueprints:
        pytest.xfail("create_app does not call bot.gateway.admin.register(app) yet")
    assert "admin" in app.cli.commands

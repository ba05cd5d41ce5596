"""How the console plugs into the gateway: `register(app)`, its tables, and `flask --app bot admin`."""

from __future__ import annotations

import contextlib

from bot.gateway import transcripts
from bot.gateway.admin import schema
from tests.gateway.admin.conftest import PASSWORD, build_app


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
    assert app.extensions["admin"]["fts"] is True
    transcripts.record(db, "web", "w", "in", "老板欠工资想去仲裁")
    # Chinese has no spaces: only trigrams find a word inside the sentence
    found = db.execute("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '\"欠工资\"'").fetchone()
    assert found == (1,)


def test_building_twice_on_one_file_is_fine(tmp_path):
    build_app(tmp_path)
    app = build_app(tmp_path)  # a second worker process starting on the same file
    assert app.extensions["admin"]["fts"] is True


def test_config_may_override_the_defaults(tmp_path):
    app = build_app(tmp_path, ADMIN_LOW_CONFIDENCE=0.5, SESSION_COOKIE_SAMESITE="Strict")
    assert app.config["ADMIN_LOW_CONFIDENCE"] == 0.5
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Strict"


def test_flask_app_bot_admin_creates_and_lists_a_user(tmp_path, monkeypatch):
    """`flask --app bot admin create-user NAME` as staff run it: bot.create_app must exist and register the
    console. A broken command fails here (no skip, no xfail): it is the only way to make an account."""
    from click.testing import CliRunner
    from flask.cli import cli as flask_command

    from bot.gateway import settings, transcripts
    from bot.gateway.admin import auth

    monkeypatch.setattr(settings, "INSTANCE", tmp_path / "instance")  # keep the repository's var/ untouched
    monkeypatch.setenv("TRANSCRIPTS_DB", str(tmp_path / "t.db"))
    runner = CliRunner()
    created = runner.invoke(
        flask_command, ["--app", "bot", "admin", "create-user", "amei"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert created.exit_code == 0, created.output
    assert "已创建账号 amei" in created.output
    listed = runner.invoke(flask_command, ["--app", "bot", "admin", "list-users"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith("amei\tactive\t")
    with contextlib.closing(transcripts.connect(str(tmp_path / "t.db"))) as db:  # the configured database
        assert auth.find_user(db, "amei")["active"] == 1

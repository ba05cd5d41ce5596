"""The app factory: config layers, the generated secret key, blueprints, the init-db command, wsgi."""

from __future__ import annotations

import importlib
import os
import stat
import subprocess
import sys

from bot.gateway import create_app, schema, settings


def build(tmp_path, test_config=None):
    return create_app(
        {"TRANSCRIPTS_DB": str(tmp_path / "t.db"), **(test_config or {})}, instance_path=tmp_path / "instance"
    )


def clean_environment(monkeypatch):
    for key in settings.ENVIRONMENT_KEYS + ["RASA_PORT", "ACTIONS_PORT"]:  # `make test` exports the ports
        monkeypatch.delenv(key, raising=False)


def test_defaults(tmp_path, monkeypatch):
    clean_environment(monkeypatch)
    monkeypatch.setenv("TRANSCRIPTS_DB", str(tmp_path / "t.db"))  # keep the repository's var/ untouched
    app = create_app(instance_path=tmp_path / "instance")
    assert app.config["RASA_URL"] == "http://127.0.0.1:5005"
    assert app.config["ACTIONS_URL"] == "http://127.0.0.1:5055"
    assert app.config["RASA_BUDGET_SECONDS"] == 4.0
    assert app.config["WECHAT_TOKEN"] is None and "wechat" not in app.extensions


UNCONFIGURED = """
import sys
from pathlib import Path

from bot import paths

paths.VAR = Path(sys.argv[1])  # before the gateway's settings are read: the repository's var/ stays untouched
from bot.gateway import create_app

app = create_app(instance_path=paths.VAR / "instance")
print(app.extensions["transcripts"].path)
"""


def test_unconfigured_the_transcripts_are_kept_in_var(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k not in settings.ENVIRONMENT_KEYS}
    var = tmp_path / "var"
    done = subprocess.run(
        [sys.executable, "-c", UNCONFIGURED, str(var)],
        cwd=settings.paths.REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(var / "transcripts.db") and (var / "transcripts.db").is_file()


def test_transcripts_db_in_the_environment_moves_the_database(tmp_path, monkeypatch):
    clean_environment(monkeypatch)
    monkeypatch.setenv("TRANSCRIPTS_DB", str(tmp_path / "elsewhere" / "moved.db"))
    app = create_app(instance_path=tmp_path / "instance")
    assert str(app.extensions["transcripts"].path) == str(tmp_path / "elsewhere" / "moved.db")
    assert (tmp_path / "elsewhere" / "moved.db").is_file()


def test_no_secret_key_is_shipped_each_instance_makes_its_own(tmp_path, monkeypatch):
    clean_environment(monkeypatch)
    first, second = build(tmp_path / "a"), build(tmp_path / "b")
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert build(tmp_path / "c").config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "c" / "instance" / settings.SECRET_KEY_FILE).exists()


def test_config_layers_instance_then_environment_then_test_config(tmp_path, monkeypatch):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "config.py").write_text(
        'RASA_URL = "http://127.0.0.1:7001"\nACTIONS_URL = "http://127.0.0.1:7002"\nWECHAT_TOKEN = "from-instance"\n'
    )
    clean_environment(monkeypatch)
    monkeypatch.setenv("ACTIONS_URL", "http://127.0.0.1:7102")
    monkeypatch.setenv("RASA_BUDGET_SECONDS", "2.5")
    monkeypatch.setenv("WECHAT_TOKEN", "from-environment")
    app = build(tmp_path, {"WECHAT_TOKEN": "from-test"})
    assert app.config["RASA_URL"] == "http://127.0.0.1:7001"  # instance
    assert app.config["ACTIONS_URL"] == "http://127.0.0.1:7102"  # environment beats instance
    assert app.config["RASA_BUDGET_SECONDS"] == 2.5  # cast like the default
    assert app.config["WECHAT_TOKEN"] == "from-test"  # test_config beats all


def test_ports_from_the_makefile_give_the_urls(monkeypatch):
    found = settings.from_environment({"RASA_PORT": "6005", "ACTIONS_PORT": "6055"})
    assert found == {"RASA_URL": "http://127.0.0.1:6005", "ACTIONS_URL": "http://127.0.0.1:6055"}
    assert (
        settings.from_environment({"RASA_PORT": "6005", "RASA_URL": "http://x:1"})["RASA_URL"] == "http://x:1"
    )


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = build(tmp_path)
    key_file = tmp_path / "instance" / settings.SECRET_KEY_FILE
    assert key_file.exists() and len(first.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert build(tmp_path).config["SECRET_KEY"] == first.config["SECRET_KEY"]  # reused, not regenerated
    left = sorted(p.name for p in (tmp_path / "instance").iterdir())  # no temporary file left
    assert left == sorted([settings.SECRET_KEY_FILE, settings.RASA_TOKEN_FILE])


def test_rasa_api_token_comes_from_the_instance_folder_unless_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("RASA_TOKEN", raising=False)
    app = build(tmp_path)
    token = (tmp_path / "instance" / settings.RASA_TOKEN_FILE).read_text().strip()
    assert len(token) == 64 and app.extensions["rasa"].token == token
    assert build(tmp_path / "other", {"RASA_TOKEN": "given"}).extensions["rasa"].token == "given"


def test_a_configured_secret_key_is_used_and_nothing_written(tmp_path):
    app = build(tmp_path, {"SECRET_KEY": "configured"})
    assert app.config["SECRET_KEY"] == "configured"
    assert not (tmp_path / "instance" / settings.SECRET_KEY_FILE).exists()


def test_blueprints_and_routes(tmp_path):
    app = build(tmp_path, {"SECRET_KEY": "x"})
    assert {"chat", "api", "wechat"} <= set(app.blueprints)
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/", "/api/messages", "/api/history", "/healthz", "/wechat"} <= rules


def test_wechat_endpoint_does_not_exist_without_a_token(tmp_path, platform):
    client = build(tmp_path, {"SECRET_KEY": "x"}).test_client()
    assert client.get("/wechat", query_string={**platform.query(), "echostr": "e"}).status_code == 404


def test_init_db_command_creates_the_database(tmp_path):
    app = build(tmp_path, {"SECRET_KEY": "x", "TRANSCRIPTS_DB": str(tmp_path / "sub" / "cli.db")})
    (tmp_path / "sub" / "cli.db").unlink()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and (tmp_path / "sub" / "cli.db").exists()
    assert f"schema version {schema.current()}" in result.output


def test_wsgi_module_exposes_an_app(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "INSTANCE", tmp_path / "instance")
    monkeypatch.setenv("TRANSCRIPTS_DB", str(tmp_path / "wsgi.db"))
    sys.modules.pop("bot.gateway.wsgi", None)
    wsgi = importlib.import_module("bot.gateway.wsgi")
    assert wsgi.app.config["TRANSCRIPTS_DB"] == str(tmp_path / "wsgi.db")
    assert os.path.exists(tmp_path / "instance" / settings.SECRET_KEY_FILE)
    sys.modules.pop("bot.gateway.wsgi", None)

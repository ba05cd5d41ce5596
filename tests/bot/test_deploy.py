"""Issue #13, item 3: the systemd units for a county server start what bot/tools/stack.py starts, restart a
failed service alone, end its whole process tree, and keep the secrets off the command line."""

from __future__ import annotations

import configparser
import os
import shlex
from pathlib import Path

import pytest

from bot import paths
from bot.gateway import settings
from bot.tools import rasa_run
from bot.tools import stack as services

UNITS = paths.REPO / "deploy" / "systemd"
SERVICES = {
    "actions": "huize-actions.service",
    "rasa": "huize-rasa.service",
    "gateway": "huize-gateway.service",
}


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(UNITS / name, encoding="utf-8")
    return parser


@pytest.fixture(scope="module")
def commands() -> dict[str, list[str]]:
    """What bot/tools/stack.py runs, on the ports the units use."""
    stack = services.Stack(rasa_port=5005, actions_port=5055, gateway_port=8000)
    return services.commands(stack, Path("/opt/huize/models"))


def same(command: list[str]) -> list[str]:
    """A command line with its paths cut to their last part: the unit's /opt/huize is our checkout."""
    return [Path(part).name if "/" in part and "://" not in part else part for part in command]


@pytest.mark.parametrize("name", SERVICES)
def test_each_unit_restarts_on_failure_and_ends_its_whole_tree(name):
    service = unit(SERVICES[name])["Service"]
    assert service["Restart"] == "on-failure"
    assert service.get("KillMode", "control-group") == "control-group"  # Rasa's workers go with it
    assert service["User"] != "root" and service["EnvironmentFile"] == "/etc/huize/env"


@pytest.mark.parametrize("name", SERVICES)
def test_each_unit_runs_what_the_stack_runs_on_loopback(name, commands):
    command = shlex.split(unit(SERVICES[name])["Service"]["ExecStart"])
    assert same(command) == same(commands[name])  # programs from .venv/bin, files of the checkout
    assert "0.0.0.0" not in " ".join(command)
    if name == "rasa":
        assert command[1:4] == ["-m", "bot.tools.rasa_run", "run"] and "--enable-api" in command
        assert "--auth-token" not in command  # bot/tools/rasa_run.py takes it from the environment file


def test_the_rasa_unit_sets_what_the_stack_sets_for_rasa():
    wanted = set(services.service_env(5055, Path("/var/lib/huize/tracker.db"))) - set(os.environ)
    text = (UNITS / SERVICES["rasa"]).read_text(encoding="utf-8")
    pairs = {}
    for line in text.splitlines():
        if line.startswith("Environment="):
            pairs.update(pair.split("=", 1) for pair in shlex.split(line.removeprefix("Environment=")))
    assert wanted <= set(pairs), wanted - set(pairs)
    assert pairs["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:5055/webhook"


def test_the_environment_file_names_every_secret_the_services_read():
    example = (UNITS / "env.example").read_text(encoding="utf-8")
    keys = {
        line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")
    }
    assert {rasa_run.TOKEN_VARIABLE, "RASA_TOKEN", "SECRET_KEY", "WECHAT_ENCODING_MODE"} <= keys
    assert {key for key in settings.ENVIRONMENT_KEYS if key.startswith("WECHAT_")} <= keys


def test_the_target_starts_all_three():
    wants = unit("huize.target")["Unit"]["Wants"].split()
    assert sorted(wants) == sorted(SERVICES.values())

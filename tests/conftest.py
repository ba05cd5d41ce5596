"""Shared fixtures: the knowledge base, and (once per session) a trained model with both servers."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def kb():
    from policy_kb import kb as policy

    return policy.get()


@pytest.fixture(scope="session")
def model():
    """The trained model for the current data: reused when its fingerprint exists, trained once if not."""
    from bot.tools.train import ensure_model

    return ensure_model(quiet=True)


@pytest.fixture(scope="session")
def stack(model, tmp_path_factory):
    """The real action server and Rasa server on free loopback ports, with a fresh SQLite tracker."""
    from bot.tools import stack as services

    folder = tmp_path_factory.mktemp("stack")
    running = services.start(model, tracker_db=folder / "tracker.db", log_dir=folder)
    yield running
    running.stop()


# `make unit`: the tests that need no trained model, no Rasa, no browser and no servers
NEEDS_MORE = {"model", "stack", "cluster", "browser", "page"}


def pytest_addoption(parser):
    parser.addoption(
        "--unit",
        action="store_true",
        help="only the tests that need no trained model, no browser and no servers (make unit)",
    )


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--unit"):
        return
    keep, dropped = [], []
    for item in items:
        more = (
            NEEDS_MORE & set(getattr(item, "fixturenames", ()))
            or item.get_closest_marker("slow")
            or item.get_closest_marker("e2e")
            or item.get_closest_marker("servers")
            or "_browser" in item.nodeid
        )
        (dropped if more else keep).append(item)
    config.hook.pytest_deselected(items=dropped)
    items[:] = keep

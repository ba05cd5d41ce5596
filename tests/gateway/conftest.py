"""Gateway fixtures: a stand-in upstream on 127.0.0.1, and the app built on a temporary SQLite file."""

from __future__ import annotations

import socket

import pytest
from playwright.sync_api import expect

from bot.gateway import create_app
from tests.gateway.browser import browser, gateway, page  # noqa: F401 - the chat page tests' fixtures
from tests.gateway.standin import StandIn
from tests.gateway.wechat_platform import WeChatPlatform

expect.set_options(timeout=30_000)  # a page waits on the real bot, slow on a busy 2-core machine


@pytest.fixture
def upstream():
    standin = StandIn()
    yield standin
    standin.stop()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on: Rasa stopped."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def platform() -> WeChatPlatform:
    return WeChatPlatform()


@pytest.fixture
def make_app(tmp_path, upstream, platform):
    """Build an app; keyword arguments override the test config."""

    def build(**overrides):
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-only",
            "RASA_URL": upstream.url,
            "RASA_TOKEN": upstream.token,
            "ACTIONS_URL": upstream.url,
            "TRANSCRIPTS_DB": str(tmp_path / "transcripts.db"),
            "RASA_BUDGET_SECONDS": 2.0,
            "WEB_BUDGET_SECONDS": 2.0,
            "RASA_BACKGROUND_SECONDS": 10.0,
            "WECHAT_TOKEN": platform.token,
            "WECHAT_AES_KEY": platform.aes_key,
            "WECHAT_APPID": platform.appid,
            **overrides,
        }
        return create_app(config, instance_path=tmp_path / "instance")

    return build


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()

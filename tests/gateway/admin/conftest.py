"""Console fixtures: the gateway app on a temporary SQLite file with the console registered, seeded
transcripts, a staff account made with the CLI, and a logged-in test client that sends the CSRF token."""

from __future__ import annotations

import contextlib
import re

import pytest

from bot.gateway import create_app, transcripts
from tests.gateway.admin import seeding

PASSWORD = "zhuanyi-jiuye-2024"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def build_app(tmp_path, **overrides):
    from bot.gateway import admin

    config = {
        "TESTING": True,
        "SECRET_KEY": "test-only-secret",
        "TRANSCRIPTS_DB": str(tmp_path / "transcripts.db"),
        "RASA_URL": "http://127.0.0.1:9",  # nothing is asked: the console only reads the transcripts
        "ACTIONS_URL": "http://127.0.0.1:9",
        "ADMIN_PASSWORD_METHOD": "pbkdf2:sha256:1000",  # fast hashing for tests (scrypt is tested once)
        **overrides,
    }
    app = create_app(config, instance_path=tmp_path / "instance")
    if "admin" not in app.blueprints:  # until create_app registers the console itself
        admin.register(app)
    return app


@pytest.fixture
def app(tmp_path):
    return build_app(tmp_path)


@pytest.fixture
def db(app):
    with contextlib.closing(transcripts.connect(app.config["TRANSCRIPTS_DB"])) as connection:
        yield connection


@pytest.fixture
def seeded(db) -> seeding.Seeded:
    return seeding.seed(db)


def create_user(app, name: str = "amei", password: str = PASSWORD):
    result = app.test_cli_runner().invoke(
        args=["admin", "create-user", name], input=f"{password}\n{password}\n"
    )
    assert result.exit_code == 0, result.output
    return result


def csrf_from(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


class Staff:
    """A logged-in test client; `post` adds the session's CSRF token to the form."""

    def __init__(self, client, token: str):
        self.client = client
        self.token = token

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, data=None, **kw):
        return self.client.post(url, data={"csrf_token": self.token, **(data or {})}, **kw)


def login(client, name: str = "amei", password: str = PASSWORD, **environ):
    token = csrf_from(client.get("/admin/login").text)
    response = client.post(
        "/admin/login",
        data={"csrf_token": token, "username": name, "password": password},
        environ_base=environ,
    )
    return response


@pytest.fixture
def staff(app) -> Staff:
    create_user(app)
    client = app.test_client()
    response = login(client)
    assert response.status_code == 302, response.text
    return Staff(client, csrf_from(client.get("/admin/").text))

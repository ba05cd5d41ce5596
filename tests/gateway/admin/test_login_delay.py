"""Failed logins make the next attempt wait longer: 0.5 s × 2^(n−1), capped, per username and per address."""

from __future__ import annotations

import pytest

from bot.gateway.admin import clock
from tests.gateway.admin.conftest import PASSWORD, create_user, login


class Clock:
    def __init__(self, start: float = 1_800_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake_clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(clock, "epoch", fake)
    return fake


def delays(db, key: str) -> tuple[int, float]:
    row = db.execute(
        "SELECT failures, locked_until - last_failed_at FROM admin_login_failures WHERE key = ?", [key]
    )
    return row.fetchone()


def test_the_delay_doubles_after_each_failure_and_is_capped(app, db, fake_clock):
    create_user(app)
    client = app.test_client()
    seen = []
    for _ in range(9):
        response = login(client, password="wrong password")
        assert response.status_code == 401
        failures, delay = delays(db, "user:amei")
        seen.append(delay)
        assert delays(db, "ip:127.0.0.1") == (failures, delay)
        fake_clock.now += delay  # wait exactly as long as asked
    assert seen == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]  # ADMIN_LOGIN_DELAY_CAP = 60


def test_an_attempt_inside_the_delay_is_not_even_checked(app, db, fake_clock):
    create_user(app)
    client = app.test_client()
    assert login(client, password="wrong password").status_code == 401
    for _ in range(2):
        fake_clock.now += 0.2  # too soon after the 1st failure (0.5 s)
        assert login(client, password="wrong password").status_code == 429
    # refused attempts are not counted: still one failure, still 0.5 s
    assert delays(db, "user:amei") == (1, 0.5)
    fake_clock.now += 0.1  # now 0.5 s after the failure
    response = login(client)
    assert response.status_code == 302  # the right password after the delay works


def test_too_soon_gets_429_with_retry_after_even_with_the_right_password(app, db, fake_clock):
    create_user(app)
    client = app.test_client()
    for _ in range(4):
        fake_clock.now += 100
        assert login(client, password="wrong password").status_code == 401
    # after the 4th failure: 4 s
    response = login(client)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "4"
    assert "4 秒后再试" in response.text
    assert client.get("/admin/").status_code == 302  # not logged in
    fake_clock.now += 4
    assert login(client).status_code == 302
    # success clears the counters
    assert db["admin_login_failures"].count == 0


def test_the_address_is_throttled_across_usernames(app, fake_clock):
    create_user(app)
    create_user(app, "xiaoli")
    client = app.test_client()
    assert login(client, "amei", "wrong password").status_code == 401
    # another username from the same address must wait too …
    assert login(client, "xiaoli", PASSWORD).status_code == 429
    # … while the same username from another address must wait as well
    assert login(app.test_client(), "amei", PASSWORD, REMOTE_ADDR="10.1.1.1").status_code == 429
    # and an unrelated username from another address is not slowed
    assert login(app.test_client(), "xiaoli", PASSWORD, REMOTE_ADDR="10.1.1.1").status_code == 302


def test_old_failures_are_forgotten(app, db, fake_clock):
    create_user(app)
    client = app.test_client()
    for _ in range(3):
        login(client, password="wrong password")
        fake_clock.now += 10
    assert delays(db, "user:amei") == (3, 2.0)
    fake_clock.now += app.config["ADMIN_LOGIN_FORGET_SECONDS"] + 1
    login(client, password="wrong password")
    assert delays(db, "user:amei") == (1, 0.5)

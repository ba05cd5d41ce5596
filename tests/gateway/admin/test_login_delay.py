"""Failed logins make the next attempt wait longer: 0.5 s × 2^(n−1), capped, per username and per address."""

from __future__ import annotations

import json
import threading
import time

import pytest
from werkzeug.security import check_password_hash

from bot.gateway.admin import auth, clock
from tests.gateway.admin.conftest import PASSWORD, create_user, csrf_from, login


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


def test_parallel_guesses_are_checked_one_at_a_time(app, db, fake_clock, monkeypatch):
    """Five guesses sent at once: the first one reserves its place before its password is checked, so the
    others see its failure and are refused without reaching the password hash."""
    create_user(app)
    checked = []
    lock = threading.Lock()

    def slow_check(password_hash: str, password: str) -> bool:
        with lock:
            checked.append(password)
        time.sleep(0.3)  # a real scrypt check takes this long: plenty of time for the others to slip in
        return check_password_hash(password_hash, password)

    monkeypatch.setattr(auth, "check_password_hash", slow_check)
    clients = [app.test_client() for _ in range(5)]
    tokens = [csrf_from(client.get("/admin/login").text) for client in clients]
    start = threading.Barrier(len(clients), timeout=5)
    statuses = []

    def guess(client, token: str, n: int) -> None:
        start.wait()
        form = {"csrf_token": token, "username": "amei", "password": f"guess {n}"}
        statuses.append(client.post("/admin/login", data=form).status_code)

    threads = [
        threading.Thread(target=guess, args=(c, t, n))
        for n, (c, t) in enumerate(zip(clients, tokens, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(statuses) == [401, 429, 429, 429, 429]
    assert len(checked) == 1  # one guess reached the password hash; four never did
    assert delays(db, "user:amei") == (1, 0.5)


def test_a_new_address_is_not_locked_out_by_anothers_guesses(app, db, fake_clock):
    create_user(app)
    attacker = app.test_client()
    for _ in range(7):
        assert login(attacker, password="wrong password", REMOTE_ADDR="10.6.6.6").status_code == 401
        fake_clock.now += delays(db, "user:amei")[1]
    fake_clock.now -= delays(db, "user:amei")[1]  # right after the 7th failure: 32 s for amei
    # the real amei at her own desk waits a moment at most, not the 32 s the attacker earned
    desk = app.test_client()
    response = login(desk, REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert wait <= 2
    fake_clock.now += wait
    assert login(desk, REMOTE_ADDR="10.0.0.7").status_code == 302
    # the attacking address is still held back by its own failures
    again = login(attacker, password="wrong password", REMOTE_ADDR="10.6.6.6")
    assert again.status_code == 429 and int(again.headers["Retry-After"]) >= 30
    assert delays(db, "ip:10.6.6.6")[0] == 7


def test_an_address_with_failures_of_its_own_waits_for_the_account_in_full(app, db, fake_clock):
    create_user(app)
    for _ in range(5):
        assert login(app.test_client(), password="wrong", REMOTE_ADDR="10.6.6.6").status_code == 401
        fake_clock.now += delays(db, "user:amei")[1]
    assert login(app.test_client(), password="wrong", REMOTE_ADDR="10.0.0.8").status_code == 401
    fake_clock.now += 2
    # 10.0.0.8 failed once (0.5 s, over), but amei's 6 failures ask for 16 s from any address that failed
    response = login(app.test_client(), REMOTE_ADDR="10.0.0.8")
    assert response.status_code == 429 and response.headers["Retry-After"] == "14"


def test_a_refused_attempt_is_in_the_audit_log(app, db, fake_clock):
    create_user(app)
    assert login(app.test_client(), password="wrong password", REMOTE_ADDR="10.0.0.9").status_code == 401
    assert login(app.test_client(), REMOTE_ADDR="10.0.0.9").status_code == 429
    rows = list(
        db.query("SELECT staff, action, detail FROM admin_audit WHERE action LIKE 'login%' ORDER BY id")
    )
    assert [row["action"] for row in rows] == ["login_failed", "login_refused"]
    refused = json.loads(rows[1]["detail"])
    assert rows[1]["staff"] == "amei"
    assert refused == {"address": "10.0.0.9", "retry_after": 1}

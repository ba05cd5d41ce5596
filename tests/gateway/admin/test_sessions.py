"""Console sessions live on the server: the cookie only names one, so logout, a new password or a disabled
account ends it even for a copy of the cookie taken before."""

from __future__ import annotations

import hashlib

from bot.gateway.admin import clock
from tests.gateway.admin.conftest import PASSWORD, create_user, csrf_from, login


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def replay(app, cookie: str):
    """A fresh client (another browser, an attacker) that only has the copied cookie."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def assert_refused(client) -> None:
    page = client.get("/admin/")
    assert page.status_code == 302 and page.location.startswith("/admin/login")
    assert client.get("/admin/export/transcripts.csv").status_code == 401


def session_ids(db, username: str) -> list[str]:
    rows = db.execute(
        "SELECT s.id FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id WHERE u.username = ?",
        [username],
    ).fetchall()
    return [row[0] for row in rows]


def cookie_session_id(app, cookie: str) -> str:
    return app.session_interface.get_signing_serializer(app).loads(cookie)["admin_session"]


def test_login_stores_the_session_on_the_server_and_only_a_digest_of_its_id(app, db):
    create_user(app)
    client = app.test_client()
    assert login(client).status_code == 302
    token = cookie_session_id(app, session_cookie(client))
    assert len(token) >= 32  # secrets.token_urlsafe: not guessable
    # whoever reads the database (a backup, an export) cannot take the session over
    assert session_ids(db, "amei") == [hashlib.sha256(token.encode()).hexdigest()]


def test_a_cookie_copied_before_logout_is_refused_after_it(app, db, seeded):
    create_user(app)
    client = app.test_client()
    assert login(client).status_code == 302
    copied = session_cookie(client)
    assert replay(app, copied).get("/admin/").status_code == 200  # the copy works while logged in
    page = client.get("/admin/")
    assert client.post("/admin/logout", data={"csrf_token": csrf_from(page.text)}).status_code == 302
    assert_refused(replay(app, copied))
    assert session_ids(db, "amei") == []


def test_logout_ends_only_that_session(app, db):
    create_user(app)
    desk, phone = app.test_client(), app.test_client()
    assert login(desk).status_code == 302 and login(phone).status_code == 302
    copied = session_cookie(desk)
    desk.post("/admin/logout", data={"csrf_token": csrf_from(desk.get("/admin/").text)})
    assert_refused(replay(app, copied))
    assert phone.get("/admin/").status_code == 200
    assert len(session_ids(db, "amei")) == 1


def test_a_new_password_ends_every_session_of_that_user_only(app, db):
    create_user(app)
    create_user(app, "xiaoli")
    amei, other = app.test_client(), app.test_client()
    assert login(amei).status_code == 302 and login(other, "xiaoli").status_code == 302
    copied = session_cookie(amei)
    new = "another-long-password"
    result = app.test_cli_runner().invoke(args=["admin", "set-password", "amei"], input=f"{new}\n{new}\n")
    assert result.exit_code == 0, result.output
    assert_refused(replay(app, copied))
    assert_refused(amei)
    assert other.get("/admin/").status_code == 200  # xiaoli was not logged out
    assert session_ids(db, "amei") == [] and len(session_ids(db, "xiaoli")) == 1
    assert login(app.test_client(), password=new).status_code == 302


def test_disabling_an_account_ends_its_sessions(app, db):
    create_user(app)
    client = app.test_client()
    assert login(client).status_code == 302
    copied = session_cookie(client)
    assert app.test_cli_runner().invoke(args=["admin", "disable-user", "amei"]).exit_code == 0
    assert_refused(replay(app, copied))
    assert session_ids(db, "amei") == []


def test_an_expired_session_is_refused_and_removed_at_the_next_login(app, db, monkeypatch):
    create_user(app)
    client = app.test_client()
    assert login(client).status_code == 302
    copied = session_cookie(client)
    later = clock.epoch() + app.config["ADMIN_SESSION_HOURS"] * 3600 + 1
    monkeypatch.setattr(clock, "epoch", lambda: later)
    assert_refused(replay(app, copied))
    assert login(app.test_client(), password=PASSWORD).status_code == 302
    assert len(session_ids(db, "amei")) == 1  # only the new one: expired rows do not pile up


def test_a_session_id_unknown_to_the_server_is_refused(app):
    create_user(app)
    client = app.test_client()
    assert login(client).status_code == 302
    with client.session_transaction() as session:  # signed with the right key, but never issued
        session["admin_session"] = "made-up-id"
    assert_refused(client)

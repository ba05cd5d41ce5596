"""Nothing under /admin answers without login; sessions, CSRF and redirects are safe."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.gateway.admin.conftest import PASSWORD, build_app, create_user, csrf_from, login

# the only endpoints under /admin that answer anonymously: the login form and the console's CSS
PUBLIC = {"admin.login", "admin.static"}
# a converter-typed placeholder: <int:conversation_id> → 1 (a row that exists), <name> → x
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>")


def admin_requests(app):
    """(method, url, endpoint) for every rule under /admin and each method it allows (not HEAD/OPTIONS)."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.endpoint in PUBLIC:
            continue
        url = ARGUMENT.sub(lambda m: "1" if m.group(1) in ("int", "float") else "x", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url, rule.endpoint))
    return found


def _url_map_requests():
    with tempfile.TemporaryDirectory() as folder:
        return admin_requests(build_app(Path(folder)))


ADMIN_REQUESTS = _url_map_requests()


def test_the_url_map_has_the_console():
    endpoints = {endpoint for _, _, endpoint in ADMIN_REQUESTS}
    assert {
        "admin.inbox",
        "admin.transcript",
        "admin.reply",
        "admin.export_csv",
        "admin.export_nlu",
        "admin.correct",
    } <= endpoints
    assert len(ADMIN_REQUESTS) == 17  # update when a page is added: it is then tested below


@pytest.mark.parametrize(
    ("method", "url", "endpoint"), ADMIN_REQUESTS, ids=[f"{m} {u}" for m, u, _ in ADMIN_REQUESTS]
)
def test_anonymous_requests_are_refused(app, seeded, method, url, endpoint):
    client = app.test_client()
    token = csrf_from(client.get("/admin/login").text)  # even with a valid CSRF token
    response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
    if method == "GET" and not endpoint.startswith("admin.export"):
        assert response.status_code == 302
        assert response.location.startswith("/admin/login?next=")
    else:
        assert response.status_code == 401
    # no transcript text leaks into the refusal
    assert seeding_text_absent(response.get_data(as_text=True))


def seeding_text_absent(body: str) -> bool:
    from tests.gateway.admin.seeding import ARBITRATION

    return ARBITRATION not in body and "w-wages" not in body


def test_anonymous_post_changes_nothing(app, db, seeded):
    client = app.test_client()
    token = csrf_from(client.get("/admin/login").text)
    conversation = seeded.conversations["wages"]
    client.post(f"/admin/conversations/{conversation}/review", data={"csrf_token": token, "reviewed": "1"})
    client.post(f"/admin/conversations/{conversation}/tags", data={"csrf_token": token, "tag": "x"})
    assert db["admin_reviews"].count == 0
    assert db["admin_tags"].count == 0


def test_login_page_and_css_are_public(app):
    client = app.test_client()
    page = client.get("/admin/login")
    assert page.status_code == 200
    assert 'type="password"' in page.text
    css = client.get("/admin/static/admin.css")
    assert css.status_code == 200 and b".bubble" in css.data


def test_static_folder_holds_only_assets():
    from bot.gateway.admin.views import bp

    files = [p for p in Path(bp.static_folder).rglob("*") if p.is_file()]
    assert files and all(p.suffix in {".css", ".svg", ".png", ".js"} for p in files)


def test_login_then_logout(app, seeded):
    create_user(app)
    client = app.test_client()
    response = login(client)
    assert response.status_code == 302 and response.location == "/admin/"
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    inbox = client.get("/admin/")
    assert inbox.status_code == 200 and "amei" in inbox.text
    out = client.post("/admin/logout", data={"csrf_token": csrf_from(inbox.text)})
    assert out.status_code == 302 and out.location == "/admin/login"
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/export/transcripts.csv").status_code == 401


def test_wrong_password_is_refused(app, db):
    create_user(app)
    client = app.test_client()
    response = login(client, password=PASSWORD + "x")
    assert response.status_code == 401
    assert "用户名或密码不对" in response.text
    assert client.get("/admin/").status_code == 302
    unknown = login(app.test_client(), name="nobody", password=PASSWORD, REMOTE_ADDR="10.0.0.2")
    assert unknown.status_code == 401 and "用户名或密码不对" in unknown.text  # same answer: no enumeration
    actions = [row["action"] for row in db.query("SELECT action FROM admin_audit ORDER BY id")]
    assert actions.count("login_failed") == 2


def test_username_is_case_insensitive_and_disabled_users_cannot_log_in(app):
    create_user(app)
    assert login(app.test_client(), name="AMEI").status_code == 302
    result = app.test_cli_runner().invoke(args=["admin", "disable-user", "amei"])
    assert result.exit_code == 0
    assert login(app.test_client()).status_code == 401


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/admin",
        "/\\evil.example",
        "javascript:alert(1)",
        "/api/history",
    ],
)
def test_login_never_redirects_off_the_console(app, target):
    create_user(app)
    client = app.test_client()
    token = csrf_from(client.get("/admin/login").text)
    response = client.post(
        "/admin/login", data={"csrf_token": token, "username": "amei", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302 and response.location == "/admin/"


def test_login_returns_to_the_page_asked_for(app, seeded):
    create_user(app)
    client = app.test_client()
    conversation = seeded.conversations["wages"]
    first = client.get(f"/admin/conversations/{conversation}?low=1")
    target = first.location.split("next=")[1]
    token = csrf_from(client.get(first.location).text)
    response = client.post(
        "/admin/login",
        data={"csrf_token": token, "username": "amei", "password": PASSWORD, "next": unquote(target)},
    )
    assert response.location == f"/admin/conversations/{conversation}?low=1"


@pytest.mark.parametrize("token", [None, "", "wrong-token", "仲裁"])
def test_post_without_the_right_csrf_token_is_400(staff, seeded, db, token):
    conversation = seeded.conversations["wages"]
    data = {"reviewed": "1"} if token is None else {"reviewed": "1", "csrf_token": token}
    response = staff.client.post(f"/admin/conversations/{conversation}/review", data=data)
    assert response.status_code == 400
    assert db["admin_reviews"].count == 0
    # the same form with the token works
    assert staff.post(f"/admin/conversations/{conversation}/review", {"reviewed": "1"}).status_code == 302
    assert db["admin_reviews"].count == 1


def test_login_form_needs_the_csrf_token(app):
    create_user(app)
    client = app.test_client()
    client.get("/admin/login")
    response = client.post("/admin/login", data={"username": "amei", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_logout_needs_the_csrf_token(staff):
    assert staff.client.post("/admin/logout").status_code == 400
    assert staff.get("/admin/").status_code == 200  # still logged in


def test_csrf_token_changes_at_login(app):
    create_user(app)
    client = app.test_client()
    before = csrf_from(client.get("/admin/login").text)
    login(client)
    after = csrf_from(client.get("/admin/").text)
    assert before != after


def test_pages_are_not_cached_nor_framed(staff):
    response = staff.get("/admin/")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy  # the console's own file only
    assert "default-src 'none'" in policy


def test_a_new_password_ends_open_sessions(app, staff):
    new = "another-long-password"
    result = app.test_cli_runner().invoke(args=["admin", "set-password", "amei"], input=f"{new}\n{new}\n")
    assert result.exit_code == 0, result.output
    assert staff.get("/admin/").status_code == 302


def test_sessions_expire(app, staff, monkeypatch):
    from bot.gateway.admin import clock

    later = clock.epoch() + app.config["ADMIN_SESSION_HOURS"] * 3600 + 1
    monkeypatch.setattr(clock, "epoch", lambda: later)
    assert staff.get("/admin/").status_code == 302


FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)


def test_every_post_form_carries_the_csrf_token(staff, seeded):
    conversation = seeded.conversations["handoff"]
    message = seeded.user_messages["handoff"][1]
    staff.post(f"/admin/conversations/{conversation}/tags", {"tag": "方言"})
    staff.post(f"/admin/messages/{message}/correction", {"intent": "human_handoff"})
    pages = ["/admin/", f"/admin/conversations/{conversation}", "/admin/handoffs", "/admin/corrections"]
    pages += ["/admin/dashboard", "/admin/audit"]
    posts = 0
    for url in pages:
        for form in FORM.findall(staff.get(url).text):
            if 'method="post"' in form:
                posts += 1
                assert f'name="csrf_token" value="{staff.token}"' in form, form[:200]
    assert posts >= 12  # logout on each page, and the transcript's and the queue's forms


def test_a_csrf_failure_is_in_the_audit_log(app, db, staff, seeded):
    conversation = seeded.conversations["wages"]
    forged = staff.client.post(
        f"/admin/conversations/{conversation}/review",
        data={"reviewed": "1", "csrf_token": "forged"},
        environ_base={"REMOTE_ADDR": "10.0.0.5"},
    )
    assert forged.status_code == 400
    anonymous = app.test_client()
    anonymous.get("/admin/login")
    form = {"username": "amei", "password": PASSWORD}
    assert (
        anonymous.post("/admin/login", data=form, environ_base={"REMOTE_ADDR": "10.0.0.6"}).status_code == 400
    )
    rows = list(
        db.query("SELECT staff, action, detail FROM admin_audit WHERE action = 'csrf_refused' ORDER BY id")
    )
    assert [(row["staff"], json.loads(row["detail"])) for row in rows] == [
        (
            "amei",
            {"address": "10.0.0.5", "method": "POST", "path": f"/admin/conversations/{conversation}/review"},
        ),
        ("?", {"address": "10.0.0.6", "method": "POST", "path": "/admin/login"}),
    ]
    assert db["admin_reviews"].count == 0

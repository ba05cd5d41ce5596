"""Odd input from the address bar gets a page or a polite 4xx, never a 500: extreme dates, ids too big for
SQLite, line breaks in the login's `next=`."""

from __future__ import annotations

import pytest

from tests.gateway.admin.conftest import PASSWORD, build_app, create_user, csrf_from, login
from tests.gateway.admin.pages import total

TOO_BIG = "12345678901234567890"  # 20 digits: more than SQLite's 64-bit integers hold


@pytest.fixture
def app(tmp_path):
    # errors become the 500 page a browser would get, instead of exceptions raised into the test
    return build_app(tmp_path, PROPAGATE_EXCEPTIONS=False)


@pytest.mark.parametrize(
    "dates",
    [
        {"from": "0001-01-01"},
        {"to": "9999-12-31"},
        {"from": "0001-01-01", "to": "9999-12-31"},
        {"from": "9999-12-31", "to": "0001-01-01"},
    ],
)
@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/dashboard",
        "/admin/corrections",
        "/admin/export/transcripts.csv",
        "/admin/export/corrections.yml",
    ],
)
def test_extreme_dates_are_a_page_not_a_500(staff, seeded, url, dates):
    assert staff.get(url, query_string=dates).status_code == 200


def test_dates_beyond_any_transcript_mean_from_the_start_and_until_now(staff, seeded):
    everything = total(staff.get("/admin/").text)
    assert everything == 8
    assert total(staff.get("/admin/", query_string={"from": "0001-01-01"}).text) == everything
    assert total(staff.get("/admin/", query_string={"to": "9999-12-31"}).text) == everything
    assert total(staff.get("/admin/", query_string={"from": "9999-12-31"}).text) == 0
    assert total(staff.get("/admin/", query_string={"to": "0001-01-01"}).text) == 0


@pytest.mark.parametrize("number", [TOO_BIG, str(2**63)])
def test_an_id_too_big_for_sqlite_is_404(staff, db, seeded, number):
    logged = db["admin_audit"].count
    assert staff.get(f"/admin/conversations/{number}").status_code == 404
    for url, form in [
        (f"/admin/conversations/{number}/review", {"reviewed": "1"}),
        (f"/admin/conversations/{number}/tags", {"tag": "x"}),
        (f"/admin/conversations/{number}/notes", {"body": "x"}),
        (f"/admin/handoffs/{number}/handled", {}),
        (f"/admin/messages/{number}/correction", {"intent": "human_handoff"}),
    ]:
        assert staff.post(url, form).status_code == 404, url
    assert db["admin_audit"].count == logged  # nothing was done


def test_the_largest_sqlite_id_is_an_ordinary_404(staff):
    assert staff.get(f"/admin/conversations/{2**63 - 1}").status_code == 404


def test_a_handled_mark_up_to_a_number_too_big_for_sqlite_means_up_to_the_last_message(staff, db, seeded):
    conversation = seeded.conversations["handoff"]
    last = db.execute("SELECT max(id) FROM messages WHERE conversation_id = ?", [conversation]).fetchone()[0]
    response = staff.post(f"/admin/handoffs/{conversation}/handled", {"upto": "-" + TOO_BIG})
    assert response.status_code == 302
    rows = list(db.query("SELECT conversation_id, upto_message_id FROM admin_handoffs"))
    assert rows == [{"conversation_id": conversation, "upto_message_id": last}]


@pytest.mark.parametrize("breaks", ["\r\n", "\n", "\r", "\x00", "\t"])
def test_control_characters_in_next_redirect_to_the_inbox(app, breaks):
    create_user(app)
    client = app.test_client()
    token = csrf_from(client.get("/admin/login").text)
    target = f"/admin/{breaks}Set-Cookie: injected=1"
    form = {"csrf_token": token, "username": "amei", "password": PASSWORD, "next": target}
    response = client.post("/admin/login", data=form)
    assert response.status_code == 302 and response.location == "/admin/"
    assert not any("injected" in header for header in response.headers.getlist("Set-Cookie"))
    # logged in already: the login page sends you on, just as safely
    again = client.get("/admin/login", query_string={"next": target})
    assert again.status_code == 302 and again.location == "/admin/"
    assert "injected" not in str(again.headers)


def test_a_line_break_in_a_page_address_survives_the_trip_through_the_login(app, seeded):
    create_user(app)
    client = app.test_client()
    first = client.get("/admin/", query_string={"q": "仲裁\r\nX-Injected: 1"})
    assert first.status_code == 302 and "\n" not in first.location and "X-Injected" not in first.headers
    assert login(client).status_code == 302

"""POST /api/messages, GET /api/history and /healthz, against a stand-in upstream on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from tests.gateway import db
from tests.gateway.standin import ARBITRATION_BUTTON


def ask_page(client, message):
    """As the chat page posts: no sender, the cookie says whose conversation it is."""
    response = client.post("/api/messages", json={"message": message})
    assert response.status_code == 200
    return response.get_json()


def ask(client, message, sender="web-user-1"):
    response = client.post("/api/messages", json={"sender": sender, "message": message})
    assert response.status_code == 200
    return response.get_json()


def shape(replies):
    """Rasa's REST shape: what an integration reads (our page also reads "id" and "handoff")."""
    return [{"text": r["text"], "buttons": r["buttons"]} for r in replies]


def test_a_question_gets_the_bot_reply_in_rasa_rest_shape(client, app, upstream, kb):
    replies = ask(client, "老板拖欠工资怎么办")
    assert shape(replies) == [{"text": kb.render("unpaid_wages"), "buttons": [ARBITRATION_BUTTON]}]
    stored = db.messages(app, sender="web-user-1", direction="out")
    assert [(r["id"], r["handoff"]) for r in replies] == [(stored[0]["id"], False)]
    assert "0874-5125539" in replies[0]["text"]
    assert upstream.calls == [{"sender": "web:web-user-1", "message": "老板拖欠工资怎么办", "want": True}]


def test_the_turn_is_stored_with_what_rasa_understood(client, app, kb):
    ask(client, "老板拖欠工资怎么办，我手机13912345678", sender="s-store")
    incoming, outgoing = db.messages(app, sender="s-store")
    assert incoming["direction"] == "in" and incoming["channel"] == "web"
    assert incoming["text"] == "老板拖欠工资怎么办，我手机[手机号]"
    assert (incoming["intent"], incoming["faq_key"], incoming["confidence"]) == (
        "faq",
        "faq/unpaid_wages",
        0.97,
    )
    assert incoming["actions"] == ["action_answer_faq"] and incoming["error"] is None
    assert incoming["latency_ms"] >= 0
    assert outgoing["direction"] == "out" and outgoing["text"] == kb.render("unpaid_wages")
    assert outgoing["buttons"] == [ARBITRATION_BUTTON]


def test_rasa_receives_the_masked_text(client, upstream):
    ask(client, "身份证530326199001011234能领补贴吗")
    assert upstream.messages() == ["身份证[身份证号]能领补贴吗"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b""])
def test_an_unreadable_request_gets_a_polite_reply_and_is_stored(client, app, upstream, kb, body):
    response = client.post("/api/messages", data=body, content_type="application/json")
    assert response.status_code == 200
    assert response.get_json() == [{"text": kb.render("bad_input"), "buttons": []}]
    incoming = db.messages(app, direction="in")
    assert [m["text"] for m in incoming] == [body.decode()] and incoming[0]["actions"] == [
        "gateway_bad_request"
    ]
    assert upstream.calls == []


def test_a_body_over_the_size_limit_gets_a_polite_reply(client, app, upstream, kb):
    response = client.post("/api/messages", json={"sender": "big", "message": "长" * 40_000})
    assert response.status_code == 200
    assert response.get_json() == [{"text": kb.render("too_long"), "buttons": []}]
    assert db.messages(app, direction="in")[0]["actions"] == ["gateway_too_large"] and upstream.calls == []


@pytest.mark.parametrize("message", ["", None, 42, "   "])
def test_an_empty_message_is_passed_to_the_bot_which_asks_again(client, app, upstream, message):
    upstream.answer = lambda text: (
        [{"text": "请用文字把想问的事打出来"}],
        {"intent": "bad_input", "confidence": 1},
    )
    replies = ask(client, message, sender="empty")
    assert shape(replies) == [{"text": "请用文字把想问的事打出来", "buttons": []}]
    assert [m["direction"] for m in db.messages(app, sender="empty")] == ["in", "out"]
    assert db.messages(app, sender="empty")[0]["intent"] == "bad_input"


def test_a_missing_sender_without_a_cookie_gets_a_conversation_of_its_own(app, upstream):
    first, second = app.test_client(), app.test_client()
    first.post("/api/messages", json={"message": "工资"})
    second.post("/api/messages", json={"message": "工资"})
    senders = [call["sender"] for call in upstream.calls]
    assert senders == [
        f"web:{first.get_cookie('huize_chat').value}",
        f"web:{second.get_cookie('huize_chat').value}",
    ]
    assert senders[0] != senders[1] and senders[0].startswith("web:page-")


def test_rasa_stopped_gives_the_phones_within_the_budget(make_app, closed_port, kb):
    app = make_app(RASA_URL=f"http://127.0.0.1:{closed_port}", WEB_BUDGET_SECONDS=1.0)
    started = time.monotonic()
    replies = ask(app.test_client(), "老板拖欠工资怎么办", sender="down")
    assert time.monotonic() - started < 1.5
    assert shape(replies) == [{"text": kb.render("error"), "buttons": []}]
    assert "12333" in replies[0]["text"] and "0874-5120155" in replies[0]["text"]
    incoming, outgoing = db.messages(app, sender="down")
    assert incoming["text"] == "老板拖欠工资怎么办" and incoming["error"] == "rasa_unreachable"
    assert outgoing["text"] == kb.render("error") and outgoing["error"] == "rasa_unreachable"


def test_rasa_slower_than_the_budget_gives_the_phones_in_time(make_app, upstream, kb):
    upstream.delay = 2.0
    app = make_app(WEB_BUDGET_SECONDS=0.5)
    started = time.monotonic()
    replies = ask(app.test_client(), "老板拖欠工资怎么办", sender="slow")
    assert time.monotonic() - started < 1.2
    assert replies[0]["text"] == kb.render("error")
    assert db.messages(app, sender="slow")[0]["error"] == "rasa_timeout"
    assert len(upstream.calls) == 1  # a read timeout is not retried: Rasa may be answering


def test_rasa_failing_gives_the_phones(client, app, upstream, kb):
    upstream.webhook_status = 500
    assert ask(client, "工资", sender="500")[0]["text"] == kb.render("error")
    assert db.messages(app, sender="500")[0]["error"] == "rasa_http_500"


def test_action_server_failure_is_recorded(client, app, upstream, kb):
    upstream.action_server_failed = True
    upstream.answer = lambda text: ([{"text": kb.render("error")}], {"intent": "faq", "confidence": 0.9})
    assert ask(client, "工资", sender="actions")[0]["text"] == kb.render("error")
    assert db.messages(app, sender="actions")[0]["error"] == "action_server"


def test_history_returns_the_cookies_conversation(client):
    client.get("/")  # the page: its conversation id comes in the cookie
    ask_page(client, "老板拖欠工资怎么办，电话13912345678")
    ask_page(client, ARBITRATION_BUTTON["payload"])
    ask(client, "别人的问题", sender="someone-else")
    response = client.get("/api/history")
    assert response.status_code == 200
    messages = response.get_json()["messages"]
    assert [m["direction"] for m in messages] == ["in", "out", "in", "out"]
    assert messages[0]["text"] == "老板拖欠工资怎么办，电话[手机号]"
    assert messages[1]["buttons"] == [ARBITRATION_BUTTON]  # the payload is kept for the page
    assert messages[2]["text"] == ARBITRATION_BUTTON["payload"]
    assert all(m["at"].endswith("+00:00") and "T" in m["at"] for m in messages)


def test_history_without_the_cookie_is_empty_and_never_serves_wechat(app, client, platform):
    platform.post(client, platform.text("o-wechat-user", "工资"))
    assert client.get("/api/history", query_string={"sender": "o-wechat-user"}).get_json() == {"messages": []}
    assert app.test_client().get("/api/history").get_json() == {"messages": []}


def test_healthz_all_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "gateway": "up",
        "rasa": "up",
        "actions": "up",
        "transcripts": "up",
        "spooled_bytes": 0,
    }


def test_healthz_says_rasa_is_down_when_the_gateway_has_the_wrong_token(make_app):
    response = make_app(RASA_TOKEN="guessed").test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["rasa"] == "down"


def test_healthz_rasa_down(make_app, closed_port):
    response = make_app(RASA_URL=f"http://127.0.0.1:{closed_port}").test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
    assert (response.get_json()["rasa"], response.get_json()["actions"]) == ("down", "up")


def test_healthz_action_server_down(make_app, closed_port):
    response = make_app(ACTIONS_URL=f"http://127.0.0.1:{closed_port}").test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["actions"] == "down"


def test_healthz_rasa_without_a_model(client, upstream):
    upstream.health_status = 409  # what Rasa's /status says before a model is loaded
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["rasa"] == "down"


# Issue #13, item 10: headers app-wide, and JSON only on the chat API -------------------------------


@pytest.mark.parametrize("path", ["/", "/api/history?sender=x", "/healthz"])
def test_every_page_and_api_answer_has_the_security_headers(client, path):
    response = client.get(path)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_cross_site_simple_request_is_refused_and_reaches_nobody(client, app, upstream, content_type):
    # another site can send these without a preflight: they must not post into a conversation
    body = '{"sender": "victim", "message": "不算了"}'
    response = client.post("/api/messages", data=body, content_type=content_type)
    assert response.status_code == 415 and isinstance(response.get_json(), list)
    assert upstream.calls == [] and db.messages(app, direction="in") == []


# Issue #13, item 4: odd input gets a polite JSON answer, never an HTML 500 -----------------------------


@pytest.mark.parametrize(
    "raw",
    [
        '{"sender": "s-sur", "message": "\\ud800工资"}',
        '{"sender": "\\udfff", "message": "老板拖欠工资怎么办"}',
        '{"sender": "s-sur2", "message": "👨\\u200d👩\\u200d👧" }',
    ],
)
def test_a_lone_surrogate_gets_a_polite_answer(client, app, raw):
    response = client.post("/api/messages", data=raw, content_type="application/json")
    assert response.status_code == 200 and isinstance(response.get_json(), list)
    stored = [m["text"] for m in db.messages(app, direction="in")]
    assert stored and all("\ud800" not in t and "\udfff" not in t for t in stored)


def test_json_nested_very_deep_gets_a_polite_answer(client, upstream, kb):
    raw = "[" * 20_000 + "]" * 20_000
    response = client.post("/api/messages", data=raw, content_type="application/json")
    assert response.status_code == 200
    assert response.get_json() == [{"text": kb.render("bad_input"), "buttons": []}]
    assert upstream.calls == []


# Issue #13, item 8: the page's conversation is the cookie's, nobody else's -----------------------------


def test_the_page_gets_a_random_conversation_id_in_an_httponly_samesite_cookie(app):
    first, second = app.test_client(), app.test_client()
    header = first.get("/").headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    second.get("/")
    assert first.get_cookie("huize_chat").value != second.get_cookie("huize_chat").value
    kept = first.get_cookie("huize_chat").value
    first.get("/")
    assert first.get_cookie("huize_chat").value == kept  # a reload keeps the conversation


def test_a_stranger_can_neither_read_nor_write_a_page_conversation(app, client, upstream, kb):
    client.get("/")
    ask_page(client, "交通补贴怎么领")
    victim = client.get_cookie("huize_chat").value
    stranger = app.test_client()
    assert stranger.get("/api/history", query_string={"sender": victim}).get_json() == {"messages": []}
    refused = stranger.post("/api/messages", json={"sender": victim, "message": "不算了"})
    assert refused.status_code == 403
    assert refused.get_json() == [{"text": kb.render("not_your_conversation"), "buttons": []}]
    assert upstream.messages() == ["交通补贴怎么领"]  # the stranger's message never reached Rasa
    assert [
        m["text"] for m in client.get("/api/history").get_json()["messages"] if m["direction"] == "in"
    ] == ["交通补贴怎么领"]
    forged = app.test_client()
    forged.set_cookie("huize_chat", "page-made-up")  # not an id the server issues: a new conversation
    forged.post("/api/messages", json={"message": "工资"})
    assert upstream.calls[-1]["sender"] != "web:page-made-up"


def test_an_integration_keeps_its_own_sender_ids(client, upstream):
    ask(client, "工资", sender="village-app-42")
    assert upstream.calls[-1]["sender"] == "web:village-app-42"
    assert client.post("/api/messages", json={"sender": "page-x", "message": "工资"}).status_code == 403


def test_messages_are_rate_limited_per_conversation(make_app, upstream, kb):
    client = make_app(CHAT_RATE_CONVERSATION="3/60").test_client()
    statuses = [
        client.post("/api/messages", json={"sender": "fast", "message": "工资"}).status_code for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    limited = client.post("/api/messages", json={"sender": "fast", "message": "工资"})
    assert limited.get_json() == [{"text": kb.render("too_fast"), "buttons": []}]
    assert 1 <= int(limited.headers["Retry-After"]) <= 20
    assert len(upstream.calls) == 3
    assert client.post("/api/messages", json={"sender": "another", "message": "工资"}).status_code == 200


def test_messages_are_rate_limited_per_address_whatever_the_sender(make_app):
    client = make_app(CHAT_RATE_ADDRESS="4/60").test_client()

    def post(sender, address="10.1.1.1"):
        return client.post(
            "/api/messages", json={"sender": sender, "message": "工资"}, environ_base={"REMOTE_ADDR": address}
        ).status_code

    assert [post(f"rotating-{i}") for i in range(6)] == [200] * 4 + [429] * 2
    assert post("rotating-9", address="10.2.2.2") == 200


def test_history_is_rate_limited_too(make_app):
    client = make_app(HISTORY_RATE_CONVERSATION="2/60").test_client()
    client.get("/")
    assert [client.get("/api/history").status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.parametrize("text", ["x", "0/60", "5/0", "-1/60"])
def test_a_rate_limit_that_cannot_be_read_stops_the_start(make_app, text):
    with pytest.raises(ValueError):
        make_app(CHAT_RATE_CONVERSATION=text)

"""Issue #14, the server side of the chat page: the greeting without a fake "你好" (item 4), 👍/👎
stored with the turn (8), a button's title stored with its payload (12), the number a worker leaves
when he asks for a person, and staff replies into his conversation on both channels (6)."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from actions import topics
from bot.gateway import staff_reply, transcripts
from tests.gateway import db


@pytest.fixture
def page(app):
    """A browser that has opened the chat page: it holds the conversation's cookie."""
    client = app.test_client()
    client.get("/")
    client.conversation = client.get_cookie("huize_chat").value
    return client


def test_the_greeting_comes_without_a_message_the_worker_never_sent(app, page, upstream, kb):
    replies = page.get("/api/welcome").get_json()
    assert [(r["text"], r["buttons"]) for r in replies] == [(kb.render("greet"), topics.menu_buttons())]
    stored = db.messages(app, sender=page.conversation)
    assert [(m["direction"], m["actions"]) for m in stored] == [("out", ["gateway_welcome"])]
    assert replies[0]["id"] == stored[0]["id"] and upstream.calls == []  # Rasa was not asked
    history = page.get("/api/history").get_json()["messages"]
    assert [m["text"] for m in history] == [kb.render("greet")]


def test_the_worker_rates_an_answer_of_his_own_conversation_only(app, page):
    answer = page.post("/api/messages", json={"message": "老板拖欠工资怎么办"}).get_json()[0]
    assert page.post("/api/feedback", json={"id": answer["id"], "value": "down"}).get_json() == {"ok": True}
    assert db.messages(app, id=answer["id"])[0]["feedback"] == "down"
    assert page.get("/api/history").get_json()["messages"][-1]["feedback"] == "down"
    page.post("/api/feedback", json={"id": answer["id"], "value": None})
    assert db.messages(app, id=answer["id"])[0]["feedback"] is None
    question_id = answer["id"] - 1
    assert (
        page.post("/api/feedback", json={"id": question_id, "value": "up"}).status_code == 404
    )  # his own words
    stranger = app.test_client()
    stranger.get("/")
    assert stranger.post("/api/feedback", json={"id": answer["id"], "value": "up"}).status_code == 404
    for bad in (
        {"id": answer["id"], "value": "meh"},
        {"id": "1", "value": "up"},
        {"id": True, "value": "up"},
    ):
        assert page.post("/api/feedback", json=bad).status_code == 400
    assert (
        app.test_client().post("/api/feedback", json={"id": answer["id"], "value": "up"}).status_code == 400
    )
    assert db.messages(app, id=answer["id"])[0]["feedback"] is None


def test_a_tapped_button_is_stored_as_its_title_with_the_payload_kept(app, page, upstream):
    payload = '/faq{"topic":"transport_subsidy"}'
    page.post("/api/messages", json={"message": payload, "title": "交通补助"})
    question = db.messages(app, sender=page.conversation, direction="in")[0]
    assert (question["text"], question["payload"]) == ("交通补助", payload)
    assert upstream.messages() == [payload]  # Rasa gets the payload
    page.post("/api/messages", json={"message": "工资", "title": "假标题"})  # typed text: no title
    typed = db.messages(app, sender=page.conversation, direction="in")[1]
    assert (typed["text"], typed["payload"]) == ("工资", None)


def test_the_last_reply_to_a_request_for_a_person_says_so(page, upstream):
    upstream.answer = lambda text: (
        [{"text": "可以打电话"}, {"text": "也可以留电话"}],
        {"intent": "human_handoff", "confidence": 0.99},
    )
    replies = page.post("/api/messages", json={"message": "我要找人工"}).get_json()
    assert [r["handoff"] for r in replies] == [False, True]


def test_a_number_left_for_a_call_back_is_masked_in_the_transcript_and_kept_for_the_handoff_page(
    app, page, kb
):
    answer = page.post("/api/callback", json={"phone": "139 1234 5678"}).get_json()
    assert answer == {"ok": True, "text": kb.render("callback_taken")}
    said = db.messages(app, sender=page.conversation)
    assert [(m["text"], m["actions"]) for m in said] == [("[手机号]", ["gateway_callback"])]
    assert db.scalar(app, "SELECT phone FROM callbacks") == "13912345678"
    refused = page.post("/api/callback", json={"phone": "12345"})
    assert refused.status_code == 400 and refused.get_json()["error"] == kb.render("callback_bad_number")
    assert (
        app.test_client().post("/api/callback", json={"phone": "13912345678"}).status_code == 400
    )  # no cookie
    assert db.scalar(app, "SELECT count(*) FROM callbacks") == 1


def test_the_page_polls_only_what_is_new(page):
    page.post("/api/messages", json={"message": "工资"})
    first = page.get("/api/history").get_json()["messages"]
    assert page.get("/api/history", query_string={"after": first[-1]["id"]}).get_json() == {"messages": []}
    page.post("/api/messages", json={"message": "交通补贴怎么领"})
    newer = page.get("/api/history", query_string={"after": first[-1]["id"]}).get_json()["messages"]
    assert [m["direction"] for m in newer] == ["in", "out"] and newer[0]["text"] == "交通补贴怎么领"
    assert page.get("/api/history", query_string={"after": "9" * 25}).status_code == 200


def conversation_of(app, channel, sender):
    with app.app_context():
        row = (
            transcripts.get_db()
            .execute(
                "SELECT id, channel, sender FROM conversations WHERE channel = ? AND sender = ?",
                [channel, sender],
            )
            .fetchone()
        )
    return {"id": row[0], "channel": row[1], "sender": row[2]}


def test_a_staff_reply_reaches_the_web_worker_through_the_history_he_polls(app, page):
    page.post("/api/messages", json={"message": "我要找人工"})
    seen = page.get("/api/history").get_json()["messages"][-1]["id"]
    with app.test_request_context():
        result = staff_reply.send(
            transcripts.get_db(),
            conversation_of(app, "web", page.conversation),
            "您好，我是阿梅，明天给您回电。",
            "amei",
        )
    assert result.sent
    new = page.get("/api/history", query_string={"after": seen}).get_json()["messages"]
    assert [(m["direction"], m["text"], m["staff"]) for m in new] == [
        ("out", "您好，我是阿梅，明天给您回电。", True)
    ]
    assert db.messages(app, id=new[0]["id"])[0]["staff"] == "amei"


def test_a_staff_reply_to_wechat_goes_out_as_a_customer_service_message_within_48_hours(
    app, client, platform, monkeypatch
):
    platform.post(client, platform.text("o-cs", "我要找人工", msg_id=4801))
    service = app.extensions["wechat"]
    pushed = []
    monkeypatch.setattr(type(service.adapter), "can_push", property(lambda self: True))
    monkeypatch.setattr(service.adapter, "push_text", lambda openid, text: pushed.append((openid, text)))
    conversation = conversation_of(app, "wechat", "o-cs")
    with app.test_request_context():
        assert staff_reply.send(transcripts.get_db(), conversation, "明天上午回电", "amei").sent
        transcripts.get_db().execute(
            "UPDATE messages SET created_at = ? WHERE sender = 'o-cs' AND direction = 'in'",
            [(dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=49)).isoformat()],
        )
        late = staff_reply.send(transcripts.get_db(), conversation, "还在吗", "amei")
    assert pushed == [("o-cs", "明天上午回电")]
    assert not late.sent and "48" in late.why
    staff_rows = [m for m in db.messages(app, sender="o-cs") if m["staff"]]
    assert [m["text"] for m in staff_rows] == ["明天上午回电"]


def test_the_wechat_window_closes_48_hours_after_the_users_last_message():
    now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.timezone.utc)
    assert staff_reply.wechat_window("2026-11-29T13:00:00+00:00", now) == dt.datetime(
        2026, 12, 1, 13, tzinfo=dt.timezone.utc
    )
    assert staff_reply.wechat_window("2026-11-29T11:00:00+00:00", now) is None
    assert staff_reply.wechat_window(None, now) is None


def test_an_old_database_gets_the_new_columns(tmp_path):
    """A file from before buttons' payloads, 👍/👎 and staff replies (and before schema versions): the
    gateway's start adds the columns, and the chat page's features work on it."""
    path = tmp_path / "old.db"
    transcripts.init(path)
    with contextlib.closing(transcripts.connect(path)) as old:
        for column in ("payload", "feedback", "staff"):
            old.execute(f"ALTER TABLE messages DROP COLUMN {column}")
        old.execute("PRAGMA user_version = 0")
    transcripts.init(path)
    with contextlib.closing(transcripts.connect(path)) as upgraded:
        transcripts.record(upgraded, "web", "w", "in", "仲裁期限", payload="/check_arbitration_deadline")
        reply = transcripts.record(upgraded, "web", "w", "out", "明天上午回电", staff="amei")
        assert transcripts.set_feedback(upgraded, "web", "w", reply, "up")
        shown = transcripts.history(upgraded, "web", "w")
    assert [(m["text"], m["feedback"], m["staff"]) for m in shown] == [
        ("仲裁期限", None, False),
        ("明天上午回电", "up", True),
    ]

"""End to end through the gateway: the real Rasa server and action server behind /api/messages,
/healthz and /wechat (the stack fixture: loopback ports, trained model from models/)."""

from __future__ import annotations

import json
import sqlite3
import uuid

import pytest

from bot.gateway import create_app
from tests.gateway.wechat_platform import WeChatPlatform

pytestmark = pytest.mark.e2e


@pytest.fixture
def gateway(stack, tmp_path):
    platform = WeChatPlatform()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "e2e",
            "RASA_URL": stack.rasa_url,
            "RASA_TOKEN": stack.rasa_token,
            "ACTIONS_URL": f"http://127.0.0.1:{stack.actions_port}",
            "TRANSCRIPTS_DB": str(tmp_path / "transcripts.db"),
            # generous: the first inference of a freshly loaded model is slow on a busy CI machine
            "RASA_BUDGET_SECONDS": 20.0,
            "WECHAT_TOKEN": platform.token,
            "WECHAT_AES_KEY": platform.aes_key,
            "WECHAT_APPID": platform.appid,
        },
        instance_path=tmp_path / "instance",
    )
    return app, platform


def transcript(app, sender):
    with sqlite3.connect(app.config["TRANSCRIPTS_DB"]) as conn:
        conn.row_factory = sqlite3.Row
        return [
            dict(r) for r in conn.execute("SELECT * FROM messages WHERE sender = ? ORDER BY id", [sender])
        ]


def test_a_real_question_gets_the_policy_answer_and_is_stored(gateway, kb):
    app, _ = gateway
    sender = "e2e-" + uuid.uuid4().hex
    response = app.test_client().post(
        "/api/messages", json={"sender": sender, "message": "老板拖欠工资怎么办"}
    )
    assert response.status_code == 200
    replies = response.get_json()
    assert replies[0]["text"] == kb.render("unpaid_wages")
    assert "0874-5125539" in replies[0]["text"] and "12333" in replies[0]["text"]
    incoming, outgoing = transcript(app, sender)[:2]  # then the details bubble
    assert (incoming["direction"], incoming["text"]) == ("in", "老板拖欠工资怎么办")
    assert incoming["intent"] == "faq" and incoming["faq_key"] == "faq/unpaid_wages"
    assert 0 < incoming["confidence"] <= 1 and json.loads(incoming["actions"]) == ["action_answer_faq"]
    assert incoming["error"] is None and incoming["latency_ms"] > 0
    assert outgoing["direction"] == "out" and outgoing["text"] == kb.render("unpaid_wages")


def test_personal_data_is_masked_before_rasa_and_the_transcript(gateway):
    app, _ = gateway
    sender = "e2e-" + uuid.uuid4().hex
    app.test_client().post(
        "/api/messages", json={"sender": sender, "message": "我电话13912345678，老板拖欠工资"}
    )
    assert transcript(app, sender)[0]["text"] == "我电话[手机号]，老板拖欠工资"


def test_healthz_says_all_up(gateway):
    app, _ = gateway
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "gateway": "up",
        "rasa": "up",
        "actions": "up",
        "transcripts": "up",
        "spooled_bytes": 0,
    }


def test_wechat_safe_mode_answer_and_a_numbered_button(gateway, kb):
    app, platform = gateway
    client, openid = app.test_client(), "o-e2e-" + uuid.uuid4().hex[:8]
    platform.post(client, platform.event(openid, "subscribe"))
    reply = platform.post(client, platform.text(openid, "1"), safe=True)  # the menu's first topic
    assert reply.content.startswith(kb.render("unpaid_wages")) and "\n回复 1 看详细" in reply.content
    details = platform.post(client, platform.text(openid, "1"), safe=True)  # "回复1看详细"
    assert details.content.startswith(kb.details("unpaid_wages"))
    picked = [r for r in transcript(app, openid) if r["direction"] == "in"][-1]
    assert picked["text"] == '/ask_details{"topic":"unpaid_wages"}' and picked["intent"] == "ask_details"
    platform.post(client, platform.text(openid, "1"), safe=True)  # the calculator, now the first button
    picked = [r for r in transcript(app, openid) if r["direction"] == "in"][-1]
    assert (
        picked["text"] == "/check_arbitration_deadline" and picked["intent"] == "check_arbitration_deadline"
    )


def test_wechat_welcome_menu_leads_to_the_real_answer(gateway, kb):
    app, platform = gateway
    client, openid = app.test_client(), "o-e2e-" + uuid.uuid4().hex[:8]
    welcome = platform.post(client, platform.event(openid, "subscribe"))
    assert welcome.content.startswith(kb.render("greet")) and "回复 1 " in welcome.content
    answer = platform.post(client, platform.text(openid, "1"))
    assert answer.content.startswith(kb.render("unpaid_wages"))
    picked = transcript(app, openid)[2]
    assert picked["text"] == '/faq{"topic":"unpaid_wages"}' and picked["intent"] == "faq"
    assert json.loads(picked["actions"]) == ["action_answer_faq"]


def test_a_misspelt_message_is_repaired_for_rasa_and_kept_as_typed_in_the_transcript(gateway, stack):
    import requests

    app, _ = gateway
    sender = "e2e-" + uuid.uuid4().hex
    app.test_client().post("/api/messages", json={"sender": sender, "message": "老板拖了公资 众裁要好久"})
    assert transcript(app, sender)[0]["text"] == "老板拖了公资 众裁要好久"  # as the worker typed it
    tracker = requests.get(
        f"{stack.rasa_url}/conversations/web:{sender}/tracker", params={"token": stack.rasa_token}, timeout=30
    ).json()
    said = [e for e in tracker["events"] if e["event"] == "user"][-1]
    assert said["text"] == "老板拖了工资 仲裁要好久"  # what the NLU read
    assert said["metadata"]["original_text"] == "老板拖了公资 众裁要好久"

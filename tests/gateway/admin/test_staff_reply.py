"""Issue #14, item 6 in the console: staff see the number a web worker left, reply into his chat (web,
or a WeChat customer-service message inside WeChat's 48 hours), and the console says when that is over."""

from __future__ import annotations

import datetime as dt
import re

from bot.gateway import transcripts


def web_worker(app, text="我要找人工"):
    """A worker on the chat page who asked for a person and left his number."""
    page = app.test_client()
    page.get("/")
    conversation = page.get_cookie("huize_chat").value
    with app.app_context():
        store = app.extensions["transcripts"]
        store.write(
            "message",
            channel="web",
            sender=conversation,
            direction="in",
            text=text,
            intent="human_handoff",
            at=transcripts.now(),
        )
    assert page.post("/api/callback", json={"phone": "13912345678"}).status_code == 200
    return page, conversation, _conversation_id(app, "web", conversation)


def _conversation_id(app, channel, sender):
    with app.app_context():
        return (
            transcripts.get_db()
            .execute("SELECT id FROM conversations WHERE channel = ? AND sender = ?", [channel, sender])
            .fetchone()[0]
        )


def test_the_number_left_is_shown_to_staff_and_the_reply_reaches_the_workers_page(app, staff, db):
    page, _, conversation_id = web_worker(app)
    seen = page.get("/api/history").get_json()["messages"][-1]["id"]
    transcript = staff.get(f"/admin/conversations/{conversation_id}").get_data(as_text=True)
    assert 'href="tel:13912345678"' in transcript  # the whole number, here only
    assert "[手机号]" in transcript  # the message itself stays masked
    assert "10 秒内" in transcript
    assert 'href="tel:13912345678"' in staff.get("/admin/handoffs").get_data(as_text=True)
    response = staff.post(
        f"/admin/conversations/{conversation_id}/reply", {"body": "您好，明天上午给您回电。"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#reply")
    new = page.get("/api/history", query_string={"after": seen}).get_json()["messages"]
    assert [(m["text"], m["staff"]) for m in new] == [("您好，明天上午给您回电。", True)]
    row = db.execute("SELECT staff, actions FROM messages WHERE id = ?", [new[0]["id"]]).fetchone()
    assert row == ("amei", '["staff_reply"]')
    assert db.execute("SELECT count(*) FROM admin_audit WHERE action = 'staff_reply'").fetchone()[0] == 1


def test_an_empty_reply_is_refused_and_nothing_stored(app, staff, db):
    _, _, conversation_id = web_worker(app)
    before = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    response = staff.post(
        f"/admin/conversations/{conversation_id}/reply", {"body": "   "}, follow_redirects=True
    )
    assert "回复是空的" in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == before


def test_a_wechat_conversation_past_48_hours_says_so_and_sends_nothing(app, staff, db):
    with app.app_context():
        store = app.extensions["transcripts"]
        old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=49)).isoformat()
        store.write("message", channel="wechat", sender="o-old", direction="in", text="找人工", at=old)
        store.write(
            "message", channel="wechat", sender="o-new", direction="in", text="找人工", at=transcripts.now()
        )
    old_id, new_id = _conversation_id(app, "wechat", "o-old"), _conversation_id(app, "wechat", "o-new")
    closed = staff.get(f"/admin/conversations/{old_id}").get_data(as_text=True)
    assert "超过 48 小时" in closed and 'aria-label="回复内容"' not in closed
    open_page = staff.get(f"/admin/conversations/{new_id}").get_data(as_text=True)
    closes = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=48)).astimezone(
        dt.timezone(dt.timedelta(hours=8))
    )
    assert re.search(rf"{closes:%Y-%m-%d %H}:\d\d 前可以发", open_page)
    response = staff.post(f"/admin/conversations/{old_id}/reply", {"body": "还在吗"}, follow_redirects=True)
    assert "48小时" in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM messages WHERE staff IS NOT NULL").fetchone()[0] == 0


def test_a_wechat_reply_from_the_console_goes_out_as_a_customer_service_message(tmp_path, monkeypatch):
    from tests.gateway.admin.conftest import Staff, build_app, create_user, csrf_from, login
    from tests.gateway.wechat_platform import WeChatPlatform

    platform = WeChatPlatform()
    app = build_app(
        tmp_path,
        WECHAT_TOKEN=platform.token,
        WECHAT_AES_KEY=platform.aes_key,
        WECHAT_APPID=platform.appid,
        WECHAT_APPSECRET="secret",
    )
    create_user(app)
    pushed = []
    adapter = app.extensions["wechat"].adapter
    monkeypatch.setattr(adapter, "push_text", lambda openid, text: pushed.append((openid, text)))
    with app.app_context():
        app.extensions["transcripts"].write(
            "message", channel="wechat", sender="o-cs", direction="in", text="找人工", at=transcripts.now()
        )
    client = app.test_client()
    login(client)
    staff = Staff(client, csrf_from(client.get("/admin/").get_data(as_text=True)))
    conversation_id = _conversation_id(app, "wechat", "o-cs")
    page = staff.get(f"/admin/conversations/{conversation_id}").get_data(as_text=True)
    assert "作为微信客服消息发出" in page
    done = staff.post(
        f"/admin/conversations/{conversation_id}/reply", {"body": "明天回电"}, follow_redirects=True
    )
    assert "已作为微信客服消息发出" in done.get_data(as_text=True)
    assert pushed == [("o-cs", "明天回电")]
    monkeypatch.setattr(adapter, "push_text", lambda openid, text: (_ for _ in ()).throw(OSError("down")))
    failed = staff.post(
        f"/admin/conversations/{conversation_id}/reply", {"body": "再试"}, follow_redirects=True
    )
    assert "微信没有接受" in failed.get_data(as_text=True)
    with app.app_context():
        staff_texts = [
            text
            for (text,) in transcripts.get_db().execute(
                "SELECT text FROM messages WHERE staff = 'amei' ORDER BY id"
            )
        ]
    assert staff_texts == ["明天回电"]  # a reply WeChat refused is not shown as sent

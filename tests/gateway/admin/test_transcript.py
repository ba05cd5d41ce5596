"""The transcript view and what staff do there: review, tags, notes, corrections — each one audited."""

from __future__ import annotations

import json
import re

from tests.gateway.admin import seeding


def audit(db) -> list[dict]:
    return list(
        db.query("SELECT staff, action, conversation_id, message_id, detail, at FROM admin_audit ORDER BY id")
    )


def test_the_conversation_as_the_worker_saw_it(staff, seeded):
    conversation = seeded.conversations["wages"]
    page = staff.get(f"/admin/conversations/{conversation}").text
    user = re.findall(r'<li class="row user[^"]*" id="m(\d+)"', page)
    bot = re.findall(r'<li class="row bot" id="m(\d+)"', page)
    assert [int(x) for x in user] == seeded.user_messages["wages"]
    assert len(bot) == 1
    bubbles = re.findall(r'<div class="bubble">(.*?)</div>', page, re.S)
    assert bubbles == [seeding.ARBITRATION, "先找老板协商，不行就打12333。"]
    # per turn: intent (FAQ key), confidence, action, latency
    assert '<span class="intent" title="意图：faq/unpaid_wages">拖欠工资</span>' in page
    assert '<span class="conf" title="置信度">0.93</span>' in page
    assert '<span class="actions" title="动作">action_answer_faq</span>' in page
    assert '<span class="latency" title="耗时">300 ms</span>' in page
    assert '<span class="chip" title="/check_arbitration_deadline">帮我算仲裁期限</span>' in page


def test_fallback_and_low_confidence_turns_are_marked(staff, seeded):
    page = staff.get(f"/admin/conversations/{seeded.conversations['two_fallbacks']}").text
    assert page.count('class="row user is-fallback is-low"') == 2
    assert page.count('<span class="badge fallback">兜底</span>') == 2
    assert '<span class="conf low" title="置信度">0.28</span>' in page
    assert "在转人工队列中" in page  # two fallbacks in a row


def test_xss_in_a_message_is_escaped_in_the_transcript(staff, seeded):
    page = staff.get(f"/admin/conversations/{seeded.conversations['xss']}").text
    assert seeding.XSS not in page
    assert '<div class="bubble">&lt;script&gt;alert(1)&lt;/script&gt;</div>' in page


def test_unknown_conversation_is_404(staff, seeded):
    assert staff.get("/admin/conversations/999").status_code == 404
    assert staff.post("/admin/conversations/999/review", {"reviewed": "1"}).status_code == 404


def test_mark_reviewed_and_undo(staff, seeded, db):
    conversation = seeded.conversations["wages"]
    response = staff.post(f"/admin/conversations/{conversation}/review?low=1", {"reviewed": "1"})
    assert response.status_code == 302 and response.location == f"/admin/conversations/{conversation}?low=1"
    page = staff.get(response.location).text
    assert re.search(r'id="review-status">已看：amei，\d{4}-\d\d-\d\d \d\d:\d\d</p>', page)
    assert "已标记为已看。" in page
    staff.post(f"/admin/conversations/{conversation}/review", {"reviewed": "0"})
    assert db["admin_reviews"].count == 0
    assert [(a["staff"], a["action"], a["conversation_id"]) for a in audit(db)[-2:]] == [
        ("amei", "review", conversation),
        ("amei", "unreview", conversation),
    ]


def test_tags(staff, seeded, db):
    conversation = seeded.conversations["xss"]
    staff.post(f"/admin/conversations/{conversation}/tags", {"tag": "方言"})
    staff.post(f"/admin/conversations/{conversation}/tags", {"tag": "方言"})  # twice: kept once
    bad = staff.post(f"/admin/conversations/{conversation}/tags", {"tag": "a, b"}, follow_redirects=True)
    assert "标签为 1–20 个汉字" in bad.text
    assert [row["tag"] for row in db.query("SELECT tag FROM admin_tags")] == ["方言"]
    staff.post(f"/admin/conversations/{conversation}/tags/remove", {"tag": "方言"})
    assert db["admin_tags"].count == 0
    actions = [(a["action"], json.loads(a["detail"])) for a in audit(db) if a["action"].startswith("tag")]
    assert actions == [
        ("tag_add", {"tag": "方言"}),
        ("tag_add", {"tag": "方言"}),
        ("tag_remove", {"tag": "方言"}),
    ]


def test_notes_are_escaped_and_masked(staff, seeded, db):
    conversation = seeded.conversations["wages"]
    staff.post(f"/admin/conversations/{conversation}/notes", {"body": "回电13912345678，<b>已说明</b>"})
    page = staff.get(f"/admin/conversations/{conversation}").text
    assert "<p>回电[手机号]，&lt;b&gt;已说明&lt;/b&gt;</p>" in page
    assert "13912345678" not in page
    assert db["admin_notes"].count == 1
    assert audit(db)[-1]["action"] == "note_add"


def test_correcting_a_turn(staff, seeded, db):
    conversation = seeded.conversations["low_recent"]
    message = seeded.user_messages["low_recent"][0]
    page = staff.get(f"/admin/conversations/{conversation}").text
    # the pick list holds the intents and FAQ keys of nlu_data, named in Chinese, the code as the title
    assert (
        '<option value="check_transport_subsidy" title="check_transport_subsidy" >算交通补助</option>' in page
    )
    assert '<option value="faq/unpaid_wages" title="faq/unpaid_wages" >拖欠工资</option>' in page
    response = staff.post(f"/admin/messages/{message}/correction", {"intent": "check_transport_subsidy"})
    assert (
        response.status_code == 302 and response.location == f"/admin/conversations/{conversation}#m{message}"
    )
    rows = list(db.query("SELECT * FROM admin_corrections"))
    assert len(rows) == 1
    row = rows[0]
    assert (row["message_id"], row["conversation_id"], row["text"]) == (message, conversation, "车票钱能报吗")
    assert (row["predicted_intent"], row["predicted_faq_key"], row["predicted_confidence"]) == (
        "faq",
        "faq/transport_subsidy",
        0.55,
    )
    assert (row["intent"], row["staff"]) == ("check_transport_subsidy", "amei")
    page = staff.get(f"/admin/conversations/{conversation}").text
    assert '已更正为 <b class="corrected-intent" title="check_transport_subsidy">算交通补助</b>' in page
    # a second correction replaces the first
    staff.post(f"/admin/messages/{message}/correction", {"intent": "faq/transport_subsidy"})
    assert [r["intent"] for r in db.query("SELECT intent FROM admin_corrections")] == [
        "faq/transport_subsidy"
    ]
    entry = audit(db)[-1]
    assert (entry["staff"], entry["action"], entry["message_id"]) == ("amei", "correct", message)
    assert json.loads(entry["detail"]) == {
        "predicted": "faq/transport_subsidy",
        "intent": "faq/transport_subsidy",
    }
    # and it can be taken back
    staff.post(f"/admin/messages/{message}/correction/delete")
    assert db["admin_corrections"].count == 0


def test_only_known_intents_and_user_turns_can_be_corrected(staff, seeded, db):
    message = seeded.user_messages["wages"][0]
    assert staff.post(f"/admin/messages/{message}/correction", {"intent": "made_up"}).status_code == 400
    assert staff.post(f"/admin/messages/{message}/correction", {"intent": "faq/nope"}).status_code == 400
    bot_message = message + 1
    assert staff.post(f"/admin/messages/{bot_message}/correction", {"intent": "greet"}).status_code == 404
    assert staff.post("/admin/messages/9999/correction", {"intent": "greet"}).status_code == 404
    assert db["admin_corrections"].count == 0


def test_neighbours_follow_the_filters(staff, seeded):
    low = sorted(seeded.ids(seeding.LOW_ALL), reverse=True)  # newest first: ids grow with time here
    page = staff.get(f"/admin/conversations/{low[1]}?low=1").text
    assert f'href="/admin/conversations/{low[0]}?low=1">较新</a>' in page
    assert f'href="/admin/conversations/{low[2]}?low=1">较早</a>' in page

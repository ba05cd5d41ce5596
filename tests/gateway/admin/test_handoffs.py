"""The handoff queue: asked for a person, or two fallbacks in a row — and nothing else."""

from __future__ import annotations

import datetime as dt
import re

from bot.gateway.admin import queries
from tests.gateway.admin import seeding

QUEUE_ROW = re.compile(r'<tr data-conversation="(\d+)">')


def queue_ids(staff) -> list[int]:
    return [int(x) for x in QUEUE_ROW.findall(staff.get("/admin/handoffs").text)]


def test_the_queue_lists_handoff_and_two_fallbacks_only(staff, seeded):
    # longest waiting first: the two fallbacks (3 days ago) before 转人工 (1.5 days ago)
    assert queue_ids(staff) == [seeded.conversations["two_fallbacks"], seeded.conversations["handoff"]]
    page = staff.get("/admin/handoffs").text
    assert '<span class="count" id="waiting-count">2</span>' in page
    assert '<span class="badge handoff">要求转人工</span>' in page
    assert '<span class="badge fallback">连续两次没听懂</span>' in page
    assert re.search(r'<td class="waited" title="[^"]+">1天1[12]小时</td>', page)
    assert re.search(r'<td class="waited" title="[^"]+">(3天0小时|2天23小时)</td>', page)
    # the worker's words that put it there
    assert ">转人工</a>" in page and ">就是那个钱嘛</a>" in page


def test_fallbacks_that_are_not_in_a_row_do_not_count(app, seeded, db):
    with app.app_context():
        queue = {row["conversation_id"]: row for row in queries.handoff_queue(db)}
    assert set(queue) == seeded.ids(seeding.QUEUE)
    assert seeded.conversations["apart_fallbacks"] not in queue
    two = queue[seeded.conversations["two_fallbacks"]]
    assert (two["asked"], two["repeated"]) == (0, 1)
    assert two["first_trigger"] == seeded.user_messages["two_fallbacks"][1]  # the second fallback
    asked = queue[seeded.conversations["handoff"]]
    assert (asked["asked"], asked["repeated"]) == (1, 0)


def test_handled_leaves_the_queue_until_the_worker_asks_again(staff, seeded, db):
    conversation = seeded.conversations["handoff"]
    last = db.execute("SELECT max(id) FROM messages WHERE conversation_id = ?", [conversation]).fetchone()[0]
    response = staff.post(
        f"/admin/handoffs/{conversation}/handled", {"upto": str(last), "note": "已回电 13912345678"}
    )
    assert response.status_code == 302 and response.location == "/admin/handoffs"
    assert queue_ids(staff) == [seeded.conversations["two_fallbacks"]]
    handled = list(db.query("SELECT staff, upto_message_id, note FROM admin_handoffs"))
    assert handled == [{"staff": "amei", "upto_message_id": last, "note": "已回电 [手机号]"}]
    entry = list(db.query("SELECT staff, action, conversation_id FROM admin_audit ORDER BY id DESC LIMIT 1"))[
        0
    ]
    assert entry == {"staff": "amei", "action": "handoff_handled", "conversation_id": conversation}
    page = staff.get("/admin/handoffs").text
    assert "最近处理的" in page and "已回电 [手机号]" in page
    # the same worker asks again later: back in the queue
    seeding.write_conversation(
        db,
        "wechat",
        "o-handoff",
        dt.datetime.now(dt.timezone.utc),
        [seeding.reply("我要找人工", "human_handoff", 0.95, "请打电话0874-5120155。")],
    )
    assert queue_ids(staff) == [seeded.conversations["two_fallbacks"], conversation]


def test_handled_never_covers_messages_the_staff_did_not_see(staff, seeded, db):
    conversation = seeded.conversations["two_fallbacks"]
    staff.post(f"/admin/handoffs/{conversation}/handled", {"upto": "999999"})
    upto = db.execute("SELECT upto_message_id FROM admin_handoffs").fetchone()[0]
    assert (
        upto
        == db.execute("SELECT max(id) FROM messages WHERE conversation_id = ?", [conversation]).fetchone()[0]
    )


def test_handled_from_the_transcript_goes_back_there(staff, seeded):
    conversation = seeded.conversations["two_fallbacks"]
    page = staff.get(f"/admin/conversations/{conversation}").text
    assert "在转人工队列中" in page and "连续两次没听懂" in page
    upto = re.search(r'name="upto" value="(\d+)"', page).group(1)
    response = staff.post(f"/admin/handoffs/{conversation}/handled", {"upto": upto, "from": "transcript"})
    assert response.location == f"/admin/conversations/{conversation}"
    assert "在转人工队列中" not in staff.get(response.location).text


def test_a_long_queue_shows_the_longest_waiting(app, seeded, db):
    assert queries.handoff_count(db) == 2
    assert [row["conversation_id"] for row in queries.handoff_queue(db, limit=1)] == [
        seeded.conversations["two_fallbacks"]
    ]
    assert queries.waiting_for(db, seeded.conversations["apart_fallbacks"]) is None
    assert queries.waiting_for(db, seeded.conversations["handoff"])["asked"] == 1

"""The console's 招工核查 filter (#17): the conversations in which a forwarded job ad was checked, and the
signs the check found, shown on the worker's message."""

from __future__ import annotations

from bot.gateway import transcripts
from policy_kb import job_ads
from tests.gateway.admin.pages import inbox_ids

AD = "【急招】普工 月薪8000 报名先交300服装费 联系王哥 [手机号]"


def checked_ad(db, sender: str = "o-ad") -> int:
    result = job_ads.check(AD)
    message_id = transcripts.record(db, "wechat", sender, "in", AD)
    transcripts.record_answer(
        db,
        message_id,
        "wechat",
        sender,
        [{"text": job_ads.reply(result), "buttons": []}],
        intent="check_job_ad",
        actions=["action_check_job_ad"],
        checks=result.keys,
    )
    return db.execute("SELECT conversation_id FROM messages WHERE id = ?", [message_id]).fetchone()[0]


def test_the_filter_keeps_only_the_conversations_with_a_checked_ad(staff, seeded, db):
    conversation = checked_ad(db)
    everything = inbox_ids(staff.get("/admin/").text)
    assert conversation in everything and len(everything) > 1
    assert inbox_ids(staff.get("/admin/", query_string={"job_ads": "1"}).text) == [conversation]
    page = staff.get("/admin/").text
    assert 'name="job_ads"' in page and "招工核查" in page


def test_the_transcript_shows_the_signs_found(staff, db):
    conversation = checked_ad(db)
    page = staff.get(f"/admin/conversations/{conversation}").text
    assert "招工核查：上班前要先交钱、" in page
    stored = db.execute("SELECT checks FROM messages WHERE direction = 'in'").fetchone()[0]
    assert '"fee_before_work"' in stored

"""End to end: a forwarded job ad through the gateway's chat API and its WeChat endpoint, the real Rasa
server and action server behind them (#17)."""

from __future__ import annotations

import json
import uuid

import pytest

from policy_kb import job_ads
from tests.e2e.test_gateway import gateway, transcript  # noqa: F401 - the fixture, and the rows reader

pytestmark = pytest.mark.e2e

AD = """🔥【高薪急招】昆山电子厂普工🔥
💰综合工资7000-9000 包吃包住
✅长白班 18-45岁 男女不限
▲报名先交三百块体检费和服装费 到厂退
📞有意者联系张哥 13922223333 微信 kszg6688"""


def ask(app, sender: str, message: str) -> list[dict]:
    response = app.test_client().post("/api/messages", json={"sender": sender, "message": message})
    assert response.status_code == 200
    return response.get_json()


def test_a_forwarded_ad_gets_its_signs_on_the_web_and_the_transcript_keeps_them(gateway, kb):  # noqa: F811
    app, _ = gateway
    sender = "ad-" + uuid.uuid4().hex
    replies = ask(app, sender, AD)
    text = replies[0]["text"]
    assert text.splitlines()[0] == job_ads.data()["reply"]["risky"]
    assert "1. 上班前要先交钱" in text and kb.contacts["inspection"].phone in text
    assert len(replies) == 1  # not split into questions, not a calculator
    incoming = [row for row in transcript(app, sender) if row["direction"] == "in"][0]
    assert incoming["intent"] == "check_job_ad"
    assert "13922223333" not in incoming["text"] and "[手机号]" in incoming["text"]  # kept, masked
    assert "fee_before_work" in json.loads(incoming["checks"])


def test_is_this_reliable_about_the_ad_before(gateway):  # noqa: F811
    app, _ = gateway
    sender = "ad-" + uuid.uuid4().hex
    ask(app, sender, AD)
    again = ask(app, sender, "这个靠谱不")[0]["text"]
    assert again.splitlines()[0] == job_ads.data()["reply"]["earlier"]
    assert "上班前要先交钱" in again
    alone = ask(app, "ad-" + uuid.uuid4().hex, "这个靠谱不")[0]["text"]
    assert alone == job_ads.send_text_reply()  # nothing before it: ask for the ad's text


def test_a_long_ad_is_read_whole(gateway):  # noqa: F811
    app, _ = gateway
    long_ad = AD + "\n" + "\n".join(f"▲岗位{n}：装配工 月薪6000-7000 包住" for n in range(60))
    assert 1500 < len(long_ad) < 3000
    text = ask(app, "ad-" + uuid.uuid4().hex, long_ad)[0]["text"]
    assert text.splitlines()[0] == job_ads.data()["reply"]["risky"] and "上班前要先交钱" in text


def test_an_ad_in_the_middle_of_a_calculation_is_checked_and_the_question_comes_back(gateway):  # noqa: F811
    app, _ = gateway
    sender = "ad-" + uuid.uuid4().hex
    ask(app, sender, "帮我算下交通补助")
    replies = ask(app, sender, AD)
    assert replies[0]["text"].splitlines()[0] == job_ads.data()["reply"]["risky"]
    assert "建档立卡" in replies[-1]["text"]  # the calculator's question again


def test_a_forwarded_ad_on_wechat(gateway, kb):  # noqa: F811
    app, platform = gateway
    client, openid = app.test_client(), "o-ad-" + uuid.uuid4().hex[:8]
    reply = platform.post(client, platform.text(openid, AD), safe=True)
    assert reply.content.startswith(job_ads.data()["reply"]["risky"])
    assert "上班前要先交钱" in reply.content and kb.contacts["police"].phone in reply.content
    incoming = [row for row in transcript(app, openid) if row["direction"] == "in"][0]
    assert incoming["intent"] == "check_job_ad" and "fee_before_work" in json.loads(incoming["checks"])


def test_an_image_or_a_link_on_wechat_and_on_the_web_asks_for_the_text(gateway):  # noqa: F811
    app, platform = gateway
    client, openid = app.test_client(), "o-ad-" + uuid.uuid4().hex[:8]
    image = platform.message(openid, "image", {"PicUrl": "http://example.invalid/a.jpg", "MediaId": "m1"})
    assert platform.post(client, image, safe=True).content == job_ads.send_text_reply()
    link = ask(app, "ad-" + uuid.uuid4().hex, "https://mp.weixin.qq.com/s/AbCdEf123")
    assert link[0]["text"] == job_ads.send_text_reply()

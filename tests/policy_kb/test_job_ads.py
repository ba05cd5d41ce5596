"""The job-ad check (#17): recognising a forwarded post, its warning signs, and the reply.

The labelled set (bot/tools/data/job_ads.yml, not_ads.yml) is scored by `make eval`; here its thresholds
are enforced: recall of "money before work" and "abroad" at least 95%, precision of all signs at least 90%.
The other tests are ads of my own, each for one rule.
"""

from __future__ import annotations

import pytest

from bot.tools import evaluate_ads
from policy_kb import job_ads
from policy_kb.understanding import ads

FEE_AD = """【急招】🔥苏州电子厂普工🔥
💰月薪6000-8000 包吃住 长白班
✅18-45岁 男女不限
▲报名先交两百服装费 到厂办入职
📞联系刘哥 13911112222"""

COMPANY_AD = """曲靖市恒达食品有限公司招聘包装工
地址：曲靖市麒麟区珠江源大道888号
月薪3800-4500 缴纳五险 包住 做六休一
年龄18-50岁 公司安排免费体检 不收任何费用
人事部电话：0874-3000000"""


@pytest.fixture(scope="module")
def report():
    return evaluate_ads.score()


def test_the_labelled_set_meets_the_thresholds(report):
    assert report["ads"] >= 60 and 0.4 <= report["ads_with_signs"] / report["ads"] <= 0.6
    assert all(row["expected"] >= 8 for row in report["signs"].values())  # every kind of sign is there
    assert report["signs"]["fee_before_work"]["recall"] >= 0.95
    assert report["signs"]["abroad"]["recall"] >= 0.95
    assert report["overall_precision"] >= 0.90
    assert report["recognised"] == report["ads"]
    assert len(report["questions_read_as_ads"]) <= 0.05 * report["questions"]


def test_a_post_is_an_ad_and_a_question_is_not():
    assert ads.recognise(FEE_AD) == "ad"
    assert ads.recognise(COMPANY_AD) == "ad"
    for question in (
        "我在东莞干了5个月 车票花了680 能补多少",
        "老板欠我8000块工资不给 咋个整",
        "组织了25名建档立卡户去上海 合同干满3个月了 能拿多少补贴",
        "包吃住的厂子好找不",
        "中介收了我300报名费 人跑了 咋办",
    ):
        assert ads.recognise(question) is None, question
    assert ads.recognise("这个靠谱不") == "about_ad"
    assert ads.recognise("帮我看看这个招工") == "about_ad"
    assert ads.recognise("https://mp.weixin.qq.com/s/AbCdEf") == "link"
    assert ads.recognise("[图片]") == "link"


def test_money_before_work_is_found_in_its_many_wordings():
    for wording in (
        "报名先交两百服装费",
        "入职前缴纳体检费150元",
        "需交押金500",
        "先交300定金占名额",
        "培训费1980",
    ):
        text = FEE_AD.replace("报名先交两百服装费", wording)
        assert "fee_before_work" in job_ads.check(text).keys, wording
    assert "fee_before_work" not in job_ads.check(COMPANY_AD).keys  # 免费体检, 不收任何费用


def test_work_abroad_is_a_sign_even_when_vague():
    for place in ("缅甸", "柬埔寨", "去国外工厂", "包机票去那边园区"):
        text = f"{place}上班 月薪1万5 包吃住 有意私聊 微信 abc12345"
        assert "abroad" in job_ads.check(text).keys, place
    assert "abroad" not in job_ads.check("西双版纳橡胶园割胶 日结200 包住 电话13900001111").keys


def test_high_pay_alone_or_easy_work_alone_is_not_the_sign():
    assert "too_good" in job_ads.check("轻松月入过万 无需经验 不限学历 电话13900001111").keys
    assert "too_good" not in job_ads.check("钢筋工 日薪500 要有证 三年经验 电话13900001111").keys
    assert "too_good" not in job_ads.check("普工 月薪4500-5500 无需经验 电话13900001111").keys


def test_an_agency_without_its_licence_and_one_with_it():
    assert "no_licence" in job_ads.check("劳务公司代招 东莞普工 月薪6000 电话13900001111").keys
    licensed = "劳务公司代招 东莞普工 月薪6000 人力资源服务许可证编号：530300000123 电话13900001111"
    assert "no_licence" not in job_ads.check(licensed).keys


def test_handing_over_cards_is_a_sign_but_showing_the_id_is_not():
    assert "documents" in job_ads.check("到厂身份证原件押在公司 干满三个月退 电话13900001111").keys
    assert "documents" in job_ads.check("帮忙办张银行卡交给我们 每张给200 微信 abc12345").keys
    assert "documents" not in job_ads.check(COMPANY_AD + "\n面试带身份证原件核验 当场归还").keys


def test_the_reply_has_the_verdict_the_reasons_how_to_check_and_where_to_report(kb):
    result = job_ads.check(FEE_AD)
    text = job_ads.reply(result)
    assert result.risky and text.splitlines()[0] == job_ads.data()["reply"]["risky"]
    assert result.keys[0] == "fee_before_work"  # the most serious first
    assert "1. 上班前要先交钱：" in text
    for phone in ("center", "inspection", "police", "antifraud"):
        assert kb.contacts[phone].phone in text
    assert "统一社会信用代码" in text and "许可证" in text
    assert "《转移就业政策问答》第5问" in text.splitlines()[-1]
    assert len(text) <= 600  # a phone screen, and one WeChat message


def test_a_clean_ad_is_never_called_safe(kb):
    result = job_ads.check(COMPANY_AD)
    text = job_ads.reply(result)
    assert not result.risky and result.reassuring == ("company_named",)
    assert text.splitlines()[0] == job_ads.data()["reply"]["no_sign"]
    assert "安全" not in text and "还要核实" in text
    assert kb.contacts["center"].phone in text


def test_abroad_names_the_national_lines(kb):
    text = job_ads.reply(job_ads.check("缅甸园区 月薪3万 包机票 无需经验 微信 mdgx8888"))
    first_sign = text.splitlines()[2]
    assert first_sign.startswith("1. 去国外、境外干活") and "拐骗" in first_sign
    assert kb.contacts["antifraud"].phone in first_sign and kb.contacts["police"].phone in first_sign


def test_an_ads_parts_are_read():
    parts = job_ads.check(FEE_AD).parts
    assert parts.mobiles == ["13911112222"]
    assert 6000 in parts.pay and 8000 in parts.pay
    assert parts.fees == [200]
    assert "苏州市（江苏省）" in parts.places or any("苏州" in place for place in parts.places)


def test_the_data_is_sound():
    assert job_ads.problems() == []

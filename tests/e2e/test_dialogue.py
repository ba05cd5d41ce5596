"""End to end (real Rasa and action server): a worker is never stuck and every fact he gives is used.

One test group per point of issue #10. The cases are our own, written for these tests; none comes from
the development set in ../shared/eval/.
"""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.e2e

GREETING = "我是会泽务工助手"


def _day(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# 1. Facts start the right calculator, anywhere -------------------------------------------------------


def test_a_case_stated_without_a_question_starts_the_calculator_with_every_fact(chat):
    reply = chat.say("卡户 在苏州厂里 干了4个月 车票四百五")
    assert GREETING not in reply
    assert "统一组织" in reply  # status, place, months and ticket were all taken: only what is missing
    chat.say("自己去的")
    result = chat.say("没领过")
    assert "可补450元" in result and "车票450元" in result and "省外" in result


def test_a_yes_after_the_transport_answer_starts_its_calculator(chat):
    assert "500元" in chat.say("出去打工车费能报不")
    reply = chat.say("是的 我家是建档立卡户")
    assert GREETING not in reply and "在哪里打工" in reply


def test_a_fact_that_fits_nothing_gets_topics_and_phones_not_the_greeting(chat, kb):
    reply = chat.say("三轮车")
    assert GREETING not in reply and kb.contacts["center"].phone in reply
    assert chat.buttons()


def test_an_organiser_stating_his_group_gets_the_organiser_calculator(chat):
    reply = chat.say("我们是劳务派遣公司 在人社局备过案 今年送了二百五十个人去江苏昆山")
    assert GREETING not in reply
    assert "建档立卡" in reply  # the organiser calculator asks whether the workers are 建档立卡


# 2. Rule questions are answered; own cases are computed ---------------------------------------------


def test_a_rule_question_naming_a_place_gets_the_rule(chat):
    reply = chat.say("我在江苏打工 报车费要准备些啥")
    assert "实名制车票复印件" in reply and "是建档立卡贫困户吗" not in reply


def test_where_to_claim_is_its_own_answer(chat, kb):
    reply = chat.say("交通补助去哪里报")
    assert kb.contacts["center"].phone in reply and "省外：500元" not in reply


def test_once_a_year_is_its_own_answer(chat):
    reply = chat.say("交通补助今年领过了 明年还可以领不")
    assert "每人每年可以领1次" in reply and "是建档立卡贫困户吗" not in reply


def test_a_rule_question_with_his_own_ticket_gets_the_rule_and_the_calculation(chat):
    reply = chat.say("去北京的火车票九百多能全报吗")
    assert "超过上限按上限补" in reply  # the rule
    assert "建档立卡" in reply and "北京" in reply  # and his own case, from the facts given


# 3. A calculator never traps ------------------------------------------------------------------------


def test_a_question_mid_calculation_is_answered_then_asked_again_and_another_calculator_switches(chat):
    assert "哪天" in chat.say("帮我算仲裁期限")
    mid = chat.say("12333是干啥的")
    assert "12333" in mid and "哪天" in mid and "我还没弄明白" not in mid
    switched = chat.say("我想算下交通补助能补好多")
    assert "建档立卡" in switched and "哪天" not in switched


def test_two_messages_that_fill_nothing_ask_whether_to_go_on_and_a_third_leaves(chat, kb):
    chat.say("帮我算下车费补助")
    chat.say("那个那个")
    assert "还要接着算交通补助吗" in chat.say("我看看哈")
    assert chat.buttons()[-2:] == ["接着算", "不算了"]
    left = chat.say("违法用工去哪里举报")
    assert "先不算了" in left and "建档立卡贫困户吗" not in left
    assert kb.contacts["inspection"].phone in left  # the question is answered as it is


def test_continue_goes_back_to_the_question(chat):
    chat.say("帮我算下车费补助")
    chat.say("那个那个")
    chat.say("我看看哈")
    assert "建档立卡" in chat.say("/continue_calc")


# 4. Corrections --------------------------------------------------------------------------------------


def _recent(month: int, day: int) -> dt.date:
    today = dt.date.today()
    this_year = dt.date(today.year, month, day)
    return this_year if this_year <= today else dt.date(today.year - 1, month, day)


def test_within_one_message_the_last_date_said_wins(chat):
    first, second = _recent(10, 20), _recent(10, 12)
    reply = chat.say("老板10月20号开始不发工资 哦不对 是10月12号 最晚哪天要仲裁")
    assert _day(second + dt.timedelta(days=60)) in reply and _day(first) not in reply


def test_after_a_result_a_correction_and_a_follow_up_recompute_and_a_new_person_starts_afresh(chat):
    assert "可补380元" in chat.say("我是建档立卡户 在宁波打工4个月了 汽车票三百八 自己去的 今年没领过")
    corrected = chat.say("不对 是两个月")
    assert "改成2个月" in corrected and "可补" not in corrected  # under 3 months: not yet
    follow = chat.say("那要是干了五个月呢")
    assert "改成5个月" in follow and "可补380元" in follow
    moved = chat.say("那在娜姑呢")
    assert "娜姑" in moved and "可补100元" in moved  # 县内 cap
    fresh = chat.say("再帮我表哥问一下")
    assert "建档立卡" in fresh and "可补" not in fresh


# 5. Forwarded text -----------------------------------------------------------------------------------


def test_a_signature_is_not_the_destination(chat):
    reply = chat.say(
        "【转发】村民赵大姐是建档立卡户，在昆明干了4个月，车票150，自己去的，今年没领过——者海镇某村第一书记"
    )
    assert "可补150元" in reply and "云南省内、会泽县外" in reply and "会泽县内（" not in reply


def test_two_peoples_cases_in_one_forward_are_computed_separately(chat):
    reply = chat.say(
        "村民张大哥是建档立卡户，在深圳干了5个月，车票600，自己出去的，今年没领过；"
        "另外村民李二嫂家也是建档立卡户，在宣威干了4个月，车票60，自己去的，今年没领过"
    )
    assert "可补500元" in reply and "车票600元" in reply  # the first person
    assert "接着算第二位" in reply and "车票60元" in reply and "可补60元" in reply  # the second, on its own


# 6. Organiser groups in parts ------------------------------------------------------------------------


def test_a_group_split_across_places_is_counted_per_tier(chat):
    reply = chat.say(
        "我们村委会组织了建档立卡的出去：10个去广东，5个去昆明，3个在县城，广东那边跑了两个，都干满4个月了"
    )
    assert "每人300元 × 8人" in reply and "2400元" in reply
    assert "每人200元 × 5人" in reply and "每人100元 × 3人" in reply
    assert "3700元" in reply and "5400元" not in reply


# Bad input: impossible facts are asked again, never computed -----------------------------------------


def test_an_impossible_fact_in_a_stated_case_is_asked_again(chat):
    reply = chat.say("建档立卡户 在广州干了三百个月 车票500")
    assert "看着不对" in reply and "可补" not in reply

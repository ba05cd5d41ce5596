"""End to end (real Rasa and action server): workers as they really type (issue #11).

Misspelt domain words, several questions in one message without numbers, overview questions, another
region's policy, a long story with the question at the end. Our own cases (none from ../shared/eval/).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

GREETING = "我是会泽务工助手"


# 1. spelling repair --------------------------------------------------------------------------------


def test_a_homophone_of_arbitration_is_understood(chat, kb):
    reply = chat.say("劳动重裁要在好久之内申请")
    assert "60天" in reply and "1年" in reply


def test_a_homophone_of_wages_is_understood(chat, kb):
    reply = chat.say("老板拖了我三个月公资不给 咋个整")
    assert kb.contacts["inspection"].phone in reply and GREETING not in reply


def test_pinyin_initials_are_understood(chat):
    reply = chat.say("jdlk户出去dg 路费能补不")
    assert "500元" in reply and GREETING not in reply


# 2. several questions in one message, without numbers ------------------------------------------------


def test_two_questions_without_numbers_get_two_answers(chat, kb):
    reply = chat.say("我想学个电焊技术 培训有补贴没得 另外违法用工去哪里举报")
    assert "【第1问】" in reply and "【第2问】" in reply
    assert "800元" in reply and kb.contacts["inspection"].phone in reply


# 3. overview answers ---------------------------------------------------------------------------------


def test_an_overview_question_gets_one_line_per_measure(chat):
    reply = chat.say("我们建档立卡户总共能享受些哪样补贴")
    assert "交通补助" in reply and "雨露计划" in reply and "公共服务岗位" in reply
    assert "用工补贴：" not in reply
    assert {"交通补助", "雨露计划"} <= set(chat.buttons())


def test_an_employer_overview(chat):
    reply = chat.say("我是开厂的 招贫困户来上班 政府总的有些哪样补贴")
    assert "用工补贴" in reply and "扶贫车间" in reply


# 4. another region's policy ---------------------------------------------------------------------------


def test_another_regions_policy_gets_no_huize_amounts(chat):
    reply = chat.say("大理那边的外出务工补贴是好多")
    assert "我只知道会泽县的政策" in reply and "12333" in reply
    assert "500元" not in reply and "300元" not in reply


def test_a_huize_workers_own_workplace_is_not_another_region(chat):
    reply = chat.say("我在东莞打工 车费能补好多")
    assert "我只知道会泽县的政策" not in reply and "建档立卡" in reply


# 5. a long story with the question at the end ---------------------------------------------------------


def test_a_long_story_is_answered_by_its_question(chat, kb):
    reply = chat.say(
        "我家老大初中毕业就跟着表哥去了浙江 坐火车去的 在那边干了三个月电子厂 现在想回来 "
        "县里有没有组织出去的 哪个部门管这个事"
    )
    assert kb.contacts["center"].phone in reply and "春季" in reply  # the outflow office, not a calculator
    assert "是建档立卡贫困户吗" not in reply


def test_a_long_story_keeps_its_facts_for_the_calculator(chat):
    reply = chat.say(
        "我是建档立卡户 过完年跟老乡坐火车克了福建泉州 车票四百二 在鞋厂干了五个月 自己去的 今年没领过 "
        "听说可以报车费 我这种能报好多"
    )
    assert "可补420元" in reply

"""Splitting a message into its questions, and finding the question of a long story, with a stub NLU.
Our own cases (none from ../shared/eval/)."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.plugins import splitting
from bot.plugins.splitting import Turn, parts_of, plan

# a stub NLU: the first matching keyword decides the label, with a confidence
RULES = [
    (r"不给钱|欠|工钱", "faq", "unpaid_wages", 0.9),
    (r"告|投诉|维权", "faq", "rights_routes", 0.9),
    (r"交通补助|车费", "faq", "transport_subsidy", 0.9),
    (r"培训", "faq", "vocational_training_subsidy", 0.9),
    (r"12333", "faq", "hotline_12333", 0.9),
    (r"仲裁", "faq", "arbitration_deadline", 0.9),
    (r"能补好多|算", "check_transport_subsidy", None, 0.9),
]


async def stub(text: str) -> dict:
    for pattern, intent, key, confidence in RULES:
        if re.search(pattern, text):
            parse = {"intent": {"name": intent, "confidence": confidence}}
            if key:
                parse["response_selector"] = {"faq": {"response": {"intent_response_key": f"faq/{key}"}}}
            return parse
    return {"intent": {"name": "inform", "confidence": 0.5}}


def run(text: str) -> list[Turn]:
    return asyncio.run(plan(text, stub))


def test_two_questions_without_numbers_are_two_turns():
    turns = run("我老婆想去参加培训 有补贴不 另外我想问下交通补助咋个领")
    assert [t.text for t in turns] == ["我老婆想去参加培训 有补贴不", "我想问下交通补助咋个领"]


def test_context_stays_with_its_question():
    turns = run("包工头跑了 老板不给钱 还有 我还想问一下12333能打不")
    assert len(turns) == 2 and turns[0].text.startswith("包工头跑了")
    assert turns[1].text == "12333能打不"


def test_one_topic_said_twice_is_one_turn():
    assert run("老板欠工钱 还有就是他一直不给钱") == [Turn("老板欠工钱 还有就是他一直不给钱")]


def test_at_most_three_and_a_calculator_comes_last():
    turns = run("我在东莞干了5个月 能补好多 另外仲裁是啥 还有12333是啥 以及培训有补贴没")
    assert len(turns) == splitting.MAX_TURNS
    assert "能补好多" not in turns[0].text


def test_a_long_story_is_classified_by_its_question():
    story = (
        "我在宣威一个砖厂干了八个月 老板说年底一起结工钱 结果到了年底说亏了 只给了一点 这种情况我要去哪里投诉"
    )
    turns = run(story)
    assert len(turns) == 1 and turns[0].story == story and "投诉" in turns[0].text


def test_a_short_question_is_left_alone():
    assert run("交通补助好多") == [Turn("交通补助好多")]


def test_inside_a_calculator_nothing_is_split():
    async def busy(text: str) -> dict:
        raise splitting.Busy("worker")

    assert asyncio.run(plan("培训有补贴不 另外交通补助咋个领", busy)) == [
        Turn("培训有补贴不 另外交通补助咋个领")
    ]


@pytest.mark.parametrize(
    "text, parts",
    [
        ("培训有补贴不？交通补助咋个领？", ["培训有补贴不", "交通补助咋个领"]),
        ("工钱不给咋办 顺便问下12333是啥", ["工钱不给咋办", "12333是啥"]),
        ("车费呢 培训呢", ["车费呢", "培训呢"]),
        ("工钱不给咋办 要是去仲裁要好久", ["工钱不给咋办", "去仲裁要好久"]),
        ("我还有三年就退休了 能延期不", ["我还有三年就退休了 能延期不"]),
    ],
)
def test_parts(text, parts):
    assert parts_of(text) == parts


def test_two_questions_side_by_side_without_a_connective_are_two_turns():
    turns = run("我媳妇在家没事做 想参加培训 有补贴没得 交通补助又是咋个领的")
    assert [t.text for t in turns] == ["我媳妇在家没事做 想参加培训 有补贴没得", "交通补助又是咋个领的"]


@pytest.mark.parametrize(
    "text",
    [
        "老板欠我三个月工钱 不给钱 咋个办",  # one topic, asked twice
        "欠工钱 投诉 咋办",  # a bare "咋办" is no question of its own
    ],
)
def test_clauses_of_one_question_stay_one_turn(text):
    assert len(run(text)) == 1


def test_a_calculators_case_and_its_rule_question_stay_one_turn():
    text = "在东莞打工 能补好多 交通补助要带哪些东西"
    assert len(run(text)) == 1


@pytest.mark.parametrize(
    "text, clean",
    [
        ("嗯 我想问一下 那个那个交通补助咋个领", "我想问一下 那个交通补助咋个领"),
        ("就是 就是 老板不给工资 是 是咋个办", "就是 老板不给工资 是咋个办"),
        ("呃 12333打得通不", "12333打得通不"),
        ("谢谢 天天加班 慢慢来", "谢谢 天天加班 慢慢来"),  # words that are doubled stay
        ("额度是好多", "额度是好多"),
    ],
)
def test_spoken_fillers_and_stammered_repeats_are_dropped(text, clean):
    from bot.plugins import spelling

    assert spelling.fluent(text) == clean


@pytest.mark.parametrize(
    "text, clauses",
    [
        ("想参加培训 有补贴没得 交通补助是咋个补的", ["想参加培训 有补贴没得", "交通补助是咋个补的"]),
        ("想参加培训 有补贴没得 要带哪些材料", ["想参加培训 有补贴没得 要带哪些材料"]),
        ("欠工钱 投诉 咋办", ["欠工钱 投诉 咋办"]),
        ("车费咋个补 咋办", ["车费咋个补 咋办"]),
        ("车费咋个补 我在东莞", ["车费咋个补 我在东莞"]),
        ("培训有补贴没得 交通补助是咋个补的 我在东莞", ["培训有补贴没得", "交通补助是咋个补的 我在东莞"]),
        ("我在东莞", ["我在东莞"]),
    ],
)
def test_asked_clauses(text, clauses):
    assert splitting.asked_clauses(text) == clauses


def test_a_fault_in_the_nlu_while_splitting_leaves_the_message_whole():
    async def broken(text: str) -> dict:
        raise RuntimeError("model not loaded")

    assert asyncio.run(plan("培训有补贴不 另外交通补助咋个领", broken)) == [
        Turn("培训有补贴不 另外交通补助咋个领")
    ]

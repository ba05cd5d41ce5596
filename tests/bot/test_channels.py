"""The REST channel's own logic: what counts as bad input, and how a message splits into questions."""

from __future__ import annotations

import pytest

from bot.plugins.channels import MAX_CHARS, classify, split_questions


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        (123, "empty"),
        ("？？？。。。", "empty"),
        ("😀😀👍", "empty"),
        ("🙏🙏🙏！！", "empty"),
        ("工" * (MAX_CHARS + 1), "too_long"),
        ("工资", None),
        ("gongzi 没发 boss跑了", None),
        ("1", None),
    ],
)
def test_classify(text, problem):
    assert classify(text) == problem


@pytest.mark.parametrize(
    "text, parts",
    [
        ("1.拖欠工资怎么办？2.车票能补多少？", ["拖欠工资怎么办？", "车票能补多少？"]),
        ("（1）欠薪找哪个（2）12333是啥子", ["欠薪找哪个", "12333是啥子"]),
        ("①怎么防骗②雨露计划③创业贷款", ["怎么防骗", "雨露计划", "创业贷款"]),
        ("老板欠工资咋个办？车费能报多少？", ["老板欠工资咋个办？", "车费能报多少？"]),
        ("拖欠工资怎么办？", ["拖欠工资怎么办？"]),
        ("1.拖欠工资怎么办？2.12333是什么电话？", ["拖欠工资怎么办？", "12333是什么电话？"]),
        ("在吗？工资没发", ["在吗？工资没发"]),
        ("我去广东打工5个月了，火车票花了680，能补多少", ["我去广东打工5个月了，火车票花了680，能补多少"]),
        ("1.a问题一二三 2.问题二三四 3.问题三四五 4.问题四五六", ["a问题一二三", "问题二三四", "问题三四五"]),
    ],
)
def test_split_questions(text, parts):
    assert split_questions(text) == parts

"""End to end (real Rasa and action server): policy truth to the edge case, and answers that fit a phone
(issue #12). Our own messages (none from ../shared/eval/); README's example conversations are replayed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policy_kb import kb as policy
from tests.e2e.questions import QUESTIONS
from tests.e2e.test_forms import Conversation

pytestmark = pytest.mark.e2e

NEW_TOPICS = [
    "organiser_reward",
    "social_insurance_poor",
    "employer_insurance_subsidy",
    "job_loss",
    "employment_registration",
    "destination_services",
    "free_training",
    "poor_graduates",
    "technical_school_equivalence",
    "zero_employment_household",
    "public_welfare_post",
]


@pytest.mark.parametrize("key", NEW_TOPICS)
def test_the_topics_workers_ask_about_are_answered(chat, kb, key):
    reply = chat.say(QUESTIONS[key])
    assert reply.startswith(kb.render(key)), f"{key}: {reply[:80]}"
    assert kb.fill(kb.answers[key].details).strip() in reply
    assert len(chat.last[0]["text"]) <= policy.FIRST_BUBBLE_LIMIT


def test_details_come_behind_a_button(chat, kb):
    chat.say('/faq{"topic":"unpaid_wages"}')  # a tapped topic: the summary, details behind the button
    assert policy.DETAILS_BUTTON in chat.buttons()
    payload = next(b["payload"] for r in chat.last for b in r.get("buttons") or [] if b["title"] == "看详细")
    details = chat.say(payload)
    assert details.startswith(kb.fill(kb.answers["unpaid_wages"].details).strip())


def test_about_three_months_is_asked_and_full_is_understood(chat):
    reply = chat.say("建档立卡户 在宁波 快三个月了 车票四百五 能补好多")
    assert "干满3个月" in reply and "✅" not in reply
    chat.say("满了")
    reply = chat.say("自己去的 今年没领过")
    assert "可补450元" in reply


def test_under_three_months_is_not_eligible(chat):
    reply = chat.say("卡户 在东莞厂里 还不到三个月 车票三百")
    assert "还没满3个月" in reply and "✅" not in reply


def test_an_impossible_date_is_asked_again(chat):
    reply = chat.say("4月31号被老板辞退的 最晚哪天申请仲裁")
    assert "4月没有31号" in reply and "2026年1月1日" not in reply


def test_county_group_trip_is_paid_by_the_centre(chat):
    chat.say("建档立卡户 跟县里春季集中输出去的广东 干了5个月 车票四百")
    reply = chat.say("没领过")
    assert "交通费由县转移就业服务中心出" in reply


def test_an_individual_organiser_is_told_how_to_qualify(chat, kb):
    reply = chat.say("我个人带了8个建档立卡户去浙江打工 都干了4个月 能补多少")
    assert "不在补贴范围" not in reply
    assert "农村劳务经纪人" in reply and "备案" in reply and kb.contacts["center"].phone in reply


# README's example conversations are what the bot says ------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"
DATED = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")  # depends on the day the test runs


def readme_conversations() -> list[tuple[list[str], list[str]]]:
    """(messages, bot lines) of each example block of README's "Example conversations"."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("Example conversations") :]
    section = section[: section.index("\n## ")]
    conversations = []
    for block in re.findall(r"```\n(.*?)```", section, flags=re.S):
        messages, lines = [], []
        for raw in block.splitlines():
            line = re.sub(r"\s{3}\[[^\]]*\]\s*$", "", raw)  # buttons shown as [a | b]
            if line.startswith("👤 "):
                messages.append(line[2:].strip())
            elif line.startswith(("🤖 ", "   ")):
                content = line[2:].strip() if line.startswith("🤖") else line.strip()
                if content and "…" not in content and not DATED.search(content):
                    lines.append(content)
        if messages:
            conversations.append((messages, lines))
    return conversations


@pytest.mark.parametrize("number", range(len(readme_conversations())))
def test_readme_examples_are_what_the_bot_says(stack, number):
    messages, expected = readme_conversations()[number]
    chat = Conversation(stack)
    said: list[str] = []
    for message in messages:
        said += chat.say(message).splitlines()
    missing = [line for line in expected if line not in said]
    assert missing == [], "README lines the bot no longer says:\n" + "\n".join(missing)

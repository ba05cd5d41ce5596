"""Transcript rows for the console's tests, written through the gateway's own transcripts module.

Only the clock is set (transcripts.now), so conversations can be days old; the schema, the masking and
the conversation bookkeeping are the real ones.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from dataclasses import dataclass, field

from bot.gateway import transcripts

FALLBACK_REPLY = "这个问题我不太确定。您是想问下面哪一个？也可以打电话0874-5120155。"


@dataclass
class Turn:
    text: str
    intent: str | None
    confidence: float | None
    reply: str
    faq_key: str | None = None
    actions: list[str] = field(default_factory=list)
    latency_ms: int = 300
    buttons: list[dict] = field(default_factory=list)


def faq(
    text: str, key: str, confidence: float, reply: str = "（FAQ 答案）", latency_ms: int = 300, **kw
) -> Turn:
    return Turn(
        text,
        "faq",
        confidence,
        reply,
        faq_key=f"faq/{key}",
        actions=["action_answer_faq"],
        latency_ms=latency_ms,
        **kw,
    )


def fallback(text: str, confidence: float, latency_ms: int = 500) -> Turn:
    return Turn(
        text,
        "nlu_fallback",
        confidence,
        FALLBACK_REPLY,
        actions=["action_suggest_topics"],
        latency_ms=latency_ms,
    )


def reply(text: str, intent: str, confidence: float, answer: str, latency_ms: int = 200) -> Turn:
    return Turn(text, intent, confidence, answer, actions=["action_reply"], latency_ms=latency_ms)


XSS = "<script>alert(1)</script>"
ARBITRATION = "老板欠工资想去仲裁怎么弄"

# name: (channel, sender, days ago, turns)
CONVERSATIONS: dict[str, tuple[str, str, float, list[Turn]]] = {
    "wages": (
        "web",
        "w-wages",
        2,
        [
            faq(
                ARBITRATION,
                "unpaid_wages",
                0.93,
                "先找老板协商，不行就打12333。",
                buttons=[{"title": "帮我算仲裁期限", "payload": "/check_arbitration_deadline"}],
            ),
        ],
    ),
    "handoff": (
        "wechat",
        "o-handoff",
        1.5,
        [
            reply("你好", "greet", 0.99, "您好！我是会泽务工助手。"),
            reply("转人工", "human_handoff", 0.97, "请打县转移就业服务中心电话0874-5120155。"),
        ],
    ),
    "two_fallbacks": (
        "web",
        "w-twofb",
        3,
        [
            fallback("那个东西咋个弄", 0.31),
            fallback("就是那个钱嘛", 0.28, latency_ms=2900),
        ],
    ),
    "apart_fallbacks": (
        "web",
        "w-apart",
        3.2,
        [
            fallback("补助", 0.42),
            faq("交通补助标准是多少", "transport_subsidy", 0.88),
            fallback("嗯那个", 0.35),
        ],
    ),
    "low_recent": (
        "web",
        "w-lowconf",
        4,
        [
            faq("车票钱能报吗", "transport_subsidy", 0.55, latency_ms=380),
        ],
    ),
    "low_old": (
        "web",
        "w-old",
        20,
        [
            faq("在外面受伤了咋个办", "rights_routes", 0.52),
        ],
    ),
    "xss": (
        "web",
        "w-xss",
        1,
        [
            reply(XSS, "out_of_scope", 0.71, "这个我答不了。"),
        ],
    ),
    "fine": (
        "wechat",
        "o-fine",
        0.05,
        [
            faq("12333是什么电话", "hotline_12333", 0.97, latency_ms=250),
        ],
    ),
}

LOW_LAST_WEEK = {"two_fallbacks", "apart_fallbacks", "low_recent"}
LOW_ALL = LOW_LAST_WEEK | {"low_old"}
FALLBACK = {"two_fallbacks", "apart_fallbacks"}
QUEUE = {"handoff", "two_fallbacks"}


@contextlib.contextmanager
def clock_at(start: dt.datetime, step_seconds: int = 20):
    """transcripts.now() returns start, start + step, … while inside."""
    original = transcripts.now
    ticks = itertools.count()

    def fake_now() -> str:
        moment = start + dt.timedelta(seconds=step_seconds * next(ticks))
        return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")

    transcripts.now = fake_now
    try:
        yield
    finally:
        transcripts.now = original


def write_conversation(db, channel: str, sender: str, start: dt.datetime, turns: list[Turn]) -> list[int]:
    """Store the turns like bot/gateway/turns.py does; returns the ids of the user messages."""
    ids = []
    with clock_at(start):
        for turn in turns:
            message_id = transcripts.record(db, channel, sender, "in", turn.text)
            transcripts.record_answer(
                db,
                message_id,
                channel,
                sender,
                [{"text": turn.reply, "buttons": turn.buttons}],
                intent=turn.intent,
                confidence=turn.confidence,
                faq_key=turn.faq_key,
                actions=turn.actions,
                latency_ms=turn.latency_ms,
                error=None,
            )
            ids.append(message_id)
    return ids


@dataclass
class Seeded:
    conversations: dict[str, int]  # name → conversation id
    user_messages: dict[str, list[int]]  # name → ids of the user messages

    def ids(self, names) -> set[int]:
        return {self.conversations[name] for name in names}


def seed(db, now: dt.datetime | None = None) -> Seeded:
    now = now or dt.datetime.now(dt.timezone.utc)
    conversations, messages = {}, {}
    # oldest first, so ids grow with time like in real life
    for name, (channel, sender, days_ago, turns) in sorted(CONVERSATIONS.items(), key=lambda kv: -kv[1][2]):
        messages[name] = write_conversation(db, channel, sender, now - dt.timedelta(days=days_ago), turns)
        conversations[name] = db.execute(
            "SELECT id FROM conversations WHERE channel = ? AND sender = ?", [channel, sender]
        ).fetchone()[0]
    return Seeded(conversations, messages)

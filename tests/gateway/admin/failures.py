"""Conversations for issue #14: each fails in a way the fallback count does not show, or carries what the
console used to show raw (the chat page's own greeting, button codes, long confidences).

Times are fixed local days (1–3 days ago, Asia/Shanghai), so the dashboard's days are known. The optional
columns other work adds to `messages` (payload, feedback) are created here when the gateway lacks them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tests.gateway.admin import seeding
from tests.gateway.admin.seeding import Turn

CHINA = dt.timezone(dt.timedelta(hours=8))
GREETING = "您好！我是会泽务工助手，可以问拖欠工资、劳动仲裁、交通补助。"
TIER_QUESTION = "在哪里打工？说地名就行，比如“广东东莞”“昆明”。"
MENU = [
    {"title": "拖欠工资", "payload": '/faq{"topic":"unpaid_wages"}'},
    {"title": "交通补助", "payload": '/faq{"topic":"transport_subsidy"}'},
]
LONG_CONFIDENCE = 0.9940868616104126
ONLY_GREETING = "（只有问候，没有提问）"


def opening(confidence: float = 0.99) -> Turn:
    """What the chat page sent by itself on a first visit, and the greeting with the topic menu."""
    return Turn("你好", "greet", confidence, GREETING, actions=["utter_greet"], buttons=MENU)


def calc(text: str, intent: str, reply: str) -> Turn:
    return seeding.reply(text, intent, 1.0, reply)


# name: (channel, sender, local days ago, hour, turns)
CONVERSATIONS: dict[str, tuple[str, str, int, int, list[Turn]]] = {
    "page_only": ("web", "w-page", 1, 9, [opening()]),
    "greeted": (
        "web",
        "w-greeted",
        1,
        10,
        [opening(), seeding.faq("老板不给工资咋个办", "unpaid_wages", 0.91, "先找老板协商，不行就打12333。")],
    ),
    "buttons": (
        "web",
        "w-buttons",
        1,
        11,
        [
            opening(),
            seeding.faq('/faq{"topic":"unpaid_wages"}', "unpaid_wages", 1.0, "先找老板协商，不行就打12333。"),
            calc("/check_arbitration_deadline", "check_arbitration_deadline", "最后一天上班是哪天？"),
            calc("/stop", "stop", "好的，仲裁时效先不算了。"),
            # stored the new way: the title as the text, the code in messages.payload
            seeding.faq("交通补助", "transport_subsidy", 1.0, "交通补助按车票报销。"),
        ],
    ),
    "hello_wechat": (
        "wechat",
        "o-hello",
        2,
        9,
        [
            seeding.reply("你好", "greet", LONG_CONFIDENCE, GREETING),
            seeding.faq("交通补助咋个领", "transport_subsidy", 0.9),
        ],
    ),
    "hello_question": (
        "web",
        "w-hello-q",
        2,
        10,
        [seeding.reply("你好，仲裁要钱吗", "greet", 0.62, GREETING)],
    ),
    "off_topic": (
        "web",
        "w-off",
        2,
        11,
        [seeding.reply("帮我买张火车票", "out_of_scope", 0.88, "这个我答不了。")],
    ),
    "stuck": (
        "web",
        "w-stuck",
        3,
        9,
        [
            calc("帮我算交通补助", "check_transport_subsidy", "是建档立卡贫困户吗？"),
            calc("是", "affirm", TIER_QUESTION),
            calc("东莞", "inform", TIER_QUESTION),
            calc("广东东莞", "inform", TIER_QUESTION),
            calc("广东东莞啊", "inform", TIER_QUESTION),  # nearly the same again
            calc("广东 东莞！", "inform", TIER_QUESTION),  # the same, but for a space and a mark
        ],
    ),
    "sure_but_wrong": (
        "web",
        "w-wrong",
        3,
        10,
        [
            seeding.faq("补贴什么时候发", "transport_subsidy", 1.0, "交通补助按车票报销。"),
            seeding.faq("补贴什么时候发下来", "transport_subsidy", 1.0, "交通补助按车票报销。"),
        ],
    ),
    "asked_person": (
        "wechat",
        "o-person",
        3,
        11,
        [seeding.reply("我要找人工", "human_handoff", 0.97, "请打县转移就业服务中心电话0874-5120155。")],
    ),
    "hotline": ("web", "w-hotline", 3, 12, [seeding.faq("12333是什么电话", "hotline_12333", 0.97)]),
}
# (conversation, turn index) → what the columns other work adds hold for it
DOWN = {("sure_but_wrong", 0)}  # the worker tapped 👎 under this turn's reply
PAYLOADS = {("buttons", 4): '/faq{"topic":"transport_subsidy"}'}

# the inbox's badges of each conversation (the others have none)
BADGES = {
    "stuck": ["重问×2", "同一回复×5"],
    "sure_but_wrong": ["重问×1", "差评×1"],
    "off_topic": ["超出范围×1"],
    "asked_person": ["转人工"],
}
FIRST_QUESTIONS = {
    "page_only": ONLY_GREETING,
    "greeted": "老板不给工资咋个办",
    "buttons": "拖欠工资",
    "hello_wechat": "你好",  # WeChat sends no greeting of its own: the worker typed it
    "hello_question": "你好，仲裁要钱吗",  # a greeting with a question is a question
    "off_topic": "帮我买张火车票",
    "stuck": "帮我算交通补助",
    "sure_but_wrong": "补贴什么时候发",
    "asked_person": "我要找人工",
    "hotline": "12333是什么电话",
}


def local_time(days_ago: int, hour: int) -> dt.datetime:
    day = (dt.datetime.now(CHINA) - dt.timedelta(days=days_ago)).date()
    return dt.datetime.combine(day, dt.time(hour), tzinfo=CHINA)


def add_columns(db) -> None:
    """messages.payload and messages.feedback, as the chat page's new version stores them, if missing."""
    have = set(db["messages"].columns_dict)
    for name in ("payload", "feedback"):
        if name not in have:
            db.execute(f"ALTER TABLE messages ADD COLUMN {name} TEXT")


@dataclass
class Seeded:
    conversations: dict[str, int]
    user_messages: dict[str, list[int]]
    replies: dict[str, list[int]]  # name → the id of each turn's reply

    def ids(self, names) -> set[int]:
        return {self.conversations[name] for name in names}


def seed(db) -> Seeded:
    add_columns(db)
    conversations, users, replies = {}, {}, {}
    for name, (channel, sender, days_ago, hour, turns) in sorted(
        CONVERSATIONS.items(), key=lambda kv: (-kv[1][2], kv[1][3])
    ):
        users[name] = seeding.write_conversation(db, channel, sender, local_time(days_ago, hour), turns)
        conversations[name] = db.execute(
            "SELECT id FROM conversations WHERE channel = ? AND sender = ?", [channel, sender]
        ).fetchone()[0]
        replies[name] = [message_id + 1 for message_id in users[name]]  # one reply each, written next
    for name, turn in DOWN:
        db.execute("UPDATE messages SET feedback = 'down' WHERE id = ?", [replies[name][turn]])
    for (name, turn), payload in PAYLOADS.items():
        db.execute("UPDATE messages SET payload = ? WHERE id = ?", [payload, users[name][turn]])
    return Seeded(conversations, users, replies)

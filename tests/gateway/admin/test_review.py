"""Issue #14 in the console: what people asked (not the page's greeting), conversations that failed without
a fallback, searching the workers' words, Chinese names instead of codes, and reviewing one after another."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import html
import io
import re

import pytest

from bot.gateway.admin import flags, labels, stats
from tests.gateway.admin import failures
from tests.gateway.admin.pages import chip_counts, inbox_badges, inbox_cells, inbox_ids, text

# newest first, as the inbox lists them
ORDER = [
    "buttons",
    "greeted",
    "page_only",
    "off_topic",
    "hello_question",
    "hello_wechat",
    "hotline",
    "asked_person",
    "sure_but_wrong",
    "stuck",
]


@pytest.fixture
def seeded(db) -> failures.Seeded:
    return failures.seed(db)


def inbox(staff, **args) -> str:
    response = staff.get("/admin/", query_string=args)
    assert response.status_code == 200
    return response.text


def by_name(seeded, cells: dict[int, object]) -> dict[str, object]:
    names = {cid: name for name, cid in seeded.conversations.items()}
    return {names[cid]: value for cid, value in cells.items()}


# -- 9: the first real question --------------------------------------------------------------------------


def test_the_first_question_skips_the_greeting_the_chat_page_sent(staff, seeded):
    page = inbox(staff)
    assert inbox_ids(page) == [seeded.conversations[name] for name in ORDER]
    assert "<th>第一个问题</th>" in page
    assert by_name(seeded, inbox_cells(page, "preview")) == failures.FIRST_QUESTIONS


# -- 10: failed conversations stand out ------------------------------------------------------------------


def test_failures_without_a_fallback_are_flagged_in_the_inbox(staff, seeded):
    badges = by_name(seeded, inbox_badges(inbox(staff)))
    assert {name: found for name, found in badges.items() if found} == failures.BADGES


def test_re_asked_means_the_same_or_nearly_the_same_words_again():
    assert flags.normalized("广东 东莞！") == flags.normalized("广东东莞") == "广东东莞"
    assert flags.repeats("广东东莞啊", "广东东莞")  # 4 of 5 characters the same
    assert flags.repeats("补贴什么时候发下来", "补贴什么时候发")
    assert not flags.repeats("东莞", "广东东莞")  # short texts must be the same
    assert not flags.repeats("交通补助去哪里办", "交通补助要带什么")
    assert not flags.repeats("是", "是")  # one character is an answer, not a question


def turn(page: str, message_id: int) -> str:
    """The <li> of one message in a transcript."""
    return re.search(rf'id="m{message_id}" data-message="{message_id}">(.*?)</li>', page, re.S).group(1)


def test_the_transcript_marks_where_it_went_wrong(staff, seeded):
    stuck = staff.get(f"/admin/conversations/{seeded.conversations['stuck']}").text
    users, replies = seeded.user_messages["stuck"], seeded.replies["stuck"]
    for message in users[4:]:
        mark = f'<span class="badge reasked" title="和 #{users[3]} 那句一样或差不多">重问</span>'
        assert mark in turn(stuck, message)
    for run, reply in zip((3, 4, 5), replies[3:], strict=True):
        assert f'<span class="badge same_reply">同一回复第{run}次</span>' in turn(stuck, reply)
    assert stuck.count('class="badge same_reply"') == 3 and stuck.count('class="badge reasked"') == 2
    wrong = staff.get(f"/admin/conversations/{seeded.conversations['sure_but_wrong']}").text
    assert '<span class="badge down">差评</span>' in turn(wrong, seeded.replies["sure_but_wrong"][0])
    off = staff.get(f"/admin/conversations/{seeded.conversations['off_topic']}").text
    assert '<span class="badge out_of_scope">超出范围</span>' in turn(
        off, seeded.user_messages["off_topic"][0]
    )


def test_the_dashboard_counts_conversations_that_went_wrong(app, staff, seeded, db):
    page = staff.get("/admin/dashboard").text
    assert '<b id="stat-unanswered">4</b>' in page  # stuck, sure_but_wrong, off_topic, asked_person
    assert '<span id="stat-unanswered-rate">40%</span>' in page  # of 10 conversations
    assert '<b id="stat-fallback">0%</b>' in page  # what the old dashboard showed alone
    today = failures.local_time(0, 12).date()
    with app.test_request_context():
        days = {d.day: d for d in stats.days(db, today - dt.timedelta(days=3), today)}
    rates = {day: (d.unanswered_conversations, d.conversations) for day, d in days.items()}
    assert rates == {
        (today - dt.timedelta(days=3)).isoformat(): (3, 4),
        (today - dt.timedelta(days=2)).isoformat(): (1, 3),
        (today - dt.timedelta(days=1)).isoformat(): (0, 3),
        today.isoformat(): (0, 0),
    }
    # and per day in the chart, next to the fallback and handoff rates
    points = dict(re.findall(r"<title>(\d\d-\d\d) 没答好率: (\d+%)</title>", page))
    assert points[(today - dt.timedelta(days=3)).strftime("%m-%d")] == "75%"
    assert points[(today - dt.timedelta(days=2)).strftime("%m-%d")] == "33%"
    assert points[(today - dt.timedelta(days=1)).strftime("%m-%d")] == "0%"


# -- 11: search the workers' words ------------------------------------------------------------------------


def test_search_finds_what_workers_wrote_unless_asked_to_search_replies_too(staff, seeded):
    assert inbox_ids(inbox(staff, q="仲裁")) == [seeded.conversations["hello_question"]]
    with_replies = inbox(staff, q="仲裁", bot="1")
    greeted = {"buttons", "greeted", "page_only", "hello_question", "hello_wechat"}
    assert set(inbox_ids(with_replies)) == seeded.ids(greeted)
    assert 'name="bot" value="1" checked> 也搜机器人回复' in with_replies
    previews = by_name(seeded, inbox_cells(with_replies, "preview"))
    assert previews["greeted"] == "机器人：" + failures.GREETING  # the reply that matched, said whose it is
    assert previews["hello_question"] == "你好，仲裁要钱吗"
    assert "劳动<mark>仲裁</mark>" in with_replies
    assert 'name="bot" value="1" >' in inbox(staff)  # off by default


# -- 12: Chinese names, not codes -------------------------------------------------------------------------


def test_names_for_codes():
    assert labels.intent("faq/unpaid_wages") == "拖欠工资"
    assert labels.intent("greet") == "你好"
    assert labels.intent("nlu_fallback") == "没听懂"
    assert labels.intent("check_transport_subsidy") == "算交通补助"
    assert labels.intent("affirm") == "回答“是”"
    assert labels.intent("made_up") == "made_up"  # unknown: the code itself
    assert labels.intent(None) == "—"
    assert labels.channel("wechat") == "微信" and labels.channel("web") == "网页"
    assert labels.button('/faq{"topic":"unpaid_wages"}') == "拖欠工资"
    assert labels.button('/ask_details{"topic":"job_scam"}') == "看详细"
    assert labels.button("/deny") == "不是"
    assert labels.button("/check_transport_subsidy") == "帮我算算能补多少"
    assert labels.button('/faq{"topic":"nope"}') is None and labels.button("不算了") is None


def test_button_taps_show_their_title_and_keep_the_code(staff, seeded):
    page = staff.get(f"/admin/conversations/{seeded.conversations['buttons']}").text
    bubbles = [
        text(b)
        for b in re.findall(r'<li class="row user[^"]*".*?<div class="bubble"[^>]*>(.*?)</div>', page, re.S)
    ]
    assert bubbles == ["你好", "拖欠工资", "帮我算最晚哪天申请", "不算了", "交通补助"]
    codes = [text(c) for c in re.findall(r'<span class="payload" title="按钮代码">(.*?)</span>', page, re.S)]
    assert codes == [
        '按钮 /faq{"topic":"unpaid_wages"}',
        "按钮 /check_arbitration_deadline",
        "按钮 /stop",
        '按钮 /faq{"topic":"transport_subsidy"}',
    ]
    assert '<span class="hint opening">打开页面时自动发送</span>' in page
    assert '<span class="intent" title="意图：faq/unpaid_wages">拖欠工资</span>' in page
    # a tap is no training data: no correction for it
    assert page.count("<summary>更正意图</summary>") == 1  # only the greeting's


def test_filters_and_the_dashboard_name_intents_in_chinese(staff, seeded):
    page = inbox(staff)
    options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', page))
    assert options["faq/unpaid_wages"] == "拖欠工资（2）"
    assert options["greet"] == "你好（5）"
    assert options["web"] == "网页（8）" and options["wechat"] == "微信（2）"
    assert by_name(seeded, inbox_cells(page, "channel"))["hello_wechat"] == "微信"
    dashboard = staff.get("/admin/dashboard").text
    intents = re.search(r'aria-label="最多的意图".*?</svg>', dashboard, re.S).group(0)
    assert re.findall(r"<rect [^>]*><title>([^<]+)</title>", intents)[:4] == [
        "政策问答: 7",
        "你好: 5",
        "回答问题: 4",
        "回答“是”: 1",
    ]
    faq = re.search(r'aria-label="最多的 FAQ".*?</svg>', dashboard, re.S).group(0)
    assert re.findall(r"<rect [^>]*><title>([^<]+)</title>", faq) == [
        "交通补助: 4",
        "拖欠工资: 2",
        "咨询热线: 1",
    ]


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(codecs.BOM_UTF8)  # Excel reads the Chinese right only with it
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_the_csv_has_chinese_headers_labels_and_rounded_confidences(staff, seeded):
    rows = read_csv(staff.get("/admin/export/transcripts.csv").data)
    assert rows[0] == [
        "会话",
        "渠道",
        "发送者",
        "消息",
        "时间",
        "谁说的",
        "内容",
        "按钮代码",
        "意图",
        "意图代码",
        "置信度",
        "动作",
        "耗时（毫秒）",
        "错误",
        "评价",
        "更正为",
        "更正为代码",
        "已看",
        "标签",
    ]
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    hello = next(r for r in table if r["发送者"] == "o-hello" and r["谁说的"] == "工人")
    assert (hello["渠道"], hello["内容"], hello["意图"], hello["意图代码"], hello["置信度"]) == (
        "微信",
        "你好",
        "你好",
        "greet",
        "0.99",
    )
    taps = [(r["内容"], r["按钮代码"]) for r in table if r["发送者"] == "w-buttons" and r["谁说的"] == "工人"]
    assert taps == [
        ("你好", ""),
        ("拖欠工资", '/faq{"topic":"unpaid_wages"}'),
        ("帮我算最晚哪天申请", "/check_arbitration_deadline"),
        ("不算了", "/stop"),
        ("交通补助", '/faq{"topic":"transport_subsidy"}'),
    ]
    down = next(r for r in table if r["消息"] == str(seeded.replies["sure_but_wrong"][0]))
    assert (down["谁说的"], down["评价"], down["已看"]) == ("机器人", "差评", "否")
    assert {r["置信度"] for r in table if r["谁说的"] == "机器人"} == {""}


# -- 13: one conversation after another --------------------------------------------------------------------


def next_link(staff, seeded, name: str, **args) -> str | None:
    page = staff.get(f"/admin/conversations/{seeded.conversations[name]}", query_string=args).text
    found = re.search(r'<a id="next-unreviewed" data-shortcut="n" href="([^"]+)">下一个没看的 →</a>', page)
    return html.unescape(found.group(1)) if found else None


def test_next_unreviewed_follows_the_filter_order(staff, seeded):
    ids = seeded.conversations
    assert next_link(staff, seeded, "greeted") == f"/admin/conversations/{ids['page_only']}"
    staff.post(f"/admin/conversations/{ids['page_only']}/review", {"reviewed": "1"})
    assert next_link(staff, seeded, "greeted") == f"/admin/conversations/{ids['off_topic']}"
    # inside a filter, with the filter kept; after the last one, back to the top
    assert next_link(staff, seeded, "hello_question", channel="web") == (
        f"/admin/conversations/{ids['hotline']}?channel=web"
    )
    assert next_link(staff, seeded, "stuck") == f"/admin/conversations/{ids['buttons']}"
    # just marked reviewed, so out of the "未看" list: still the one after it
    staff.post(f"/admin/conversations/{ids['greeted']}/review", {"reviewed": "1"})
    assert next_link(staff, seeded, "greeted", reviewed="no") == (
        f"/admin/conversations/{ids['off_topic']}?reviewed=no"
    )


def test_when_everything_is_reviewed_there_is_no_next(staff, seeded):
    for cid in seeded.conversations.values():
        staff.post(f"/admin/conversations/{cid}/review", {"reviewed": "1"})
    page = staff.get(f"/admin/conversations/{seeded.conversations['stuck']}").text
    assert 'id="next-unreviewed"' not in page and "没有别的没看的了" in page


def test_the_shortcuts_are_on_the_page(staff, seeded):
    page = staff.get(f"/admin/conversations/{seeded.conversations['stuck']}").text
    assert '<button type="submit" class="primary" data-shortcut="r">标记为已看</button>' in page
    assert "快捷键：<kbd>r</kbd> 标记为已看 · <kbd>n</kbd> 下一个没看的" in page
    assert re.search(r'<script src="/admin/static/console.js[^"]*" defer></script>', page)


# -- 8: 👎 -----------------------------------------------------------------------------------------------


def test_the_inbox_filters_on_thumbs_down(staff, seeded):
    assert inbox_ids(inbox(staff, down="1")) == [seeded.conversations["sure_but_wrong"]]
    counts = chip_counts(inbox(staff))
    assert counts == {"low": 0, "fallback": 0, "handoff": 1, "down": 1, "unreviewed": 10, "reviewed": 0}
    assert 'name="down" value="1" > 差评（工人点了不满意）</label>' in inbox(staff)
    assert '<a class="chip" data-filter="down"' in inbox(staff) and ">差评 <b>1</b>" in inbox(staff)


def test_without_the_new_columns_nothing_breaks(staff, db):
    """An older transcripts file: no messages.feedback or .payload yet."""
    from tests.gateway.admin import seeding

    seeding.seed(db)
    for column in ("feedback", "payload"):
        if column in db["messages"].columns_dict:
            db.execute(f"ALTER TABLE messages DROP COLUMN {column}")
    assert inbox_ids(inbox(staff, down="1")) == []
    assert chip_counts(inbox(staff))["down"] == 0
    for url in ("/admin/", "/admin/dashboard", "/admin/export/transcripts.csv", "/admin/conversations/1"):
        assert staff.get(url).status_code == 200, url

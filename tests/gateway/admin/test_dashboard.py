"""The dashboard's numbers and its server-side SVG charts."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from bot.gateway.admin import charts, stats
from tests.gateway.admin import seeding

SVG = "{http://www.w3.org/2000/svg}"


def local_today() -> dt.date:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8)).date()


def svgs(page: str) -> list[ET.Element]:
    return [ET.fromstring(match) for match in re.findall(r"<svg .*?</svg>", page, re.S)]


def test_the_dashboard_counts(app, staff, seeded, db):
    page = staff.get("/admin/dashboard").text  # the last 14 days: everything but the 20-day-old one
    assert '<b id="stat-messages">11</b>' in page
    assert '<b id="stat-fallback">36%</b>' in page  # 4 of 11 user messages got the fallback
    charts_on_page = svgs(page)
    assert [svg.get("aria-label") for svg in charts_on_page] == [
        "每天用户消息数",
        "没答好率、兜底率和转人工率",
        "最多的意图",
        "最多的 FAQ",
        "最慢的回合（毫秒）",
    ]
    bars = charts_on_page[0].findall(f"{SVG}rect")
    assert len(bars) == 14
    assert sum(int(bar.find(f"{SVG}title").text.split(": ")[1]) for bar in bars) == 11
    # top intents, named in Chinese: faq 4, nlu_fallback 4, then one each (ties by the code)
    intents = [rect.find(f"{SVG}title").text for rect in charts_on_page[2].findall(f"{SVG}rect")]
    assert intents == ["政策问答: 4", "没听懂: 4", "你好: 1", "转人工: 1", "超出范围: 1"]
    # the slowest turn first, with its text and a link to it
    assert '<td class="num">2900 ms</td><td class="preview">就是那个钱嘛</td>' in page
    assert f'#m{seeded.user_messages["two_fallbacks"][1]}">' in page


def local_noon(days_ago: int) -> dt.datetime:
    noon = dt.datetime.combine(local_today() - dt.timedelta(days=days_ago), dt.time(12))
    return noon.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_daily_rates(app, db):
    # two days ago: one conversation with two fallbacks in a row, one answered; yesterday: 转人工
    seeding.write_conversation(
        db, "web", "a", local_noon(2), [seeding.fallback("啥子", 0.2), seeding.fallback("那个嘛", 0.3)]
    )
    seeding.write_conversation(
        db, "web", "b", local_noon(2), [seeding.faq("车票能报吗", "transport_subsidy", 0.9)]
    )
    seeding.write_conversation(
        db, "wechat", "c", local_noon(1), [seeding.reply("转人工", "human_handoff", 0.9, "请打电话")]
    )
    today = local_today()
    with app.test_request_context():
        days = {d.day: d for d in stats.days(db, today - dt.timedelta(days=3), today)}
        two = days[(today - dt.timedelta(days=2)).isoformat()]
        assert (two.user_messages, two.bot_messages, two.fallbacks, two.conversations) == (3, 3, 2, 2)
        assert two.fallback_rate == 2 / 3 and two.handoff_rate == 0.5
        one = days[(today - dt.timedelta(days=1)).isoformat()]
        assert (one.fallback_rate, one.handoff_rate) == (0.0, 1.0)
        assert days[(today - dt.timedelta(days=3)).isoformat()].fallback_rate is None  # no messages: a gap
        assert stats.top_faq_keys(db, today - dt.timedelta(days=3), today) == [("faq/transport_subsidy", 1)]


def test_the_date_range_can_be_chosen(staff, seeded):
    today = local_today()
    old = (today - dt.timedelta(days=20)).isoformat()
    page = staff.get(f"/admin/dashboard?from={old}&to={old}").text
    assert '<b id="stat-messages">1</b>' in page
    assert len(svgs(page)[0].findall(f"{SVG}rect")) == 1
    # reversed or absurd ranges are straightened out, not a 500
    assert staff.get(f"/admin/dashboard?from={today}&to={old}").status_code == 200
    assert staff.get("/admin/dashboard?from=1900-01-01&to=2999-12-31").status_code == 200


def test_chart_labels_are_escaped_and_the_svg_is_well_formed():
    hostile = '<script>alert(1)</script>&"'
    for svg in (
        charts.column_chart([(hostile, 3), ("b", 0)], title=hostile),
        charts.ranked_bars([(hostile, 2.5), ("短", 1)], title="t"),
        charts.line_chart([hostile, "x", "y"], [(hostile, [0.5, None, 0.25])], title="t"),
    ):
        assert "<script>" not in svg
        root = ET.fromstring(str(svg))
        assert root.tag == f"{SVG}svg"


def test_chart_geometry():
    svg = ET.fromstring(str(charts.column_chart([("a", 10), ("b", 5)], title="t", width=240, height=120)))
    tall, short = (float(rect.get("height")) for rect in svg.findall(f"{SVG}rect"))
    assert tall == 2 * short
    line = ET.fromstring(str(charts.line_chart(["a", "b", "c"], [("r", [0.5, None, 0.25])], title="t")))
    assert len(line.findall(f"{SVG}circle")) == 2
    assert line.findall(f"{SVG}polyline") == []  # a gap splits the line; single points stay dots


def test_empty_charts_say_so():
    for svg in (
        charts.column_chart([], title="t"),
        charts.ranked_bars([], title="t"),
        charts.line_chart([], [("r", [])], title="t"),
    ):
        assert "这段时间没有数据" in svg

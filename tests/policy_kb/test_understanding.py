"""Understanding workers' messages: amounts, durations, counts, dates and places."""

from __future__ import annotations

import datetime as dt

import pytest

from policy_kb.calculators import organiser
from policy_kb.understanding import (
    AMBIGUOUS,
    IN_COUNTY,
    IN_PROVINCE_OUT_OF_COUNTY,
    OUT_OF_PROVINCE,
    number_value,
    parse_amount,
    parse_counts,
    parse_date,
    parse_months,
    parse_place,
)

TODAY = dt.date(2026, 11, 28)  # a Saturday; lunar year 2026 began on 2026-02-17


# --- numerals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "numeral, value, approximate",
    [
        ("六百八", 680, False),
        ("一千二", 1200, False),
        ("三百零五", 305, False),
        ("二零二六", 2026, False),
        ("七八百", 700, True),
        ("二十七八", 27, True),
        ("壹仟贰佰", 1200, False),
        ("十五", 15, False),
        ("两百五", 250, False),
        ("三千五百", 3500, False),
        ("一千零五", 1005, False),
        ("1万2", 12000, False),
        ("3千5", 3500, False),
        ("1.2k", 1200, False),
        ("三点五", 3.5, False),
        ("俩", 2, False),
        ("三四", 3, True),
        ("万一", None, None),
    ],
)
def test_number_value(numeral, value, approximate):
    assert number_value(numeral) == ((value, approximate) if value is not None else None)


# --- money -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, amount",
    [
        ("680", 680),
        ("680块", 680),
        ("680元", 680),
        ("六百八", 680),
        ("三百五", 350),
        ("1.2千", 1200),
        ("两千", 2000),
        ("一千二", 1200),
        ("两千五", 2500),
        ("一万", 10000),
        ("1万2", 12000),
        ("五百块钱", 500),
        ("车票花了680，能补多少", 680),
        ("3百", 300),
        ("八十八块五", 88.5),
        ("￥680", 680),
        ("¥ 680", 680),
        ("去广东5个月了车票680", 680),
        ("680快", 680),  # 快 typed for 块
        ("１２００元", 1200),  # full-width digits
        ("1,200元", 1200),
        ("两千多块", 2000),
        ("我们一块去的，车票680", 680),  # 一块 = together
        ("我们3个一起去的 车票680", 680),
        ("9月1号花了680", 680),
        ("坐G1234次，票价680", 680),
        ("路费一共是三百八十块", 380),
        ("2.5w", 25000),
        ("3块8毛", 3.8),
    ],
)
def test_parse_amount(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text", ["不知道", "一下", "干了5个月", "13812345678", ""])
def test_parse_amount_none(text):
    assert parse_amount(text) is None


# --- durations -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, months, approximate",
    [
        ("5个月", 5, False),
        ("五个月", 5, False),
        ("半年", 6, False),
        ("一年", 12, False),
        ("一年多", 12, True),
        ("一年半", 18, False),
        ("两个多月", 2, True),
        ("三个月了", 3, False),
        ("干了3月", 3, False),
        ("90天", 3, False),
        ("10天", 0.33, False),
        ("两周", 0.5, False),
        ("半个月", 0.5, False),
        ("刚去", 0, True),
        ("才去没几天", 0, True),
        ("一年零三个月", 15, False),
        ("两个半月", 2.5, False),
        ("十几个月", 10, True),
        ("俩月", 2, False),
        ("去广东5个月了车票680", 5, False),
    ],
)
def test_parse_months(text, months, approximate):
    result = parse_months(text)
    assert result is not None
    assert (result.value, result.approximate) == (months, approximate)


@pytest.mark.parametrize("text", ["3月去的", "几个月", "2026年", "上半年", "不记得了"])
def test_parse_months_none(text):
    assert parse_months(text) is None


# --- people ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, count, approximate",
    [
        ("25个人", 25, False),
        ("二十五人", 25, False),
        ("两百多人", 200, True),
        ("一百个", 100, False),
        ("30人左右", 30, True),
        ("上百人", 100, True),
        ("三四个人", 3, True),
        ("组织了25人，还有18人在干", 25, False),
    ],
)
def test_parse_counts(text, count, approximate):
    first = parse_counts(text)[0]
    assert (first.value, first.approximate) == (count, approximate)


@pytest.mark.parametrize("text", ["干了3个月", "很多人", "几十个", "30"])
def test_parse_counts_none(text):
    assert parse_counts(text) == []  # a bare "30" answers the question asked (actions.intake), not here


def test_parse_counts_feed_the_organiser_stability_rate():
    organised, stable = (q.value for q in parse_counts("组织了25人，还有18人在干"))
    assert (organised, stable) == (25, 18)

    def reward(workers, stable):
        case = organiser.OrganiserCase("individual", False, "out_of_province", workers=workers, stable=stable)
        return organiser.calculate(case, TODAY)

    assert "18/25 = 72%" in reward(organised, stable).render()
    assert "不能比输出人数" in reward(25, 30).render()  # more stable than organised: no rate
    assert reward(0, 0).verdict == "unknown"


# --- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected, approximate",
    [
        ("9月1号", dt.date(2026, 9, 1), False),
        ("9月1日", dt.date(2026, 9, 1), False),
        ("9.1", dt.date(2026, 9, 1), False),
        ("我9月1号去的广东", dt.date(2026, 9, 1), False),
        ("12月1号", dt.date(2025, 12, 1), False),  # no year: the most recent one not after today
        ("上个月10号", dt.date(2026, 10, 10), False),
        ("10号", dt.date(2026, 11, 10), False),
        ("29号", dt.date(2026, 10, 29), False),
        ("昨天", dt.date(2026, 11, 27), False),
        ("前天", dt.date(2026, 11, 26), False),
        ("今天", dt.date(2026, 11, 28), False),
        ("上周", dt.date(2026, 11, 21), True),
        ("上周三", dt.date(2026, 11, 18), False),
        ("2026-09-01", dt.date(2026, 9, 1), False),
        ("2026年9月1日", dt.date(2026, 9, 1), False),
        ("2026/9/1", dt.date(2026, 9, 1), False),
        ("26年9月1号", dt.date(2026, 9, 1), False),
        ("去年腊月", dt.date(2026, 1, 19), True),  # lunar 2025, 12th month, 1st day
        ("腊月二十三", dt.date(2026, 2, 10), False),
        ("正月十五", dt.date(2026, 3, 3), False),
        ("今年3月", dt.date(2026, 3, 1), True),
        ("去年十月份", dt.date(2025, 10, 1), True),
        ("9月底", dt.date(2026, 9, 30), True),
        ("三个月前", dt.date(2026, 8, 28), True),
        ("半年前", dt.date(2026, 5, 28), True),
        ("10天前", dt.date(2026, 11, 18), False),
        ("上个月", dt.date(2026, 10, 1), True),
        ("国庆节", dt.date(2026, 10, 1), False),
        ("国庆", dt.date(2026, 10, 1), False),
        ("春节", dt.date(2026, 2, 17), False),
        ("过年", dt.date(2026, 2, 17), False),
        ("去年过年", dt.date(2025, 1, 29), False),
        ("过完年就出去了", dt.date(2026, 2, 17), True),
        ("年初", dt.date(2026, 1, 1), True),
        ("年底", dt.date(2025, 12, 1), True),
        ("去年年底", dt.date(2025, 12, 1), True),
    ],
)
def test_parse_date(text, expected, approximate):
    result = parse_date(text, TODAY)
    assert result is not None
    assert (result.date, result.approximate, result.is_future) == (expected, approximate, False)


def test_a_date_is_said_back_the_way_a_worker_writes_it():
    assert parse_date("2026.3.5", TODAY).text_understood == "2026年3月5日"
    assert parse_date("去年腊月", TODAY).text_understood.startswith("2026年1月")


def test_parse_date_explains_lunar_and_approximate_readings():
    assert parse_date("去年腊月", TODAY).note == "农历2025年腊月（只说了月份，按初一算）"
    assert parse_date("腊月二十三", TODAY).note == "农历2025年腊月廿三"
    assert parse_date("今年3月", TODAY).note == "只说了月份，按1日算"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("明天", dt.date(2026, 11, 29)),
        ("下个月", dt.date(2026, 12, 1)),
        ("2027年1月1日", dt.date(2027, 1, 1)),
        ("今年12月", dt.date(2026, 12, 1)),
    ],
)
def test_parse_date_future_is_flagged(text, expected):
    result = parse_date(text, TODAY)
    assert (result.date, result.is_future) == (expected, True)


@pytest.mark.parametrize("text", ["车票680", "不记得了", "1.2千"])
def test_parse_date_none(text):
    assert parse_date(text, TODAY) is None


# --- places ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, tier, in_qujing, display",
    [
        ("广东", OUT_OF_PROVINCE, False, "广东省"),
        ("广东省", OUT_OF_PROVINCE, False, "广东省"),
        ("克广东", OUT_OF_PROVINCE, False, "广东省"),  # 克 = 去 in Yunnan dialect
        ("到深圳打工", OUT_OF_PROVINCE, False, "深圳市（广东省）"),
        ("在东莞厂里", OUT_OF_PROVINCE, False, "东莞市（广东省）"),
        ("广东那边", OUT_OF_PROVINCE, False, "广东省"),
        ("去浙江义乌", OUT_OF_PROVINCE, False, "义乌市（浙江省）"),
        ("晋江", OUT_OF_PROVINCE, False, "晋江市（福建省）"),
        ("上海", OUT_OF_PROVINCE, False, "上海市"),
        ("新疆摘棉花", OUT_OF_PROVINCE, False, "新疆维吾尔自治区"),
        ("贵州威宁", OUT_OF_PROVINCE, False, "威宁彝族回族苗族自治县（贵州省）"),
        ("杭洲", OUT_OF_PROVINCE, False, "杭州市（浙江省）"),  # 洲 typed for 州
        ("粤", OUT_OF_PROVINCE, False, "广东省"),
        ("粤省", OUT_OF_PROVINCE, False, "广东省"),
        ("浙", OUT_OF_PROVINCE, False, "浙江省"),
        ("京", OUT_OF_PROVINCE, False, "北京市"),
        ("省外", OUT_OF_PROVINCE, False, "省外"),
        ("外省", OUT_OF_PROVINCE, False, "省外"),
        ("沿海", OUT_OF_PROVINCE, False, "沿海地区（省外）"),
        ("江浙", OUT_OF_PROVINCE, False, "江浙沪一带（省外）"),
        ("珠三角", OUT_OF_PROVINCE, False, "珠三角一带（省外）"),
        ("昆明", IN_PROVINCE_OUT_OF_COUNTY, False, "昆明市（云南省）"),
        ("云南昆明", IN_PROVINCE_OUT_OF_COUNTY, False, "昆明市（云南省）"),
        ("红河州蒙自", IN_PROVINCE_OUT_OF_COUNTY, False, "蒙自市（红河州）"),
        ("版纳", IN_PROVINCE_OUT_OF_COUNTY, False, "西双版纳傣族自治州（云南省）"),
        ("巧家", IN_PROVINCE_OUT_OF_COUNTY, False, "巧家县（昭通市）"),
        ("宣威", IN_PROVINCE_OUT_OF_COUNTY, True, "宣威市（曲靖市）"),
        ("麒麟区", IN_PROVINCE_OUT_OF_COUNTY, True, "麒麟区（曲靖市）"),
        ("沾益", IN_PROVINCE_OUT_OF_COUNTY, True, "沾益区（曲靖市）"),
        ("曲靖", IN_PROVINCE_OUT_OF_COUNTY, True, "曲靖市（云南省）"),
        ("县外省内", IN_PROVINCE_OUT_OF_COUNTY, None, "县外省内"),
        ("出县没出省", IN_PROVINCE_OUT_OF_COUNTY, None, "县外省内"),
        ("会泽", IN_COUNTY, True, "会泽县"),
        ("就在会泽", IN_COUNTY, True, "会泽县"),
        ("县城", IN_COUNTY, True, "会泽县城"),
        ("县内", IN_COUNTY, True, "会泽县内"),
        ("本地", IN_COUNTY, True, "会泽县内"),
        ("娜姑", IN_COUNTY, True, "娜姑镇（会泽县）"),
        ("者海镇", IN_COUNTY, True, "者海镇（会泽县）"),
        ("待补", IN_COUNTY, True, "待补镇（会泽县）"),  # whole message only
        ("从会泽到深圳打工", OUT_OF_PROVINCE, False, "深圳市（广东省）"),  # destination beats origin
        ("老家会泽，在东莞厂里", OUT_OF_PROVINCE, False, "东莞市（广东省）"),
        ("没去广东，就在县里", IN_COUNTY, True, "会泽县内"),  # negated place ignored
    ],
)
def test_parse_place(text, tier, in_qujing, display):
    result = parse_place(text)
    assert result is not None
    assert (result.tier, result.in_qujing, result.display) == (tier, in_qujing, display)


@pytest.mark.parametrize("text", ["火星", "不知道", "", "还有待补的钱吗", "在马路上等车", "粤语我听不懂"])
def test_parse_place_unknown(text):
    assert parse_place(text) is None


@pytest.mark.parametrize(
    "text, candidates",
    [
        ("省内", (IN_PROVINCE_OUT_OF_COUNTY, IN_COUNTY)),
        ("云南", (IN_PROVINCE_OUT_OF_COUNTY, IN_COUNTY)),
        ("县外", (OUT_OF_PROVINCE, IN_PROVINCE_OUT_OF_COUNTY)),
        ("在外地打工", (OUT_OF_PROVINCE, IN_PROVINCE_OUT_OF_COUNTY)),
    ],
)
def test_ambiguous_place(text, candidates):
    result = parse_place(text)
    assert result.tier == AMBIGUOUS and result.candidates == candidates and result.question
    assert result.is_ambiguous


def test_specific_place_beats_ambiguous_word():
    assert not parse_place("省内，在昆明").is_ambiguous
    assert parse_place("省内，在昆明").display == "昆明市（云南省）"


@pytest.mark.parametrize(
    "text, tier, in_qujing",
    [
        ("云南省内，县外", IN_PROVINCE_OUT_OF_COUNTY, None),
        ("在市里，出了县的", IN_PROVINCE_OUT_OF_COUNTY, True),
    ],
)
def test_two_vague_words_settle_the_tier(text, tier, in_qujing):
    result = parse_place(text)
    assert (result.tier, result.in_qujing) == (tier, in_qujing)


def test_gazetteer_covers_every_province_and_yunnan_prefecture():
    provinces = ["北京", "天津", "上海", "重庆", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
                 "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "四川", "贵州", "西藏", "陕西", "甘肃", "青海",
                 "宁夏", "新疆", "香港", "澳门", "台湾"]  # fmt: skip
    assert all(parse_place(p).tier == OUT_OF_PROVINCE for p in provinces)
    prefectures = [
        "昆明",
        "玉溪",
        "保山",
        "昭通",
        "丽江",
        "普洱",
        "临沧",
        "楚雄",
        "红河",
        "文山",
        "西双版纳",
        "大理",
        "德宏",
        "怒江",
        "迪庆",
    ]
    assert all(
        (parse_place(p).tier, parse_place(p).in_qujing) == (IN_PROVINCE_OUT_OF_COUNTY, False)
        for p in prefectures
    )
    assert parse_place("云南").tier == AMBIGUOUS  # the 34th: 云南 itself does not settle the tier


# --- edge cases a worker's words hide (#12) --------------------------------------------------------


@pytest.mark.parametrize(
    "text, months, bound",
    [
        ("不到三个月", 3, "below"),
        ("还差几天满三个月", 3, "below"),
        ("三个月不到", 3, "below"),
        ("没满三个月", 3, "below"),
        ("还不满3个月", 3, "below"),
        ("快三个月了", 3, "about"),
        ("差不多三个月", 3, "about"),
        ("将近三个月", 3, "about"),
        ("三个月左右", 3, "about"),
        ("干了两个多月", 2, "at_least"),
        ("干了5个月", 5, ""),
    ],
)
def test_parse_months_bounds(text, months, bound):
    q = parse_months(text)
    assert q is not None and q.value == months and q.bound == bound
    assert q.approximate == bool(bound)


@pytest.mark.parametrize(
    "text, months",
    [("2个月29天", 2.97), ("两个月零十天", 2.33), ("一年零五天", 12.17), ("89天", 2.97)],
)
def test_parse_months_adds_days(text, months):
    assert parse_months(text).value == months


def test_parse_months_days_short_of():
    q = parse_months("还差5天满3个月")
    assert q.value == 3 and q.bound == "below" and q.short_days == 5


@pytest.mark.parametrize(
    "text, amount",
    [("二十块零五毛", 20.5), ("20块零5毛", 20.5), ("一百块零八毛", 100.8), ("五块零二分", 5.02)],
)
def test_parse_amount_with_zero_before_jiao(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize(
    "text, problem",
    [
        ("今年2月29号", "2026年2月没有29号"),
        ("4月31号", "4月没有31号"),
        ("今年4月31日", "4月没有31号"),
        ("2月29号", "2026年2月没有29号"),
        ("2月30号", "2月没有30号"),
    ],
)
def test_impossible_dates_are_said_not_replaced(text, problem):
    parsed = parse_date(text, dt.date(2026, 12, 1))
    assert parsed is not None and parsed.date is None
    assert problem in parsed.problem


def test_a_29th_of_february_that_exists_is_read():
    assert parse_date("2月29号", dt.date(2028, 3, 5)).date == dt.date(2028, 2, 29)


def test_lunar_thirtieth_in_a_short_month_says_so():
    parsed = parse_date("腊月三十", dt.date(2026, 12, 1))
    assert parsed.date == dt.date(2026, 2, 16)  # 腊月 of lunar 2025 has 29 days: 除夕 is 廿九
    assert "只有29天" in parsed.note and "廿九" in parsed.note

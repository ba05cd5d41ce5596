"""Dates in what a worker types: "9月1号", "9.1", "上个月10号", "前天", "去年腊月", "国庆", "三个月前".

``parse_date(text, today)`` tries a list of small regexes, each with a resolver, and keeps the longest
match (so "上个月10号" beats "10号" and "去年腊月" beats "去年"). Rules a worker would expect:

* A month/day without a year is the most recent such date not after ``today`` ("12月1号" said in
  November means last December).
* Vague dates are pinned to a definite day and flagged ``approximate`` with a ``note`` saying how
  ("今年3月" → 3月1日, "年底" → 12月1日, "三个月前" → the same day three months back).
* Lunar dates (正月, 腊月, 农历…, 春节, 中秋) are converted with the pure-Python ``lunardate`` package;
  relative years there ("去年腊月") count in lunar years, so in November 2026 "去年腊月" is the 12th
  month of lunar year 2025, which began on 2026-01-19.
* Future dates are returned as understood, with ``is_future`` set: the caller decides what to do.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from .numbers import NUM, normalize, number_value

__all__ = ["ParsedDate", "parse_date"]


@dataclass(frozen=True)
class ParsedDate:
    """A date understood from text.

    date: the Gregorian date.
    text_understood: that date for echoing back, e.g. "2026年9月1日".
    approximate: True when the text named a period (a month, "年底", "三个月前") and we picked a day in it.
    is_future: True when date > today (the caller usually rejects or asks again).
    note: how an approximate or lunar date was read, e.g. "农历2025年腊月初一（只说了月份，按初一算）".
    matched: the part of the (normalized) message that was read.
    """

    date: dt.date | None
    text_understood: str
    approximate: bool = False
    is_future: bool = False
    note: str = ""
    matched: str = ""
    problem: str = ""  # a day that does not exist ("4月31号"): date is None, and this says why


# --- building blocks ------------------------------------------------------------------------------

_REL_YEARS = {"大前年": -3, "前年": -2, "去年": -1, "今年": 0, "明年": 1, "后年": 2}
# Optional year before a month: "去年", "2025年", "25年", "二〇二五年". Group name: y.
_YEAR = r"(?:(?P<y>大前年|前年|去年|今年|明年|后年|(?<!\d)(?:19|20)?\d{2}\s*年|[零〇一二三四五六七八九]{2,4}\s*年)\s*(?:的)?\s*)?"
_MONTH = r"(?P<m>1[0-2]|0?[1-9]|十[一二]|十|[一二三四五六七八九])"
_DAY = r"(?P<d>3[01]|[12][0-9]|0?[1-9]|三十一?|二十[一二三四五六七八九]?|廿[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九])"
_DAY_END = r"(?:[日号號]|(?![0-9天个人块元万千百多]))"  # "9月1" is fine, "9月1个人" is not a date
_PART = r"(?P<part>份|初|上旬|中旬|中|下旬|底|末|尾)"
_LUNAR_MONTHS = {"正": 1, "冬": 11, "腊": 12}
_WEEKDAYS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7, "七": 7, "末": 6}


def _n(s: str) -> int | None:
    parsed = number_value(s.replace("廿", "二十"))
    return int(parsed[0]) if parsed else None


def _year(y: str | None, today: dt.date, base: int | None = None) -> int | None:
    """Year named by a prefix; relative words count from `base` (default: today's year)."""
    if not y:
        return None
    base = today.year if base is None else base
    if y in _REL_YEARS:
        return base + _REL_YEARS[y]
    digits = y.replace("年", "").strip()
    n = int(digits) if digits.isdigit() else _n(digits)
    if n is None:
        return None
    return 2000 + n if n < 100 else n


def _safe(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Impossible:
    """A matcher read a month and a day that do not exist together: said, never replaced by another day."""

    message: str


def _impossible(year: int | None, month: int, day: int) -> _Impossible | None:
    """Why month/day cannot be a date (in `year`, or in any year when None), or None when it can."""
    if not 1 <= month <= 12 or day < 1:
        return None
    longest = 29 if month == 2 else _last_day(2001, month)
    if day > longest:
        return _Impossible(f"{month}月没有{day}号（{month}月最多{longest}天）")
    if year is not None and _safe(year, month, day) is None:
        return _Impossible(f"{year}年{month}月没有{day}号（那年{month}月只有{_last_day(year, month)}天）")
    return None


def _latest_year(month: int, day: int, today: dt.date) -> int:
    """The year a month and day without a year name: this year, or last year when it is still to come."""
    return today.year if (month, day) <= (today.month, today.day) else today.year - 1


def _last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


def _recent(make, today: dt.date) -> dt.date | None:
    """The latest of make(today.year), make(today.year - 1), … that exists and is not after today."""
    for year in range(today.year, today.year - 5, -1):
        d = make(year)
        if d is not None and d <= today:
            return d
    return None


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m0 = divmod(d.month - 1 + months, 12)
    return dt.date(d.year + y, m0 + 1, min(d.day, _last_day(d.year + y, m0 + 1)))


def _part_day(part: str | None, y: int, m: int) -> tuple[int, str]:
    """Day standing for a part of a month, and a note: 初 → 1, 中 → 15, 下旬 → 21, 底 → last day."""
    if part in ("中", "中旬"):
        return 15, "月中，按15日算"
    if part == "下旬":
        return 21, "下旬，按21日算"
    if part in ("底", "末", "尾"):
        return _last_day(y, m), "月底，按最后一天算"
    return 1, "只说了月份，按1日算"


# --- lunar calendar (lazy import: only needed for 正月/腊月/春节…) -----------------------------------


def _lunar(year: int, month: int, day: int) -> dt.date | None:
    """Gregorian date of a lunar date (non-leap month); day 30 falls back to 29 in a short month."""
    try:
        from lunardate import LunarDate
    except ImportError:  # the package is optional: without it lunar dates are simply not understood
        return None
    for d in (day, 29) if day == 30 else (day,):
        try:
            return LunarDate(year, month, d).to_solar_date()
        except ValueError:
            continue
    return None


def _lunar_exists(year: int, month: int, day: int) -> bool:
    try:
        from lunardate import LunarDate

        LunarDate(year, month, day).to_solar_date()
    except (ImportError, ValueError):
        return False
    return True


def _lunar_year_of(day: dt.date) -> int:
    try:
        from lunardate import LunarDate
    except ImportError:
        return day.year
    return LunarDate.from_solar_date(day.year, day.month, day.day).year


# --- matchers: each returns (date, approximate, note) or None -------------------------------------

_MATCHERS: list[tuple[re.Pattern[str], object]] = []


def _matcher(pattern: str):
    def register(fn):
        _MATCHERS.append((re.compile(pattern), fn))
        return fn

    return register


@_matcher(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号號]?(?!\d)"
)
def _iso(m, today):
    y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
    return _impossible(y, mo, d) or (_safe(y, mo, d), False, "")


@_matcher(r"(?<!\d)(?P<y>20\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")
def _compact(m, today):
    return _safe(int(m["y"]), int(m["m"]), int(m["d"])), False, ""


@_matcher(rf"{_YEAR}(?<![0-9]){_MONTH}\s*月\s*份?\s*{_DAY}\s*{_DAY_END}")
def _month_day(m, today):
    month, day = _n(m["m"]), _n(m["d"])
    year = _year(m["y"], today)
    if year is None:
        # no year: the latest year in which that day is not after today ("2月29号" in 2026 is no 2024)
        year = _latest_year(month, day, today)
        bad = _impossible(year, month, day)
        if bad:
            return bad
        return _recent(lambda y: _safe(y, month, day), today), False, ""
    return _impossible(year, month, day) or (_safe(year, month, day), False, "")


@_matcher(
    r"(?<![\d./-])(?P<m>1[0-2]|0?[1-9])\s*[./-]\s*(?P<d>3[01]|[12]\d|0?[1-9])(?![\d./-]|\s*[千万kKw元块快%个年天人倍斤米])"
)
def _dotted(m, today):
    month, day = int(m["m"]), int(m["d"])
    year = _latest_year(month, day, today)
    return _impossible(year, month, day) or (_recent(lambda y: _safe(y, month, day), today), False, "")


@_matcher(rf"{_YEAR}(?<![0-9]){_MONTH}\s*月\s*{_PART}?(?!\s*[0-9一二三四五六七八九十廿])")
def _month_only(m, today):
    month = _n(m["m"])
    year = _year(m["y"], today)

    def make(y):
        day, _ = _part_day(m["part"], y, month)
        return _safe(y, month, day)

    d = make(year) if year is not None else _recent(make, today)
    note = _part_day(m["part"], d.year, month)[1] if d else ""
    return d, True, note


_DAY_WORDS = {"大前天": -3, "前天": -2, "前日": -2, "昨天": -1, "昨日": -1, "昨儿": -1, "昨个": -1, "今天": 0,
              "今日": 0, "今儿": 0, "今个": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}  # fmt: skip


@_matcher("|".join(sorted(_DAY_WORDS, key=len, reverse=True)))
def _day_word(m, today):
    return today + dt.timedelta(days=_DAY_WORDS[m.group()]), False, ""


@_matcher(r"前几天|前些天|前些日子|前两天|这几天|这两天")
def _few_days_ago(m, today):
    days = 2 if "两" in m.group() else 3
    return today - dt.timedelta(days=days), True, f"{m.group()}，按{days}天前算"


@_matcher(rf"(?P<rel>上上个?月|上个?月|这个?月|本月|当月|下个?月)\s*(?:(?:的)?{_DAY}\s*[号日號]|{_PART})?")
def _relative_month(m, today):
    shift = {"上上": -2, "上": -1, "这": 0, "本": 0, "当": 0, "下": 1}
    rel = m["rel"]
    months = shift["上上"] if rel.startswith("上上") else shift[rel[0]]
    first = _add_months(today.replace(day=1), months)
    if m["d"]:
        return _safe(first.year, first.month, _n(m["d"])), False, ""
    day, note = _part_day(m["part"], first.year, first.month)
    return first.replace(day=day), True, note


@_matcher(
    rf"(?P<n>{NUM}|半)\s*(?P<a>多)?\s*(?P<unit>天|日|个?\s*(?:星期|礼拜)|周|个\s*(?P<a2>多|半)?\s*月|年)\s*(?P<a3>多)?\s*(?:以前|之前|前)"
)
def _ago(m, today):
    half = m["n"] == "半"
    n = 0.5 if half else _n(m["n"])
    if not n:
        return None
    unit = m["unit"]
    approx = bool(m["a"] or m["a2"] or m["a3"])
    if unit in ("天", "日"):
        return today - dt.timedelta(days=int(n)), approx, ""
    if "月" in unit:
        months = n + (0.5 if m["a2"] == "半" else 0)
        if months == int(months):
            return _add_months(today, -int(months)), True, f"{m.group()}，按同一天算"
        return _add_months(today, -int(months)) - dt.timedelta(days=15), True, f"{m.group()}，按天数估算"
    if unit == "年":
        return _add_months(today, -int(n * 12)), True, f"{m.group()}，按同一天算"
    return today - dt.timedelta(days=int(n * 7)), True, f"{m.group()}，按{int(n * 7)}天前算"


@_matcher(r"(?P<which>上上|上|这|本|下)?\s*个?\s*(?:周|星期|礼拜)\s*(?P<w>[一二三四五六日天七末1-7])?")
def _week(m, today):
    which, w = m["which"], m["w"]
    if not w and which not in ("上", "上上"):
        return None  # "两周" is a duration, "这周" too vague
    monday = today - dt.timedelta(days=today.weekday())
    weeks = {"上上": -2, "上": -1, "这": 0, "本": 0, "下": 1, None: 0}[which]
    if not w:
        return today + dt.timedelta(weeks=weeks), True, f"{m.group()}，按{-weeks * 7}天前算"
    weekday = int(w) if w.isdigit() else _WEEKDAYS[w]
    d = monday + dt.timedelta(weeks=weeks, days=weekday - 1)
    if which is None and d > today:  # bare "周三": the most recent Wednesday
        d -= dt.timedelta(weeks=1)
    return d, w == "末", "周末，按周六算" if w == "末" else ""


@_matcher(rf"(?<![0-9月初第个周期拜年十廿]){_DAY}\s*[号號](?!子|码|线|楼|床|车)")
def _bare_day(m, today):
    day = _n(m["d"])
    return _recent(lambda y: _recent_month_day(y, day, today), today), False, ""


def _recent_month_day(year: int, day: int, today: dt.date) -> dt.date | None:
    """Day `day` of the latest month (in `year`, up to today's month) in which it exists and is not after today."""
    last_month = today.month if year == today.year else 12
    for month in range(last_month, 0, -1):
        d = _safe(year, month, day)
        if d is not None and d <= today:
            return d
    return None


# Fixed-date holidays (Gregorian) and lunar ones.
_SOLAR_HOLIDAYS = {
    "国庆节": (10, 1),
    "国庆": (10, 1),
    "元旦": (1, 1),
    "五一": (5, 1),
    "劳动节": (5, 1),
    "清明节": (4, 4),
    "清明": (4, 4),
}
_LUNAR_HOLIDAYS = {"春节": (1, 1), "过年": (1, 1), "大年初一": (1, 1), "元宵节": (1, 15), "元宵": (1, 15),
                   "端午节": (5, 5), "端午": (5, 5), "中秋节": (8, 15), "中秋": (8, 15)}  # fmt: skip
# "年后" only when no number precedes it: "三年后" is not "after Chinese New Year".
_AFTER_NEW_YEAR = r"过完年|过了年|年过完|春节后|春节过后|过年后|(?<![0-9一二三四五六七八九十几多半])年后|开年"
_HOLIDAY_NAMES = "|".join(
    sorted([*_SOLAR_HOLIDAYS, *_LUNAR_HOLIDAYS, "除夕", "大年三十", "年三十"], key=len, reverse=True)
)


# "国庆节后", "五一前后": around the holiday, so approximate.
_AROUND = r"(?P<around>前后|左右|以后|之后|过后|以前|之前|后|前)?"


@_matcher(
    rf"{_YEAR}(?P<h>{_AFTER_NEW_YEAR}|{_HOLIDAY_NAMES}|十一(?=\s*(?:假|长假|黄金周|期间|节|那|前|后|的时候))){_AROUND}"
)
def _holiday(m, today):
    h = m["h"]
    year = _year(m["y"], today)

    def make(y):
        if h in _SOLAR_HOLIDAYS or h == "十一":
            return _safe(y, *_SOLAR_HOLIDAYS.get(h, (10, 1)))
        if h in ("除夕", "大年三十", "年三十"):  # the eve of that calendar year's Spring Festival
            cny = _lunar(y, 1, 1)
            return cny - dt.timedelta(days=1) if cny else None
        return _lunar(y, *_LUNAR_HOLIDAYS.get(h, (1, 1)))

    d = make(year) if year is not None else _recent(make, today)
    if re.fullmatch(_AFTER_NEW_YEAR, h) or h == "年后":
        return d, True, f"{h}，按春节当天算"
    if h.startswith("清明"):
        return d, True, "清明节在4月4日或5日前后，按4月4日算"
    name = "十一（国庆节）" if h == "十一" else h
    if m["around"]:
        return d, True, f"{name}{m['around']}，按节日当天算"
    return d, False, f"{name}，即10月1日" if h == "十一" else ""


@_matcher(
    rf"{_YEAR}(?P<nl>农历|阴历|老历)?\s*(?P<lm>正|冬|腊|十一|十二|十|[一二三四五六七八九])\s*月\s*"
    r"(?:(?P<ld>初[一二三四五六七八九十]|二十[一二三四五六七八九]?|廿[一二三四五六七八九]?|十[一二三四五六七八九]?|三十"
    r"|[12][0-9](?!\d)|30|[1-9](?!\d))\s*[号日號]?)?"
)
def _lunar_date(m, today):
    lm = m["lm"]
    if lm not in _LUNAR_MONTHS and not m["nl"]:
        return None  # "三月" is March: the Gregorian matchers handle it
    month = _LUNAR_MONTHS.get(lm) or _n(lm)
    day = _n(m["ld"].replace("初", "")) if m["ld"] else 1
    lunar_today = _lunar_year_of(today)
    year = _year(m["y"], today, base=lunar_today)
    if year is not None:
        d = _lunar(year, month, day)
    else:
        d = next(
            (
                x
                for x in (_lunar(y, month, day) for y in range(lunar_today, lunar_today - 3, -1))
                if x and x <= today
            ),
            None,
        )
    if d is None:
        return None
    ly = _lunar_year_of(d)
    if m["ld"] and day == 30 and not _lunar_exists(ly, month, 30):
        name = _lunar_name(month, None)
        return d, False, f"农历{ly}年{name}只有29天，{name}三十按最后一天（{_lunar_name(month, 29)}）算"
    if m["ld"]:
        return d, False, f"农历{ly}年{_lunar_name(month, day)}"
    return d, True, f"农历{ly}年{_lunar_name(month, None)}（只说了月份，按初一算）"


def _lunar_name(month: int, day: int | None) -> str:
    """Traditional lunar names: (12, 23) → "腊月廿三", (1, 15) → "正月十五", (8, None) → "八月"."""
    digits = "一二三四五六七八九十"
    name = {1: "正月", 11: "冬月", 12: "腊月"}.get(month) or f"{digits[month - 1]}月"
    if day is None:
        return name
    if day <= 10:
        return f"{name}初{digits[day - 1]}"
    if day % 10 == 0:
        return name + ("二十" if day == 20 else "三十")
    return name + {1: "十", 2: "廿"}[day // 10] + digits[day % 10 - 1]


@_matcher(rf"(?:(?P<y1>大前年|前年|去年|今年|明年)|{_YEAR}年)(?P<p>初|头|中|底|末|尾)")
def _year_part(m, today):
    year = _year(m["y1"] or m["y"], today)
    month, note = {
        "初": (1, "年初，按1月1日算"),
        "头": (1, "年初，按1月1日算"),
        "中": (7, "年中，按7月1日算"),
    }.get(m["p"], (12, "年底，按12月1日算"))
    d = _safe(year, month, 1) if year is not None else _recent(lambda y: _safe(y, month, 1), today)
    return d, True, note


@_matcher(r"(?P<y>大前年|前年|去年|今年|(?<!\d)(?:19|20)\d{2}\s*年)")
def _year_only(m, today):
    year = _year(m["y"], today)
    return _safe(year, 1, 1), True, "只说了年份，按1月1日算"


# --- entry point ----------------------------------------------------------------------------------


def parse_date(text: str, today: dt.date | None = None) -> ParsedDate | None:
    """The date a worker's message names, or None.

    Understands "9月1号", "9月1日", "9.1", "2026-09-01", "2026年9月1日", "2026/9/1", "上个月10号",
    "昨天", "前天", "今天", "上周", "上周三", "10号", "去年腊月", "正月十五", "今年3月", "三个月前",
    "半年前", "上个月", "国庆", "春节", "过年", "年初", "年底". When several parts of the text look like
    dates, the longest one wins. See ParsedDate for the fields.
    """
    today = today or dt.date.today()
    text = normalize(text)
    best = None
    for regex, resolve in _MATCHERS:
        for m in regex.finditer(text):
            if not m.group().strip():
                continue
            result = resolve(m, today)
            if isinstance(result, _Impossible):
                result = (None, False, result.message)
            elif result is None or result[0] is None:
                continue
            key = (m.end() - m.start(), -m.start())
            if best is None or key > best[0]:
                best = (key, result, m.group().strip())
    if best is None:
        return None
    (d, approximate, note), matched = best[1], best[2]
    if d is None:
        return ParsedDate(None, "", matched=matched, problem=note)
    return ParsedDate(d, f"{d.year}年{d.month}月{d.day}日", approximate, d > today, note, matched)

"""Numbers in what a worker types: money, people and durations.

Messages come from phone keyboards and voice-to-text, so the same amount arrives as "680", "680块",
"六百八", "￥680" or "680快" (a common typo of 块). The approach is deliberately plain:

1. ``normalize`` turns full-width characters into ASCII and drops thousands separators.
2. ``NUMBER`` (a regex) finds every numeral, Arabic, Chinese or mixed ("1万2", "3百", "1.2千").
3. ``number_value`` turns one numeral into a value: the conversion itself ("六百八" → 680, "一千二" → 1200,
   "壹仟贰佰", "二零二六") is cn2an's; ours are the ranges "七八百" (700, approximate) and chat forms (俩, 1.2k).
4. Each ``parse_*`` function looks at the unit after a numeral (块, 个月, 人 …) to decide which
   numeral answers its question, so "去广东5个月了车票680" gives 680 as the amount and 5 as the months.

Approximate values ("两百多人", "一年多", "七八百") are lower bounds: "两百多" gives 200, flagged approximate,
so a caller checking a threshold never over-counts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from cn2an import cn2an

__all__ = [
    "Quantity",
    "normalize",
    "number_value",
    "parse_amount",
    "parse_amounts",
    "parse_counts",
    "parse_months",
]

# --- numerals -------------------------------------------------------------------------------------

# Chinese digits, with financial forms (壹贰…) and colloquial 俩 (2) / 仨 (3).
CN_DIGITS = {
    "零": 0, "〇": 0, "○": 0,
    "一": 1, "壹": 1, "幺": 1,
    "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2, "俩": 2, "倆": 2,
    "三": 3, "叁": 3, "仨": 3,
    "四": 4, "肆": 4,
    "五": 5, "伍": 5,
    "六": 6, "陆": 6,
    "七": 7, "柒": 7,
    "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}  # fmt: skip
CN_UNITS = {
    "十": 10,
    "拾": 10,
    "百": 100,
    "佰": 100,
    "千": 1000,
    "仟": 1000,
    "万": 10**4,
    "萬": 10**4,
    "亿": 10**8,
    "億": 10**8,
}
_DIGIT_CHARS = "".join(c for c in CN_DIGITS if c != "幺")  # 幺 only means 1 when reading digits aloud
_UNIT_CHARS = "".join(CN_UNITS)

# A numeral starts with a digit (or 十, as in "十五"), never with 百/千/万: that keeps "万一" (just in case)
# and "百分之" from being read as numbers. It must not continue a code such as "G1234" or follow 几
# ("几十人" is not 10 people). k/w after Arabic digits are chat shorthand for 千/万 ("1.2k", "3w").
# Arabic and Chinese digits never touch inside one numeral ("5000一个月" is 5000, then 一个月), but either
# may follow a unit ("1万2", "3千五").
NUMBER = re.compile(
    rf"(?<![0-9A-Za-z.几])(?:[0-9]|[{_DIGIT_CHARS}十拾])"
    rf"(?:(?<![{_DIGIT_CHARS}])[0-9]|(?<![0-9])[{_DIGIT_CHARS}]|[{_UNIT_CHARS}]|[.点](?=[0-9{_DIGIT_CHARS}])"
    rf"|(?<=[0-9])[kKwW](?![A-Za-z]))*"
)
NUM = NUMBER.pattern  # for building other regexes (dates, durations)

# Words that make a number a lower bound: "两百多", "二十几", "一百来", "三十余", "五十出头".
APPROX_AFTER = r"(?:多|几|来|余|出头)"
APPROX_BEFORE = re.compile(r"(大概|大约|差不多|将近|接近|约|快|近|估计|可能|左右)\s*$")

_RANGE_PAIRS = {(1, 2), (2, 3), (3, 4), (3, 5), (4, 5), (5, 6), (6, 7), (7, 8), (8, 9)}


@dataclass(frozen=True)
class Quantity:
    """A number understood from text.

    value: the number (months for durations, people for counts).
    approximate: True for "多/几/来", ranges ("七八百") and "左右/大概". For 多/几/来 and ranges the value
        is the lower bound ("两百多" → 200); for 左右/大概 it is the number said.
    text_understood: how we read it, for echoing back ("2个月以上", "至少200人").
    matched: the substring of the (normalized) message it came from.
    """

    value: float
    approximate: bool = False
    text_understood: str = ""
    matched: str = ""
    # durations only: "below" (不到三个月: less than value), "about" (快/将近/差不多/左右: maybe a little less),
    # "at_least" (两个多月: value or more), "" (as said); short_days: "还差5天满3个月" → 5
    bound: str = ""
    short_days: int | None = None

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)


def normalize(text: str) -> str:
    """Full-width → ASCII (NFKC), drop thousands separators ("1,200"), so regexes see one form."""
    text = re.sub(
        r"(?<=\d),(?=\d{3}(?!\d))", "", text or ""
    )  # before NFKC: "，" is a clause break, not a separator
    return unicodedata.normalize("NFKC", text)


# What cn2an does not read: the colloquial 俩/仨 and chat shorthand k/w (千/万) after Arabic digits.
_FOR_CN2AN = str.maketrans(
    {"俩": "两", "倆": "两", "仨": "三", "○": "〇", "k": "千", "K": "千", "w": "万", "W": "万"}
)


@lru_cache(maxsize=4096)  # each parse_* reads the same numerals again; cn2an takes ~10 µs a call
def number_value(numeral: str) -> tuple[float, bool] | None:
    """Value of one numeral and whether it is approximate (a range such as "七八百" or "三四").

    Handles "680", "六百八" (680), "一千二" (1200), "1万2" (12000), "三百零五" (305), "1.2千", "两万五",
    "二零二六" (digit by digit, 2026). Returns None for something that is not a numeral.
    """
    raw = numeral.strip()
    approx = False

    # Ranges: two neighbouring Chinese digits, "七八百" (700-800), "三五个" (3-5), "一两千", "二十七八" (27-28).
    # Keep the lower end. A bare "二三" is left alone: it is more often a year ("二三年" = 2023).
    def is_range(a: str, b: str) -> bool:
        return a in CN_DIGITS and b in CN_DIGITS and (CN_DIGITS[a], CN_DIGITS[b]) in _RANGE_PAIRS

    if len(raw) >= 3 and is_range(raw[0], raw[1]) and raw[2] in CN_UNITS:
        raw, approx = raw[0] + raw[2:], True
    elif len(raw) == 2 and is_range(raw[0], raw[1]) and raw[0] != "二":
        raw, approx = raw[0], True
    elif len(raw) >= 3 and is_range(raw[-2], raw[-1]) and raw[-3] in CN_UNITS:
        raw, approx = raw[:-1], True
    # cn2an's "smart" mode reads Chinese, Arabic and mixed numerals, financial forms and the spoken short
    # forms ("六百八" is 680: one digit after a unit is worth a tenth of that unit).
    try:
        return float(cn2an(raw.translate(_FOR_CN2AN), "smart")), approx
    except (ValueError, KeyError):  # not a numeral
        return None


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class _Num:
    value: float
    approx: bool
    start: int
    end: int
    text: str


def _numbers(text: str) -> list[_Num]:
    found = []
    for m in NUMBER.finditer(text):
        parsed = number_value(m.group())
        if parsed is not None:
            found.append(_Num(parsed[0], parsed[1], m.start(), m.end(), m.group()))
    return found


def _single_cn_digit(n: _Num) -> bool:
    """A lone "一"/"两" is usually a word ("一下", "一起", "两个"), not a quantity on its own."""
    return len(n.text) == 1 and n.text in CN_DIGITS


# --- money ----------------------------------------------------------------------------------------

# 快 is the most common typo of 块; 米 is young people's slang for 元. 毛/角 are tenths.
_MONEY_UNIT = re.compile(r"\s*(?:多|来|余)?\s*(块钱|块|塊|快钱|快|元钱|元|圆|米|rmb|RMB|人民币|毛钱|毛|角)")
_MONEY_PREFIX = re.compile(r"(￥|¥|RMB|rmb|人民币)\s*$")
# Units that say a number is NOT money: durations, dates, people, counts, percentages, distances…
_NOT_MONEY_UNIT = re.compile(
    r"\s*(?:多|来|余|几)?\s*(?:个\s*(?:多|半)?\s*月|个|月|天|日|号|號|年|周|星期|礼拜|小时|钟头|分钟|点钟|岁|人|名|位|口|"
    r"次|趟|张|家|户|份|条|件|台|辆|层|楼|斤|公斤|亩|公里|里路|km|KM|%|成|倍|折|届|期|批|组|班|"
    r"寸|平米|平方|立方|度|秒|分(?!钱))"
)
_NOT_MONEY_PREFIX = re.compile(
    r"(百分之|第|周|星期|礼拜|初|廿|[0-9一二三四五六七八九十]\s*月|[0-9]\s*[./-])\s*$"
)
_MONEY_HINT = re.compile(
    r"(车票|机票|火车票|汽车票|票价|票|路费|车费|交通费|费用|费|花了|花|用了|付了|付|钱|工资|补贴|报销|一共|总共|共计|合计|价格|价)\s*(?:是|了|要|为|共)?\s*$"
)
# After "X块", one more digit is 角: "八十八块五" = 88.5, "3块8毛" = 3.8 (but not "680块5个月").
_JIAO = re.compile(r"零?\s*([0-9一二两三四五六七八九])\s*(?:毛|角)?(?![0-9个月天年人号日多块元分])")
_FEN = re.compile(r"零\s*([0-9一二两三四五六七八九])\s*分")  # "五块零二分" = 5.02
_TOGETHER = re.compile(r"[块快](?:儿)?(?=[去走来干做打上回住吃玩出])")  # "一块去" = go together


def _money_candidates(text: str) -> list[tuple[int, float, _Num]]:
    """(strength, value, numeral) for every numeral that might be money: 2 = has a money unit, 1 = bare."""
    out = []
    for n in _numbers(text):
        before, after = text[max(0, n.start - 8) : n.start], text[n.end :]
        unit = _MONEY_UNIT.match(after)
        if unit and not (unit.group(1) in "块快" and n.text == "一" and _TOGETHER.match(after.lstrip())):
            value = n.value
            if unit.group(1) in ("毛", "毛钱", "角"):
                value = n.value / 10
            elif unit.group(1) in ("块", "块钱", "塊", "快", "元"):
                rest = after[unit.end() :]
                jiao, fen = _JIAO.match(rest), _FEN.match(rest)
                if fen:
                    value += _digit(fen.group(1)) / 100
                elif jiao:
                    value += _digit(jiao.group(1)) / 10
            out.append((2, value, n))
        elif _MONEY_PREFIX.search(before):
            out.append((2, n.value, n))
        elif not _not_money(n, text, before, after):
            out.append((1, n.value, n))
    return out


def _digit(ch: str) -> int:
    return CN_DIGITS[ch] if ch in CN_DIGITS else int(ch)


def _not_money(n: _Num, text: str, before: str, after: str) -> bool:
    """A bare numeral that is clearly something else: "5个月", "9月1", a phone number, a lone "一"."""
    if _NOT_MONEY_UNIT.match(after) or _NOT_MONEY_PREFIX.search(before):
        return True
    if len(re.sub(r"\D", "", n.text)) >= 9:  # phone or ID numbers
        return True
    return _single_cn_digit(n) and n.text != text.strip()


def parse_amount(text: str) -> float | None:
    """Money in 元 from free text, or None.

    "680", "680块", "六百八" (680), "1.2千" (1200), "1万2" (12000), "八十八块五" (88.5), "￥680",
    "车票花了680，能补多少" (680), "去广东5个月了车票680" (680: the 5 has a month unit).
    A number with a money unit (块/元/￥) wins; otherwise a bare number right after a money word
    (车票, 花了, 路费 …); otherwise the first bare number.
    """
    text = normalize(text)
    cands = _money_candidates(text)
    if not cands:
        return None
    strong = [c for c in cands if c[0] == 2]
    if strong:
        return float(strong[0][1])
    hinted = [c for c in cands if _MONEY_HINT.search(text[max(0, c[2].start - 8) : c[2].start])]
    return float((hinted or cands)[0][1])


def parse_amounts(text: str) -> list[float]:
    """Every amount of money in the text, in order: "先坐班车到昆明九十 再坐火车二百五" → [90, 250].

    Numbers with another unit (months, people, dates) and phone numbers are left out.
    """
    text = normalize(text)
    cands = _money_candidates(text)
    return [float(c[1]) for c in sorted(cands, key=lambda c: c[2].start)]


# --- people ---------------------------------------------------------------------------------------

# 个 counts people unless it is part of a duration ("3个月", "两个星期", "一个小时").
_PERSON_UNIT = re.compile(
    r"\s*(多|几|来|余)?\s*(?:个人|人|名|位|口人|口|个(?!\s*(?:多|半)?\s*(?:月|星期|礼拜|小时|钟|周|年|工作日|字)))"
    # "一个厂", "两个工地", "三个地方": 个 before a thing is not a head count
    r"(?!\s*(?:厂|工厂|公司|工地|地方|村|镇|乡|县|城|市|省|单位|老板|项目|问题|事|电话|证|厂子|车间|班组|组))"
)
_SHANGBAI = re.compile(r"(上|成)(百|千|万)(?:个)?(?:人|名)?")  # "上百人" = at least 100


def _count_quantity(n: _Num, text: str, end: int, approx_word: str | None) -> Quantity:
    """A people count from numeral n whose unit ends at `end`; 多/几/左右/大概 make it approximate."""
    tail = re.match(r"\s*(左右|上下)", text[end:])
    lower_bound = n.approx or bool(approx_word)
    about = bool(tail) or bool(APPROX_BEFORE.search(text[: n.start]))
    return _people(int(n.value), lower_bound, about, text[n.start : end])


def _people(value: int, lower_bound: bool, about: bool, matched: str) -> Quantity:
    """Quantity for a people count; "至少200人" for "两百多人", "约30人" for "30左右"."""
    understood = f"至少{value}人" if lower_bound else f"约{value}人" if about else f"{value}人"
    return Quantity(value, lower_bound or about, understood, matched)


def parse_counts(text: str) -> list[Quantity]:
    """Every number of people in the text, in order: "组织了25人，还有18人在干" → [25, 18]."""
    text = normalize(text)
    found = []
    for n in _numbers(text):
        unit = _PERSON_UNIT.match(text[n.end :])
        if unit and n.value >= 1 and float(n.value).is_integer():
            found.append((n.start, _count_quantity(n, text, n.end + unit.end(), unit.group(1))))
    for m in _SHANGBAI.finditer(text):
        value = CN_UNITS[m.group(2)]
        found.append((m.start(), _people(value, True, False, m.group())))
    return [q for _, q in sorted(found, key=lambda pair: pair[0])]


# --- durations ------------------------------------------------------------------------------------

_A = APPROX_AFTER
_DURATION_VERB = (
    r"(?:干了|做了|上了|待了|呆了|去了|出去|打了|打工|上班|工作|干|做|待|呆|满|足|快|将近|差不多|有)"
)
# Each entry: regex → function(match) returning (months, approximate). Order does not matter: the earliest,
# then longest, match in the text wins (so "一年三个月" beats "一年").
_DURATIONS: list[tuple[re.Pattern[str], object]] = []


def _dur(pattern: str):
    def register(fn):
        _DURATIONS.append((re.compile(pattern), fn))
        return fn

    return register


def _v(s: str | None) -> float:
    parsed = number_value(s) if s else None
    return parsed[0] if parsed else 0.0


def _ax(s: str | None) -> bool:
    parsed = number_value(s) if s else None
    return bool(parsed and parsed[1])


@_dur(rf"(?P<y>{NUM})\s*年\s*(?:零|又)?\s*(?P<m>{NUM})\s*个?\s*(?P<a>{_A})?\s*月(?!份|[0-9号日])")
def _years_and_months(m):
    return _v(m["y"]) * 12 + _v(m["m"]), bool(m["a"]) or _ax(m["y"]) or _ax(m["m"])


@_dur(
    rf"(?P<n>{NUM})\s*(?P<a1>{_A})?\s*年\s*(?P<half>半)?\s*(?P<a2>多)?(?![0-9一二三四五六七八九十]+\s*月|级|代|底|初|末)"
)
def _years(m):
    n = _v(m["n"])
    if n >= 100 or n <= 0:  # "2026年" is a date, not a duration
        return None
    return n * 12 + (6 if m["half"] else 0), bool(m["a1"] or m["a2"]) or _ax(m["n"])


@_dur(r"(?<![上下])(?P<big>大)?半\s*年\s*(?P<a>多)?")  # 上半年/下半年 are dates
def _half_year(m):
    return 6.0, bool(m["big"] or m["a"])


@_dur(r"(?<![0-9一二两三四五六七八九十])半\s*个\s*(?P<a>多)?\s*月")
def _half_month(m):
    return 0.5, bool(m["a"])


@_dur(rf"(?P<n>{NUM})\s*个\s*半\s*月")
def _n_and_half_months(m):
    return _v(m["n"]) + 0.5, _ax(m["n"])


@_dur(rf"(?P<n>{NUM})\s*(?P<a1>{_A})?\s*个\s*(?P<a2>多|来)?\s*月")
def _months(m):
    return _v(m["n"]), bool(m["a1"] or m["a2"]) or _ax(m["n"])


@_dur(r"个把月|一个来月")
def _about_a_month(m):
    return 1.0, True


# "3月" is March unless a verb says it is a duration ("干了3月"); "俩月" is always two months.
@_dur(
    rf"(?:{_DURATION_VERB}\s*(?P<n>{NUM})|(?P<two>俩))\s*(?P<a>多)?\s*月(?!份|[0-9一二三四五六七八九十号日初中底末])"
)
def _bare_months(m):
    return (2.0 if m["two"] else _v(m["n"])), bool(m["a"]) or _ax(m["n"])


@_dur(rf"(?<![月0-9])(?P<n>{NUM})\s*(?P<a>{_A})?\s*(?:天|日子)(?!前|之前|后)")
def _days(m):
    return round(_v(m["n"]) / 30, 2), bool(m["a"]) or _ax(m["n"])


@_dur(rf"(?P<n>{NUM})\s*(?P<a>{_A})?\s*个?\s*(?:周|星期|礼拜)(?![一二三四五六日天1-7])")
def _weeks(m):
    return round(_v(m["n"]) / 4, 2), bool(m["a"]) or _ax(m["n"])


_JUST_STARTED = re.compile(r"(刚刚|刚|才|还没)\s*(去|到|来|出去|出来|开始|上班|进厂|过去|过来|干|做)")
# "不到三个月", "还没满3个月", "三个月不到": less than that
_BELOW_BEFORE = re.compile(r"(不到|不满|没满|没够|没有满|没到|不够|未满)\s*$")
_BELOW_AFTER = re.compile(r"\s*(不到|不满|还不到|没到|没满)")
_ABOUT_AFTER = re.compile(r"\s*(左右|上下)")
# "还差几天满三个月", "差5天就满3个月了": the days short of a duration
# days short of something: a number, or a vague "几/一两/两三" (a few: not counted)
DAYS_SHORT = rf"差\s*(?P<n>{NUM}|几|一两|两三)\s*天"
_SHORT_OF = re.compile(DAYS_SHORT + r"\s*(?:就)?\s*(?:满|够|到)\s*$")
# "2个月29天", "两个月零十天", "一年零五天": days after months or years add up
_AND_DAYS = re.compile(rf"\s*(?:零|又)?\s*(?P<n>{NUM})\s*(?:天|日)(?!前|之前|后)")


def days_short(match: re.Match | None) -> int | None:
    """The days of a DAYS_SHORT match ("差5天" → 5); None for none or a vague "差几天"."""
    if match is None or match["n"] in ("几", "一两", "两三"):
        return None
    parsed = number_value(match["n"])
    return int(parsed[0]) if parsed else None


def parse_months(text: str) -> Quantity | None:
    """A duration in months: "5个月", "半年" (6), "一年半" (18), "两个多月" (2, approximate), "90天" (3),
    "10天" (0.33), "两周" (0.5), "干了3月" (3), "2个月29天" (2.97), "刚去" (0, approximate).

    Days count as 1/30 month and weeks as 1/4 month (so "两周" is half a month, as people say).
    `bound` says how the number relates to the time worked: "at_least" for lower bounds ("一年多" → 12,
    "12个月以上"), "about" for "快/将近/差不多/左右" ("快三个月了" → 3, "约3个月": maybe a little less, so a
    caller checking a threshold asks), "below" for "不到/没满/还差几天满" ("不到三个月" → 3: less than 3).
    "几个月" (a few) gives None: ask again.
    """
    text = normalize(text)
    best = None
    for regex, fn in _DURATIONS:
        for m in regex.finditer(text):
            result = fn(m)
            if result is None:
                continue
            # "还差5天满3个月": the 5 days are what is short, not the time worked
            if fn is _days and re.match(r"\s*(?:就)?\s*(?:满|够|到)", text[m.end() :]):
                continue
            key = (m.start(), -(m.end() - m.start()))
            if best is None or key < best[0]:
                best = (key, result, m.group(), m.end())
    if best is not None:
        (months, lower_bound), matched, end = best[1], best[2], best[3]
        start = best[0][0]
        days = _AND_DAYS.match(text, end) if matched and not matched.endswith(("天", "日子")) else None
        if days and (extra := number_value(days["n"])):
            months = round(months + extra[0] / 30, 2)
            matched += days.group()
            end = days.end()
        before = text[:start]
        short = _SHORT_OF.search(before)
        bound = ""
        if short or _BELOW_BEFORE.search(before) or _BELOW_AFTER.match(text, end):
            bound = "below"
        elif APPROX_BEFORE.search(before) or _ABOUT_AFTER.match(text, end):
            bound = "about"  # "快一年了", "差不多半年": about that long, maybe a little less
        elif lower_bound:
            bound = "at_least"
        short_days = days_short(short)
        understood = {
            "at_least": f"{_fmt(months)}个月以上",
            "about": f"约{_fmt(months)}个月",
            "below": f"不到{_fmt(months)}个月",
        }.get(bound, f"{_fmt(months)}个月")
        return Quantity(months, bool(bound), understood, matched, bound, short_days)
    m = _JUST_STARTED.search(text)
    if m and m.group(1) != "还没":
        return Quantity(0.0, True, "刚去不久（不到1个月）", m.group(), "at_least")
    if m:
        return Quantity(0.0, False, "还没去", m.group())
    return None

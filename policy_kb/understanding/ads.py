"""Recruitment posts in what a worker forwards: is this message a job ad, and what are its parts.

A forwarded WeChat post ("【急招】电子厂普工 月薪6000-8000 包吃住 联系微信…") is read as an ad, not split into
questions and not sent to a calculator. What counts: the features a post has and a question does not —
recruiting words, pay figures, working hours, requirements, a contact to sign up with — at least three of
them, or two with a recruiting word. A question about one's own case ("我在东莞干了5个月 车票680") has
none of the recruiting words and at most one feature.

    recognise("【急招】普工 月薪6000 包吃住 电话13900001234") -> "ad"
    recognise("这个靠谱不")                                -> "about_ad" (the ad is the previous message)
    recognise("https://mp.weixin.qq.com/s/abc")          -> "link" (we cannot open it: ask for the text)
    recognise("老板欠我8000工资怎么办")                     -> None
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .numbers import normalize, parse_amounts
from .places import parse_place

MAX_AD_CHARS = 3000  # a long post is still read whole; beyond this it is not a post but a document

FEATURES = {
    # words only a post uses: one of them and one more feature make an ad
    "recruit": re.compile(
        r"招聘|急招|招工|诚聘|直招|高薪招|长期招|大量招|招\d+[名人个]|招[男女]?(普工|工人|员工|服务员|保安|司机|学徒|师傅|骑手|小工|大工)|"
        r"普工|名额有限|报名从速|欢迎(报名|加入)|(岗位|职位)[:：]|缺人|急需|带队|兼职|"
        r"岗位推送|岗位信息|招聘信息|用工信息|来了就能上班|有想去.{0,12}(上班|干活|工作|打工)"
    ),
    # words a question may use too ("入职没签合同", "违法用工"): a feature like the others
    "joining": re.compile(r"入职|面试|招募|要人|招人|上户|速来|等你来|欢迎咨询"),
    "pay": re.compile(
        r"(月薪|底薪|时薪|日薪|日结|综合工资|综合薪资|工资|薪资|待遇|收入|月入|日入)[^，。\n]{0,4}\d|"
        r"\d{3,5}\s*[-~至到]\s*\d{3,5}|\d+元/(小时|天|月|时)|[0-9一二两三四五六七八九]+[千万]\+|保底|计件|"
        r"(月入|月薪)(过|上)万|一[天公斤件单][^，。\n]{0,4}\d|\d+\s*块\s*\d?\s*一[公斤件单]"
    ),
    "perks": re.compile(
        r"包吃|包住|包吃住|包食宿|五险|社保|宿舍|餐补|免费(住宿|工作餐|吃住)|空调|年底双薪|路费报销|包机票|包车费|包来回|包证"
    ),
    "hours": re.compile(
        r"长白班|两班倒|倒班|夜班|白班|做六休一|做五休二|\d+小时|朝九晚|上班时间|工作时间|月休\d"
    ),
    "requirements": re.compile(
        r"\d{2}\s*[-~至到]\s*\d{2}\s*(周)?岁|年龄|男女不限|不限男女|身体健康|初中|高中|学历|经验|要求|限男|限女|"
        r"优先|以下都要|都能做|只要会|会打字|宝妈"
    ),
    "contact": re.compile(
        r"(电话|联系|报名|咨询|微信|VX|vx|V|v|热线|☎|📞|加我|私聊|私信|私我|详询)[^\n]{0,12}(\d{7,}|[A-Za-z][A-Za-z0-9_-]{4,}|\[手机号\])|"
        r"有意者|有意向|感兴趣的|联系人|私聊|私我"
    ),
}
# "这个靠谱不" / "帮我看看这个招工": a short message about a post, which is the message before it
ABOUT_AD = re.compile(
    r"^(帮我|帮忙|麻烦)?(看看|看一下|看下|瞧瞧)?(这个|这条|这|上面的?|刚才的?|那个|这种)?(招工|招聘|广告|工作|活|信息|厂)?"
    r"(靠谱|可靠|是真的|真的假的|是不是骗|是骗|能去|可信|正规)(吗|不|没|么|嘛|呀|哦)?[?？!！。.]*$"
    r"|^(帮我|帮忙|麻烦)?(看看|看一下|看下|查查|查一下)(这个|这条|下面这个|上面这个)?(招工|招聘|广告|工作|信息)"
)
LINK_OR_IMAGE = re.compile(r"^\s*(https?://\S+|www\.\S+|\[(图片|链接|视频|小视频|文件|表情)\])\s*$", re.I)


def features(text: str) -> set[str]:
    """The ad features a message has (recruit, joining, pay, perks, hours, requirements, contact)."""
    return _features(normalize(text))


def _features(plain: str) -> set[str]:
    return {name for name, pattern in FEATURES.items() if pattern.search(plain)}


def recognise(text: str) -> str | None:
    """'ad' for a recruitment post, 'about_ad' for a short question about the post sent before, 'link'
    for a bare link or an image placeholder, None for anything else."""
    plain = normalize(text or "").strip()
    if not plain:
        return None
    if LINK_OR_IMAGE.match(plain):
        return "link"
    if len(plain) <= 20 and ABOUT_AD.search(plain):
        return "about_ad"
    found = _features(plain)  # normalised once, above
    if len(found) >= 3 or ("recruit" in found and len(found) >= 2):
        return "ad"
    return None


@dataclass(frozen=True)
class AdParts:
    """What a post says, read from its text: the pay figures, the money it asks for, its contacts and
    the places it names."""

    pay: list[float] = field(default_factory=list)
    fees: list[float] = field(default_factory=list)
    mobiles: list[str] = field(default_factory=list)
    wechat_ids: list[str] = field(default_factory=list)
    landlines: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)


_PAY_LINE = re.compile(r"(月薪|底薪|时薪|日薪|日结|综合|工资|薪资|待遇|月入|日入|收入)[^\n]{0,20}")
_FEE_LINE = re.compile(r"[^\n，。；]{0,12}(费|押金|定金|保证金)[^\n，。；]{0,12}")
# a mobile, or the gateway's mask of one (bot/gateway/pii.py masks them before Rasa sees the text)
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)|\[手机号\]")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
_WECHAT_ID = re.compile(r"(?:微信|VX|vx|V信|wx)(?:号)?\s*[:：]?\s*([A-Za-z][A-Za-z0-9_-]{4,19})")
_ABROAD = re.compile(r"缅甸|柬埔寨|老挝|泰国|越南|迪拜|马来西亚|菲律宾|印尼|日本|韩国|新加坡")
_RANGE = re.compile(r"(?<!\d)(\d{3,5})\s*[-~至到]\s*(\d{3,5})(?!\d)")


def read_parts(text: str) -> AdParts:
    plain = normalize(text)
    pay: list[float] = []
    for line in _PAY_LINE.finditer(plain):
        ranges = [float(v) for pair in _RANGE.findall(line.group()) for v in pair]  # 6000-8000: both ends
        for value in ranges or parse_amounts(line.group()):
            if value not in pay:
                pay.append(value)
    fees = [value for line in _FEE_LINE.finditer(plain) for value in parse_amounts(line.group())]
    places: list[str] = []
    for line in plain.splitlines():  # the gazetteer finds the first place of a text: one per line
        place = parse_place(line)
        names = [place.display] if place is not None and not place.is_ambiguous else []
        for name in names + _ABROAD.findall(line):
            if name not in places:
                places.append(name)
    return AdParts(
        pay=pay,
        fees=fees,
        mobiles=[
            m.group() if m.group().startswith("[") else re.sub(r"\D", "", m.group())
            for m in _MOBILE.finditer(plain)
        ],
        wechat_ids=_WECHAT_ID.findall(plain),
        landlines=_LANDLINE.findall(plain),
        places=places,
    )

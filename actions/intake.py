"""Turn one user message into form facts (slot values), whatever order they come in.

Pure Python (no Rasa): `facts(form, text, intent, requested_slot, today)` returns the slots the message
fills. Every message is read whole, so "我是建档立卡户，去广东打工5个月了，火车票花了680" fills four slots
at once, and "不对，是4个月" overwrites months. A bare answer ("5", "是的") goes to the slot that was asked.
"""

from __future__ import annotations

import datetime as dt
import re

from policy_kb import kb as policy
from policy_kb.understanding import (
    parse_amount,
    parse_amounts,
    parse_counts,
    parse_date,
    parse_months,
    parse_place,
)
from policy_kb.understanding.numbers import DAYS_SHORT, days_short

YES_INTENTS = {"affirm"}
NO_INTENTS = {"deny"}
_YES = re.compile(
    r"^(是|是的|对|对的|嗯|嗯嗯|要得|没错|有|领过|是滴|对头|yes|ok)[啊呀的了哈嘛噻，,。!！]*$", re.I
)
_NO = re.compile(r"^(不是|不|没有|没|莫得|没得|不对|否|还没|没领过|no)[啊呀的了哈嘛噻，,。!！]*$", re.I)

_NOT_POOR = re.compile(r"(不是|非|没有|没|莫得|不属于|没评上)(建档立卡|建档户|卡户|贫困户|贫困)")
_POOR = re.compile(r"建档立卡|贫困户|贫困劳动力|建档户|卡户")
_ORGANISED = re.compile(
    r"(县|乡|镇|政府|村|街道|统一|集中|成建制|组织).{0,6}(组织|统一|带|送|输出|去的)|统一(去|出去|组织)|集中输出"
)
_OWN_WAY = re.compile(r"自己(出去|去|找|联系|跑)|亲戚|朋友介绍|老乡带|熟人")
_CLAIMED_NO = re.compile(r"(没|没有|还没|未|莫)(领|报|申请)过?|第一次")
_NEGATIVE = re.compile(r"(^|[^\d])[-－—]\s*\d|负\s*[\d一二三四五六七八九十百千]")

_ORGANISER_WORDS = [
    (
        "village",
        re.compile(r"村委|居委|村委会|村里|村上|乡镇|乡上|乡里|镇上|镇里|街道|社区|村组|第一书记|驻村"),
    ),
    ("broker", re.compile(r"经纪人")),
    ("institution", re.compile(r"人力资源|职介|职业介绍|人才市场")),
    ("company", re.compile(r"中介|派遣|劳务公司|公司")),
    (
        "individual",
        re.compile(r"(?<![\d几两一二三四五六七八九十百千多来余每])个人|我自己|自己组织|私人|我一个人"),
    ),
]
_STABLE_CUE = re.compile(r"还(剩|有|在)|剩下|在岗|稳定|没走|留下|坚持")

# --- forwarded text: headers, salutations and signatures are not facts ------------------------------
_HEADER = re.compile(
    r"^\s*(【\s*(转|转发|转载|群消息|聊天记录)\s*】|转发[:：]|\[转\]|以下是[^:：，,。]{0,16}?(反映|问|咨询|提出?)的?(问题|情况)?[:：]?"
    r"|(各位)?(领导|老师|工作人员|同志|客服|小助手|你)好[，,！!。\s]*|您好[，,！!。\s]*)"
)
_SIGNATURE = re.compile(
    r"[\s，,。]*(——|--|—|－－|-)\s*[^\s——]{0,20}(第一书记|书记|村委会?|村干部|主任|工作队|网格员|文书|社区|村民)?\s*$"
    r"|[\s，,。]*[（(]\s*[^()（）]{0,20}(第一书记|书记|村委会?|村干部|主任|工作队)[^()（）]{0,6}[)）]\s*$"
)


_ASKS = re.compile(r"什么|吗|啥|哪|怎么|咋|么|[?？]|电话|热线")


def clean(text: str) -> str:
    """The worker's own words: forwarding headers, salutations and a trailing signature removed."""
    text = (text or "").strip()
    for _ in range(3):
        stripped = _HEADER.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return _SIGNATURE.sub("", text).strip() or text


# --- corrections inside one message: the last value said wins ----------------------------------------
CORRECTION = _CORRECTION = re.compile(
    r"哦不是|不对|不是不是|说错|记错|记混|搞错|弄错|数错|写错|打错|更正|应该是|改成|改一下|纠正"
)
_CLAUSE = re.compile(r"[，,。；;！!？?\s]+")


def clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(text) if c]


def _denied(clause: str) -> bool:
    """ "不是五百六" after "票是四百六": the value a worker takes back."""
    return bool(re.match(r"^(而)?不是", clause))


def _last_said(text: str, reader) -> object | None:
    """With a correction in the message, the value of the last clause that states one (skipping the
    "不是X" a worker takes back); otherwise None (use the whole-message reading)."""
    if not _CORRECTION.search(text):
        return None
    value = None
    for clause in clauses(text):
        if _denied(clause):
            continue
        found = reader(clause)
        if found is not None:
            value = found
    return value


# --- tickets: legs add up, the trip home does not count ----------------------------------------------
_LEGS = re.compile(r"先.{0,12}(再|又|然后|转)|转车|转火车|转汽车|换乘|倒车|然后(又|再)?坐|再坐|又坐|加上")
_RETURN_TRIP = re.compile(r"回来|返程|回程|回家|过年回|返回|往返|来回")
_TICKET_CUE = re.compile(r"票|车费|路费|花了|块|元|钱|坐.{0,4}(车|火车|班车|汽车|高铁|动车|飞机)|班车|车")


def ticket_reading(text: str) -> tuple[float | None, list[float], bool]:
    """(ticket, legs, return_mentioned): legs of the way out add up; a ticket home is left out."""
    parts = clauses(text)
    outward = [c for c in parts if not _RETURN_TRIP.search(c)]
    return_mentioned = len(outward) < len(parts) and any(parse_amounts(c) for c in parts if c not in outward)
    if not _TICKET_CUE.search(text):
        return None, [], return_mentioned
    corrected = _last_said(" ".join(outward), parse_amount)
    if corrected is not None:
        return corrected, [], return_mentioned
    out_text = " ".join(outward)
    if _LEGS.search(out_text):
        legs = [a for c in outward for a in parse_amounts(c)]
        if len(legs) >= 2:
            return sum(legs), legs, return_mentioned
    if not outward:
        return None, [], return_mentioned
    return parse_amount(out_text), [], return_mentioned


# --- organised groups split across places -------------------------------------------------------------
_LEFT = re.compile(r"跑回来|跑了|走了|回来了|不干了|没干了|离职|辞职|走掉|跑掉|回家了|退出|离开")


def _group_place(clause: str):
    place = parse_place(clause)
    if place is None or place.is_ambiguous:
        return None
    return place


def read_groups(text: str, groups: list | None = None) -> list | None:
    """Head counts per destination ("八个去浙江 六个去玉溪 两个在县城") and who left ("浙江那边走了一个").

    Returns the updated list of {"place", "tier", "count", "left"}, or None when the message names no
    group of its own and there is none to update.
    """
    groups = [dict(g) for g in groups or []]
    changed = False
    last = None
    for clause in clauses(text):
        counts = parse_counts(clause)
        target = next((g for g in groups if g.get("alias") and g["alias"] in clause), None)
        place = _group_place(clause) if target is None else None
        if place is not None:
            target = next((g for g in groups if g["place"] == place.display), None)
        if _LEFT.search(clause) and counts:
            group = target or last
            if group is not None:
                group["left"] = min(group["count"], group.get("left", 0) + int(counts[-1].value))
                changed = True
            continue
        if place is not None and counts:
            if target is None:
                target = {
                    "place": place.display,
                    "alias": place.matched,
                    "tier": place.tier,
                    "count": int(counts[0].value),
                    "left": 0,
                }
                groups.append(target)
                changed = True
            last = target
        elif target is not None:
            last = target
    if len(groups) >= 2 and changed:
        return groups
    return None


# the thresholds a bare "满了" or "还差5天" answers (the months question asked whether they were reached)
MONTHS_THRESHOLD = {
    "transport_form": "transport_subsidy.min_stable_months",
    "organiser_form": "organiser_subsidy.min_contract_months",
}
_FULL = re.compile(
    r"^(?:已经|早就|早)?\s*(?:干)?\s*(?:满|够|到)\s*(?:了|啦|的)?\s*[。!！~]*$|^(?:满了|够了|到了|超过了|过了)"
)
_SHORT = re.compile(DAYS_SHORT)


def months_facts(text: str, form: str, requested: str | None, today: dt.date) -> dict:
    """months and how they were said (months_bound: below / about / at_least / None).

    "不到三个月" → 3, below; "快三个月了" → 3, about (asked); "还差5天满三个月" → 2.83. After the question
    whether the threshold was reached: "满了" → the threshold, "还差5天" → 5 days short of it."""
    threshold = policy.get().value(MONTHS_THRESHOLD[form], today) if form in MONTHS_THRESHOLD else None
    stripped = text.strip()
    if requested == "months" and threshold is not None:
        if _FULL.search(stripped):
            return {"months": float(threshold), "months_bound": None}
        short = _SHORT.search(stripped)
        if short and not re.search(r"满|够|到", stripped[short.end() :]):
            days = days_short(short)
            if days is None:
                return {"months": float(threshold), "months_bound": "below"}
            return {"months": round(threshold - days / 30, 2), "months_bound": None}
    q = _last_said(text, parse_months) or parse_months(text)
    if q is None:
        return {}
    if q.short_days:
        return {"months": round(q.value - q.short_days / 30, 2), "months_bound": None}
    bound = q.bound if q.bound in ("below", "about") else None
    return {"months": float(q.value), "months_bound": bound}


def _months_of_group_text(text: str):
    """The shortest time worked among those still working (a leaver's "干了一个月" is not counted)."""
    values = [parse_months(c) for c in clauses(text) if not _LEFT.search(c)]
    values = [v.value for v in values if v is not None]
    return min(values) if values else None


def _yes_no(text: str, intent: str | None) -> bool | None:
    if intent in YES_INTENTS or _YES.match(text):
        return True
    if intent in NO_INTENTS or _NO.match(text):
        return False
    return None


def yes_no(text: str, intent: str | None) -> bool | None:
    """A bare yes or no ("是的", "/affirm", "不是"), else None."""
    text = (text or "").strip()
    if text.startswith("/"):
        text = ""
    if text and not (_YES.match(text) or _NO.match(text)) and len(text) > 4:
        return None
    return _yes_no(text, intent)


def _bare_number(text: str) -> float | None:
    """A message that is just a number ("5", "六百八", "25个"): the value, else None."""
    stripped = re.sub(r"[个块元人月号天\s。，,.!！了啊哦嘛的吧]+$", "", text.strip()).lstrip("-－—负 ")
    if re.fullmatch(r"[\d.]+|[零一二两三四五六七八九十百千万俩]+", stripped or "x"):
        amount = parse_amount(stripped)
        return amount
    return None


# organisers' words for workers who are not 建档立卡
_OTHER_WORKERS = re.compile(r"普通|一般的|非贫困|不是贫困")
_OTHER_HOUSEHOLDS = re.compile(r"一般农?户")


def both_groups(text: str) -> bool:
    """ "组织卡户和普通户出去": 建档立卡 workers and others named in one message."""
    others = _NOT_POOR.search(text) or _OTHER_WORKERS.search(text) or _OTHER_HOUSEHOLDS.search(text)
    return bool(others) and bool(_POOR.search(_NOT_POOR.sub("", text)))


def _registered(text: str) -> bool | None:
    if _NOT_POOR.search(text):
        return False
    if _POOR.search(text):
        return True
    return None


def _place(text: str, requested: str | None) -> dict:
    """The destination named in the text. Generic words (县里, 乡里, 省外…) count only when the question
    was where, or when they cannot be about something else: "县里统一组织的" says who organised, not where."""
    place = parse_place(text)
    if place is None or place.is_ambiguous:
        return {}
    if place.kind == "scope" and requested != "tier" and _ORGANISED.search(text):
        return {}
    return {"tier": place.tier, "in_qujing": place.in_qujing, "destination": place.display}


def _last_said_text(text: str, reader) -> str | None:
    """The last clause (after a correction) that a reader finds something in."""
    if not _CORRECTION.search(text):
        return None
    last = None
    for clause in clauses(text):
        if not _denied(clause) and reader(clause) is not None:
            last = clause
    return last


def transport_facts(text: str, intent: str | None, requested: str | None, today: dt.date) -> dict:
    found: dict = {}
    poor = _registered(text)
    if poor is not None:
        found["registered_poor"] = poor
    found.update(_place(_last_said_text(text, parse_place) or text, requested))
    found.update(months_facts(text, "transport_form", requested, today))
    if requested == "ticket" and not _TICKET_CUE.search(text) and intent != "faq" and not _ASKS.search(text):
        text_for_ticket = text + " 车票"  # the question was the ticket: a bare figure is its price
    else:
        text_for_ticket = text
    amount, legs, return_mentioned = ticket_reading(text_for_ticket)
    if amount is not None:
        found["ticket"] = -amount if _NEGATIVE.search(text) else amount
        if legs:
            found["ticket_legs"] = legs
    if return_mentioned:
        found["return_ticket"] = True
    if _OWN_WAY.search(text):
        found["organised"] = False
    elif _ORGANISED.search(text):
        found["organised"] = True
    if _CLAIMED_NO.search(text):
        found["claimed_this_year"] = False
    elif re.search(r"领过|报过|领了|已经领|申请过", text):
        found["claimed_this_year"] = True
    return _answer_to_question(found, text, intent, requested)


def organiser_facts(
    text: str, intent: str | None, requested: str | None, today: dt.date, known: dict | None = None
) -> dict:
    known = known or {}
    found: dict = {}
    organiser = _organiser_type(text)
    if organiser:
        found["organiser_type"] = organiser
    poor = _registered(text)
    if poor is not None:
        found["workers_poor"] = poor
    elif _OTHER_WORKERS.search(text):
        found["workers_poor"] = False
    groups = read_groups(text, known.get("groups"))
    if groups is not None or known.get("groups"):
        if groups is not None:
            found["groups"] = groups
            found["tier"] = groups[0]["tier"]
            found["destination"] = "、".join(g["place"] for g in groups)
            found["in_qujing"] = None
            found["workers"] = sum(g["count"] for g in groups)
        months = _months_of_group_text(text)
        if months is not None:
            found["months"] = float(months)
        return _answer_to_question(found, text, intent, requested)
    found.update(_place(_last_said_text(text, parse_place) or text, requested))
    if _LEFT.search(text):  # a leaver's "干了一个月就跑回来了" is not the group's time
        months = _months_of_group_text(text)
        if months is not None:
            found["months"] = float(months)
    else:
        found.update(months_facts(text, "organiser_form", requested, today))
    found.update(_head_counts(text, requested, known))
    return _answer_to_question(found, text, intent, requested)


_SELF = re.compile(
    r"(我是|我们是|就是|就我|本人是|我这边是|我们这边是|我们)\s*(一个|一家|县城的一家|个)?\s*$"
)


def _organiser_type(text: str) -> str | None:
    """Who organised: the one the asker says he is ("就是个人") beats one he only mentions ("帮村里");
    a denied one ("我不是哪样公司") is skipped."""
    hits = []
    for key, pattern in _ORGANISER_WORDS:
        for m in pattern.finditer(text):
            before = text[max(0, m.start() - 8) : m.start()]
            if re.search(r"(不是|没得|没有|莫得|不属于)[^，,。\s]{0,4}$", before):
                continue
            hits.append((0 if _SELF.search(before) else 1, m.start(), key))
    return min(hits)[2] if hits else None


_ALL_STAYED = re.compile(r"都(还)?在|一个都没走|全部(还)?在|都没走|都还在干")


def _head_counts(text: str, requested: str | None, known: dict) -> dict:
    """Organised, still working and left, each from its own clause: "组织了25人，还有18人在干",
    "有两个干了两个月就跑回来了 现在只有四个还在"; a bare count answers the question asked."""
    organised, stayed, left = [], [], []
    corrected = bool(_CORRECTION.search(text))
    for clause in clauses(text):
        if _denied(clause):
            continue
        clause = re.sub(
            r"(我|就我|他|她|自己)(一)个人?", r"\1", clause
        )  # "我一个人组织的": alone, not a count
        counts = [int(q.value) for q in parse_counts(clause)]
        if not counts:
            if _ALL_STAYED.search(clause) and organised:
                stayed.append(organised[-1])  # "半年了都还在": everyone organised
            continue
        if _LEFT.search(clause):
            left.append(counts[-1])
        elif _STABLE_CUE.search(clause):
            if len(counts) >= 2:
                organised.append(counts[0])
            stayed.append(counts[-1])
        else:
            organised.append(counts[-1] if corrected else counts[0])
    found: dict = {}
    if organised:
        if requested == "stable" and not stayed and len(organised) == 1 and not corrected:
            stayed = organised
        else:
            found["workers"] = organised[-1] if corrected else organised[0]
    if stayed:
        found["stable"] = stayed[-1]
    elif left:
        workers = found.get("workers") or known.get("workers")
        if workers:
            found["stable"] = max(0, workers - sum(left))
    if _NEGATIVE.search(text):
        for key in ("workers", "stable"):
            if key in found:
                found[key] = -found[key]
    return found


_STILL_EMPLOYED = re.compile(r"还在(厂|那|这|上班|干|职|单位|公司|工地|做)|在职|没离职|没辞职|还没走")
_LEFT_JOB = re.compile(r"离职|辞职|辞工|不干了|没干了|没在那|走了|走人|回来了|被辞|被开除|被炒|停工|停了")


def arbitration_facts(text: str, intent: str | None, requested: str | None, today: dt.date) -> dict:
    found: dict = {}
    if _STILL_EMPLOYED.search(text):
        found["still_employed"] = True
    elif _LEFT_JOB.search(text):
        found["still_employed"] = False
    parsed = _last_said(text, lambda clause: parse_date(clause, today)) or parse_date(text, today)
    if parsed is None:
        return found
    if parsed.problem:  # "4月31号": said back and asked again, never read as another day
        return {**found, PROBLEMS: [f"{parsed.problem}，请再说一下是哪一天，比如“4月30号”“上个月10号”。"]}
    note = parsed.note or ("大概的日期" if parsed.approximate else "")
    # said back only when the worker's words were not already a plain date
    understood = f"{parsed.text_understood}，{note}" if note else None
    return {**found, "dispute_date": parsed.date.isoformat(), "dispute_understood": understood}


def _answer_to_question(found: dict, text: str, intent: str | None, requested: str | None) -> dict:
    """A bare yes/no or number answers the slot that was just asked (unless the message answered
    something else: "今年没有领过" to "是建档立卡户吗" is about the claim, not a no)."""
    if requested is None or requested in found:
        return found
    if {k for k in found if k not in ("destination", "in_qujing", "ticket_legs", "return_ticket")}:
        return found
    if requested in {"registered_poor", "organised", "claimed_this_year", "workers_poor"}:
        answer = _yes_no(text.strip(), intent)
        if answer is not None:
            found[requested] = answer
    elif requested in {"months", "ticket", "workers", "stable"}:
        number = _bare_number(text)
        if number is not None:
            if _NEGATIVE.search(text):
                number = -number
            found[requested] = int(number) if requested in {"workers", "stable"} else number
    return found


PROBLEMS = "_problems"  # what a message said that cannot be used, for the form to say back

FORMS = {
    "transport_form": transport_facts,
    "organiser_form": organiser_facts,
    "arbitration_form": arbitration_facts,
}


def facts(
    form: str, text: str, intent: str | None, requested: str | None, today: dt.date, known: dict | None = None
) -> dict:
    """The slots one message fills for a form; `known` is what the form already holds."""
    text = clean(text or "")
    if text.startswith("/"):  # a button: only its intent (yes/no) says anything
        return _answer_to_question({}, "", intent, requested)
    if not text:
        return {}
    if form == "organiser_form":
        return organiser_facts(text, intent, requested, today, known)
    return FORMS[form](text, intent, requested, today)


__all__ = ["FORMS", "clean", "facts", "read_groups", "ticket_reading"]

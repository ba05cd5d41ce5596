"""Turn one user message into form facts (slot values), whatever order they come in.

Pure Python (no Rasa): `facts(form, text, intent, requested_slot, today)` returns the slots the message
fills. Every message is read whole, so "我是建档立卡户，去广东打工5个月了，火车票花了680" fills four slots
at once, and "不对，是4个月" overwrites months. A bare answer ("5", "是的") goes to the slot that was asked.
"""

from __future__ import annotations

import datetime as dt
import re

from policy_kb.understanding import parse_amount, parse_counts, parse_date, parse_months, parse_place

YES_INTENTS = {"affirm"}
NO_INTENTS = {"deny"}
_YES = re.compile(
    r"^(是|是的|对|对的|嗯|嗯嗯|要得|没错|有|领过|是滴|对头|yes|ok)[啊呀的了哈嘛噻，,。!！]*$", re.I
)
_NO = re.compile(r"^(不是|不|没有|没|莫得|没得|不对|否|还没|没领过|no)[啊呀的了哈嘛噻，,。!！]*$", re.I)

_NOT_POOR = re.compile(r"(不是|非|没有|没|莫得|不属于|没评上)(建档立卡|贫困户|贫困)")
_POOR = re.compile(r"建档立卡|贫困户|贫困劳动力|建档户|卡户")
_ORGANISED = re.compile(
    r"(县|乡|镇|政府|村|街道|统一|集中|成建制|组织).{0,6}(组织|统一|带|送|输出|去的)|统一(去|出去|组织)|集中输出"
)
_OWN_WAY = re.compile(r"自己(出去|去|找|联系|跑)|亲戚|朋友介绍|老乡带|熟人")
_CLAIMED_NO = re.compile(r"(没|没有|还没|未|莫)(领|报|申请)过?|第一次")
_CLAIMED_YES = re.compile(r"(已经|今年|早就)?(领|报|申请)(过|了)")
_NEGATIVE = re.compile(r"(^|[^\d])[-－—]\s*\d|负\s*[\d一二三四五六七八九十百千]")

_ORGANISER_WORDS = [
    (
        "village",
        re.compile(r"村委|居委|村委会|村里|村上|乡镇|乡上|乡里|镇上|镇里|街道|社区|村组|第一书记|驻村"),
    ),
    ("broker", re.compile(r"经纪人")),
    ("institution", re.compile(r"人力资源|职介|职业介绍|人才市场")),
    ("company", re.compile(r"中介|派遣|劳务公司|公司")),
    ("individual", re.compile(r"个人|我自己|自己组织|私人|我一个人")),
]
_STABLE_CUE = re.compile(r"还(剩|有|在)|剩下|在岗|稳定|没走|留下|坚持")


def _yes_no(text: str, intent: str | None) -> bool | None:
    if intent in YES_INTENTS or _YES.match(text):
        return True
    if intent in NO_INTENTS or _NO.match(text):
        return False
    return None


def _bare_number(text: str) -> float | None:
    """A message that is just a number ("5", "六百八", "25个"): the value, else None."""
    stripped = re.sub(r"[个块元人月号天\s。，,.!！了啊哦嘛的吧]+$", "", text.strip()).lstrip("-－—负 ")
    if re.fullmatch(r"[\d.]+|[零一二两三四五六七八九十百千万俩]+", stripped or "x"):
        amount = parse_amount(stripped)
        return amount
    return None


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


def transport_facts(text: str, intent: str | None, requested: str | None, today: dt.date) -> dict:
    found: dict = {}
    poor = _registered(text)
    if poor is not None:
        found["registered_poor"] = poor
    found.update(_place(text, requested))
    months = parse_months(text)
    if months is not None:
        found["months"] = float(months.value)
    amount = parse_amount(text) if re.search(r"票|车费|路费|花了|块|元|钱", text) else None
    if amount is not None:
        found["ticket"] = -amount if _NEGATIVE.search(text) else amount
    if _OWN_WAY.search(text):
        found["organised"] = False
    elif _ORGANISED.search(text):
        found["organised"] = True
    if _CLAIMED_NO.search(text):
        found["claimed_this_year"] = False
    elif re.search(r"领过|报过|领了|已经领|申请过", text):
        found["claimed_this_year"] = True
    return _answer_to_question(found, text, intent, requested)


def organiser_facts(text: str, intent: str | None, requested: str | None, today: dt.date) -> dict:
    found: dict = {}
    for key, pattern in _ORGANISER_WORDS:
        if pattern.search(text):
            found["organiser_type"] = key
            break
    poor = _registered(text)
    if poor is not None:
        found["workers_poor"] = poor
    elif re.search(r"普通|一般的|非贫困|不是贫困", text):
        found["workers_poor"] = False
    found.update(_place(text, requested))
    months = parse_months(text)
    if months is not None:
        found["months"] = float(months.value)
    counts = parse_counts(text)
    if counts:
        stable_cue = _STABLE_CUE.search(text)
        if len(counts) >= 2 and stable_cue:
            found["workers"], found["stable"] = int(counts[0].value), int(counts[1].value)
        elif stable_cue and (requested == "stable" or (len(counts) == 1 and requested != "workers")):
            found["stable"] = int(counts[0].value)
        elif len(counts) == 1 and requested in ("workers", "stable"):
            found[requested] = int(counts[0].value)
        else:
            found["workers"] = int(counts[0].value)
        if _NEGATIVE.search(text):
            for key in ("workers", "stable"):
                if key in found:
                    found[key] = -found[key]
    return _answer_to_question(found, text, intent, requested)


def arbitration_facts(text: str, intent: str | None, requested: str | None, today: dt.date) -> dict:
    parsed = parse_date(text, today)
    if parsed is None:
        return {}
    note = parsed.note or ("大概的日期" if parsed.approximate else "")
    # said back only when the worker's words were not already a plain date
    understood = f"{parsed.text_understood}，{note}" if note else None
    return {"dispute_date": parsed.date.isoformat(), "dispute_understood": understood}


def _answer_to_question(found: dict, text: str, intent: str | None, requested: str | None) -> dict:
    """A bare yes/no or number answers the slot that was just asked."""
    if requested is None or requested in found:
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


FORMS = {
    "transport_form": transport_facts,
    "organiser_form": organiser_facts,
    "arbitration_form": arbitration_facts,
}


def facts(form: str, text: str, intent: str | None, requested: str | None, today: dt.date) -> dict:
    text = (text or "").strip()
    if text.startswith("/"):  # a button: only its intent (yes/no) says anything
        return _answer_to_question({}, "", intent, requested)
    if not text:
        return {}
    return FORMS[form](text, intent, requested, today)


__all__ = ["FORMS", "facts"]

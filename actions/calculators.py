"""One spec per calculator: its slots, questions, limits, buttons, how a message is read and how the
case is computed. Everything else is derived from these three specs:

- the domain's slots, forms and actions (`bot/tools/build.py` writes bot/domain/generated_calculators.yml);
- the form rules (start, finish, leave, questions asked in the middle: nlu_data/rules/generated_calculators.yml);
- the validation, ask and result actions of actions/forms.py, and the routing of actions/dialogue.py.

Rasa calls `action_ask_<form>_<slot>` for each question; actions/forms.py makes one small class per
question from `Calculator.questions` (`ask_action_name` below gives the names).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from actions import intake
from policy_kb import kb as policy
from policy_kb.calculators import arbitration, organiser, transport
from policy_kb.calculators.result import Result


@dataclass(frozen=True)
class Question:
    """One short question. `example` replaces it after an answer that could not be used."""

    slot: str
    text: str
    example: str
    buttons: tuple[tuple[str, str], ...] = ()  # (title, payload)
    limit: tuple[float, float, str] | None = None  # low, high, re-ask with {v}
    optional: bool = False  # asked once; when the answer is about something else, computed without it


@dataclass(frozen=True)
class Calculator:
    name: str  # transport | organiser | arbitration
    title: str
    intent: str  # the intent of a worker asking for his own amount or date
    topics: tuple[str, ...]  # FAQ keys whose answer leads to this calculator
    words: re.Pattern  # words that say a message is about this calculator
    questions: tuple[Question, ...]
    case: Callable[[dict], Any]
    compute: Callable[[Any, dt.date], Result]
    describe: Callable[[str, Any, dict], str | None]  # a changed fact in words ("4个月")
    enough: Callable[[dict, str], bool]  # do these facts state a case of this calculator?

    @property
    def form(self) -> str:
        return f"{self.name}_form"

    @property
    def result_action(self) -> str:
        return f"action_{self.name}_result"

    @property
    def slots(self) -> list[str]:
        return [q.slot for q in self.questions]

    def question(self, slot: str) -> Question:
        return next(q for q in self.questions if q.slot == slot)

    def calculate(self, slots: dict, today: dt.date) -> Result:
        return self.compute(self.case(slots), today)

    def read(self, text: str, intent: str | None, requested: str | None, today: dt.date, known: dict) -> dict:
        return intake.facts(self.form, text, intent, requested, today, known)


def ask_action_name(calc: Calculator, slot: str) -> str:
    return f"action_ask_{calc.form}_{slot}"


YES_NO = (("是", "/affirm"), ("不是", "/deny"))
# the place buttons: a worker's words as titles, the documents' words (which parse_place reads) as payloads
TIERS = (("外省", "省外"), ("云南其他地方", "县外省内"), ("会泽县里", "县内"))


def _n(value: Any) -> str:
    return policy.format_number(value)


# ----------------------------------------------------------------------------------------------- 交通补助


def transport_case(slots: dict) -> transport.TransportCase:
    return transport.TransportCase(
        registered_poor=slots.get("registered_poor"),
        tier=slots.get("tier"),
        in_qujing=slots.get("in_qujing"),
        destination=slots.get("destination"),
        months=slots.get("months"),
        ticket=slots.get("ticket"),
        organised=slots.get("organised"),
        claimed_this_year=slots.get("claimed_this_year"),
        ticket_legs=tuple(slots.get("ticket_legs") or ()),
        months_bound=slots.get("months_bound"),
    )


def _describe_transport(slot: str, value: Any, slots: dict) -> str | None:
    if slot == "months":
        return f"{_n(value)}个月"
    if slot == "ticket":
        return f"车票{_n(value)}元"
    if slot == "tier":
        return slots.get("destination") or transport.TIER_NAMES.get(value)
    if slot == "registered_poor":
        return "建档立卡户" if value else "不是建档立卡户"
    if slot == "organised":
        return "统一组织出去的" if value else "自己出去的"
    if slot == "claimed_this_year":
        return "今年领过了" if value else "今年没领过"
    return None


def _transport_enough(facts: dict, text: str) -> bool:
    core = [k for k in ("registered_poor", "tier", "months", "ticket") if facts.get(k) is not None]
    if facts.get("registered_poor") is False and TRANSPORT_WORDS.search(text):
        return True  # "没评上贫困户 车费补助得不得": the answer is settled
    return "ticket" in core or len(core) >= 2


TRANSPORT_WORDS = re.compile(r"交通|车费|车票|路费|票价|报销|补助|补贴|报|档")


TRANSPORT = Calculator(
    name="transport",
    title="交通补助",
    intent="check_transport_subsidy",
    topics=("transport_subsidy",),
    words=TRANSPORT_WORDS,
    questions=(
        Question(
            "registered_poor",
            "是建档立卡贫困户吗？（替别人问的，说他家的情况）",
            "交通补助只给建档立卡贫困劳动力，请回答“是”或“不是”；不清楚可以问村委会。",
            YES_NO,
        ),
        Question(
            "tier",
            "在哪里打工？说地名就行，比如“广东东莞”“昆明”“宣威”“娜姑”。",
            "补多少要看去哪里：请回复省份或城市，比如“浙江”“昆明”，或者直接选“外省 / 云南其他地方 / 会泽县里”。",
            TIERS,
        ),
        Question(
            "months",
            "在那边稳定干了几个月了？",
            "要稳定干满几个月才能领，请回复月数，比如“5个月”“半年”“刚去10天”。",
            limit=(0, 120, "{v}个月看着不对。请回复在那边干了几个月，比如“5个月”“半年”。"),
        ),
        Question(
            "ticket",
            "从家到打工地方的车票（汽车、火车）一共多少钱？",
            "按车票报销，请回复票价，比如“680”“三百五”“120块”；转了几趟车的，把每趟的钱都说上。",
            limit=(
                1,
                5000,
                "车票金额看着不对（{v}元）。请回复从家到打工地的车票钱，一般几十到一千多元，比如“680”。",
            ),
        ),
        Question(
            "organised",
            "是跟县里、乡里统一组织出去的，还是自己出去的？",
            "这关系到要不要交工资证明，请选“统一组织的”或“自己出去的”。",
            (("统一组织的", "县里统一组织出去的"), ("自己出去的", "自己出去的")),
            optional=True,
        ),
        Question(
            "claimed_this_year",
            "今年领过交通补助没有？",
            "每人每年只能领一次，请回复“没领过”或“领过了”。",
            (("没领过", "/deny"), ("领过了", "/affirm")),
        ),
    ),
    case=transport_case,
    compute=transport.calculate,
    describe=_describe_transport,
    enough=_transport_enough,
)

# ------------------------------------------------------------------------------------- 组织输出 / 以奖代补


def organiser_case(slots: dict) -> organiser.OrganiserCase:
    return organiser.OrganiserCase(
        organiser=slots.get("organiser_type"),
        workers_poor=slots.get("workers_poor"),
        tier=slots.get("tier"),
        destination=slots.get("destination"),
        workers=slots.get("workers"),
        months=slots.get("months"),
        stable=slots.get("stable"),
        groups=tuple(organiser.Group(**g) for g in slots.get("groups") or ()),
        months_bound=slots.get("months_bound"),
    )


def _describe_organiser(slot: str, value: Any, slots: dict) -> str | None:
    if slot == "workers":
        return f"组织了{_n(value)}人"
    if slot == "stable":
        return f"还在岗{_n(value)}人"
    if slot == "months":
        return f"干了{_n(value)}个月"
    if slot == "tier":
        return slots.get("destination") or transport.TIER_NAMES.get(value)
    if slot == "organiser_type":
        return organiser.ORGANISERS.get(value)
    if slot == "workers_poor":
        return "建档立卡贫困劳动力" if value else "不是建档立卡的"
    if slot == "groups":
        return "、".join(f"{g['place']}{g['count'] - g.get('left', 0)}人" for g in value)
    return None


_ORGANISING = re.compile(r"组织|输出|带了|带.{0,6}(去|克|出去)|送(了|过去|出去)|联系|介绍|招了|派|以奖代补")


def _organiser_enough(facts: dict, text: str) -> bool:
    if facts.get("groups"):
        return True
    if not facts.get("workers") or facts["workers"] < 2:
        return False
    return bool(facts.get("organiser_type") or _ORGANISING.search(text))


ORGANISER = Calculator(
    name="organiser",
    title="组织输出补贴",
    intent="check_organiser_subsidy",
    topics=("organiser_subsidy", "organiser_reward"),
    words=re.compile(r"组织|输出|以奖代补|奖励|补助|补贴|经纪人"),
    questions=(
        Question(
            "organiser_type",
            "是谁组织输出的？",
            "不同的组织者补贴不一样，请选一个，比如“村委会”“劳务经纪人”。",
            (
                ("村委会/乡镇", "村委会组织的"),
                ("劳务经纪人", "劳务经纪人"),
                ("人力资源机构", "人力资源服务机构"),
                ("中介/派遣公司", "劳务派遣公司"),
                ("个人", "我个人组织的"),
            ),
        ),
        Question(
            "workers_poor",
            "输出的是建档立卡贫困劳动力吗？",
            "建档立卡的按人头补，不是的按“以奖代补”，请回答“是”或“不是”。",
            YES_NO,
        ),
        Question(
            "tier",
            "输出到哪里务工？说地名就行，比如“浙江”“昆明”“宣威”；去了几个地方的，分开说各去了几个人。",
            "补多少要看去哪里：请回复省份或城市，或者选“外省 / 云南其他地方 / 会泽县里”。",
            TIERS,
        ),
        Question(
            "workers",
            "一共组织输出了多少人？",
            "请回复人数，比如“25个”“三十人”。",
            limit=(1, 5000, "{v}人看着不对。请回复组织输出的人数，比如“25个”。"),
        ),
        Question(
            "months",
            "他们在那边履行劳动合同满几个月了？",
            "要干满几个月才能申请，请回复月数，比如“4个月”“半年”。",
            limit=(0, 120, "{v}个月看着不对。请回复在那边干了几个月，比如“5个月”“半年”。"),
        ),
        Question(
            "stable",
            "干满半年还在岗的有多少人？",
            "稳定奖励按半年后还在干的人数算，请回复人数，比如“18个”。",
            limit=(0, 5000, "{v}人看着不对。请回复干满半年还在岗的人数，比如“18个”。"),
        ),
    ),
    case=organiser_case,
    compute=organiser.calculate,
    describe=_describe_organiser,
    enough=_organiser_enough,
)

# ------------------------------------------------------------------------------------------- 仲裁期限


def arbitration_case(slots: dict) -> arbitration.ArbitrationCase:
    raw = slots.get("dispute_date")
    return arbitration.ArbitrationCase(
        dispute_date=dt.date.fromisoformat(raw) if raw else None,
        understood=slots.get("dispute_understood"),
        still_employed=slots.get("still_employed"),
    )


def _describe_arbitration(slot: str, value: Any, slots: dict) -> str | None:
    if slot == "still_employed":
        return "还在那里干" if value else "已经不在那里干了"
    if slot == "dispute_date":
        day = dt.date.fromisoformat(value)
        return f"{day.year}年{day.month}月{day.day}日"
    return None


_DISPUTE = re.compile(
    r"仲裁|欠|拖|不发|没发|没给|不给|没结|辞退|开除|炒|走人|跑了|赶|解雇|不要我|要钱|讨薪|工钱|工资|时效|期限|来得及"
)


def _arbitration_enough(facts: dict, text: str) -> bool:
    if facts.get("still_employed") and re.search(r"仲裁|时效|期限", text) and _DISPUTE.search(text):
        return True  # "还在厂里干 老板欠了工资 仲裁会不会过时效": settled without a date
    return bool(facts.get("dispute_date")) and bool(_DISPUTE.search(text))


ARBITRATION = Calculator(
    name="arbitration",
    title="劳动仲裁期限",
    intent="check_arbitration_deadline",
    topics=("arbitration_deadline", "unpaid_wages"),
    words=re.compile(r"仲裁|时效|期限|来得及|最晚|最迟|哪天|几号之前|过期"),
    questions=(
        Question(
            "dispute_date",
            "欠钱（或被辞退）是哪天开始的？或者您哪天知道的？",
            "请回复一个日期，比如“9月1号”“上个月10号”“2026-09-01”“去年腊月”。",
        ),
    ),
    case=arbitration_case,
    compute=arbitration.calculate,
    describe=_describe_arbitration,
    enough=_arbitration_enough,
)

CALCULATORS: tuple[Calculator, ...] = (TRANSPORT, ORGANISER, ARBITRATION)
BY_NAME = {c.name: c for c in CALCULATORS}
BY_FORM = {c.form: c for c in CALCULATORS}
BY_INTENT = {c.intent: c for c in CALCULATORS}

# slots every calculator shares: what was understood (said back), the kept case, the dialogue's state
HELPER_SLOTS = (
    "in_qujing",
    "destination",
    "dispute_understood",
    "ticket_legs",
    "return_ticket",
    "groups",
    "still_employed",
    "months_bound",
)
STATE_SLOTS = (
    "form_misses",
    "calc_leave",
    "calc_switch",
    "calc_asked",
    "last_case",
    "last_topic",
    "pending_case",
)
CONTINUE_INTENT = "continue_calc"


def all_slots() -> list[str]:
    names: list[str] = []
    for calc in CALCULATORS:
        names += [s for s in calc.slots if s not in names]
    return names + list(HELPER_SLOTS) + list(STATE_SLOTS)


def for_topic(key: str | None) -> Calculator | None:
    return next((c for c in CALCULATORS if key in c.topics), None)


@dataclass
class Rules:
    """The Rasa rules of the calculators, generated from the specs (see bot/tools/build.py)."""

    # intents answered in the middle of a form, then the form asks again
    interruptions: dict[str, str] = field(
        default_factory=lambda: {
            "faq": "action_answer_faq",
            "ask_details": "action_answer_details",
            "human_handoff": "action_reply",
            "greet": "action_reply",
            "thanks": "action_reply",
            "goodbye": "action_reply",
            "ask_capabilities": "action_reply",
            "out_of_scope": "action_reply",
            "nlu_fallback": "action_suggest_topics",
            "bad_input": "action_bad_input",
            "check_job_ad": "action_check_job_ad",
        }
    )
    # intents that may carry a case's facts outside any form: action_take_facts decides
    facts_intents: tuple[str, ...] = ("inform", "affirm", "deny", "stop", "nlu_fallback", CONTINUE_INTENT)


__all__ = [
    "ARBITRATION",
    "BY_FORM",
    "BY_INTENT",
    "BY_NAME",
    "CALCULATORS",
    "CONTINUE_INTENT",
    "HELPER_SLOTS",
    "ORGANISER",
    "STATE_SLOTS",
    "TRANSPORT",
    "Calculator",
    "Question",
    "Rules",
    "all_slots",
    "ask_action_name",
    "for_topic",
]

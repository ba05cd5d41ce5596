"""交通补助: can this worker get it, how much, what to bring, where to go.

Rules (../shared/design/policy-notes.md): 建档立卡 poor labour, stable employment of
transport_subsidy.min_stable_months or more, once a year, ticket price up to the cap of the destination
tier. Tiers follow 会政发〔2018〕20号; for a job inside 曲靖市 but outside 会泽县 the Q&A sheet's
市内 tier gives a lower cap, and when that changes the amount both are said, with the centre's phone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from policy_kb import kb as policy
from policy_kb.calculators.result import (
    ASK,
    ELIGIBLE,
    NOT_ELIGIBLE,
    UNKNOWN,
    UNMET,
    Result,
    months_status,
    time_left,
    yuan,
)

# in a worker's words (the documents say 县外省内 and 县内)
TIER_NAMES = {
    "out_of_province": "省外",
    "in_province_out_of_county": "云南省内、会泽县外",
    "in_county": "会泽县内",
}
CITES = [
    policy.Reference("huize_2018_20", "第16条"),
    policy.Reference("qa_sheet", "第11问"),
    policy.Reference("yunnan_2018_68", "第一条"),
]


@dataclass
class TransportCase:
    registered_poor: bool | None = None  # 建档立卡贫困劳动力
    tier: str | None = None  # out_of_province | in_province_out_of_county | in_county
    in_qujing: bool | None = None  # destination inside 曲靖市 (matters for 县外省内 only)
    destination: str | None = None  # what we understood, for echoing back
    months: float | None = None  # months of stable employment so far
    ticket: float | None = None  # ticket price in yuan, home to workplace
    organised: bool | None = None  # sent out by a county/township organised group
    claimed_this_year: bool | None = None
    ticket_legs: tuple[float, ...] = ()  # the legs of the way out, when the worker changed buses/trains
    months_bound: str | None = None  # how the months were said: below (不到) / about (快) / at_least (多)


def documents(kb: policy.KnowledgeBase, as_of: dt.date) -> list[str]:
    """The union of the two documents' lists (policy-notes, conflict 4)."""
    months = policy.format_number(kb.value("transport_subsidy.min_stable_months", as_of))
    return ["身份证复印件", "实名制车票复印件", f"务工单位开的{months}个月以上工资收入证明"]


def _where(kb: policy.KnowledgeBase) -> str:
    center = kb.contacts["center"]
    return f"{center.name}（输出地劳动就业机构），电话{center.phone}"


def calculate(case: TransportCase, as_of: dt.date | None = None) -> Result:
    kb = policy.get()
    as_of = as_of or dt.date.today()
    result = Result(UNKNOWN, "交通补助", cites=list(CITES), where=_where(kb), documents=documents(kb, as_of))
    min_months = kb.value("transport_subsidy.min_stable_months", as_of)
    if min_months is None:
        result.reasons.append(
            f"{as_of:%Y年%m月%d日}时文件还没有规定交通补助，请打{kb.contacts['center'].phone}问。"
        )
        result.documents = []
        return result

    # impossible values: nothing is computed until they are said again, and only they are asked
    for value, wrong, reason, ask in (
        (case.ticket, lambda v: v <= 0, "车票金额不对：请说从家到打工地的车票钱，比如“680”。", "车票多少钱"),
        (
            case.months,
            lambda v: v < 0,
            "干了几个月不对：请说在那边干了几个月，比如“5个月”“半年”。",
            "稳定干了几个月",
        ),
    ):
        if value is not None and wrong(value):
            result.reasons.append(reason)
            result.missing.append(ask)
    if result.reasons:
        result.documents = []
        return result
    if case.registered_poor is False:
        result.reasons.append("交通补助只给建档立卡贫困劳动力。不确定自家是不是，可以问村委会。")
    if case.claimed_this_year:
        times = policy.format_number(kb.value("transport_subsidy.times_per_year", as_of))
        result.reasons.append(f"每人每年只能领{times}次，今年已经领过了，明年外出务工可以再申请。")
    status = None if case.months is None else months_status(case.months, case.months_bound, min_months)
    need = policy.format_number(min_months)
    if status == UNMET and case.months_bound == "below":
        result.reasons.append(f"要稳定就业满{need}个月，您说还没满{need}个月，干满了就可以申请。")
    elif status == UNMET:
        result.reasons.append(
            f"要稳定就业满{need}个月，现在是{policy.format_number(case.months)}个月，"
            f"再干{time_left(case.months, min_months)}就可以申请。"
        )
    if result.reasons:
        result.verdict = NOT_ELIGIBLE
        result.documents = []
        if case.registered_poor is None:
            result.reasons.append("另外，交通补助只给建档立卡贫困劳动力。")
        return result

    missing = [
        label
        for label, value in (
            ("是不是建档立卡户", case.registered_poor),
            ("在哪里务工（省外、云南其他地方还是会泽县里）", case.tier),
            ("稳定干了几个月", case.months),
            ("车票多少钱", case.ticket),
            ("今年领过交通补助没有", case.claimed_this_year),
        )
        if value is None
    ]
    if status == ASK:
        missing.insert(0, f"是不是已经干满{need}个月（您说的是{policy.format_number(case.months)}个月左右）")
    if missing:
        result.missing = missing
        return result

    result.verdict = ELIGIBLE
    cap = kb.value(f"transport_subsidy.cap.{case.tier}", as_of)
    where = f"（{case.destination}）" if case.destination else ""
    if len(case.ticket_legs) >= 2:
        legs = " + ".join(yuan(leg) for leg in case.ticket_legs)
        result.arithmetic.append(f"去的路上几趟车加起来：{legs} = {yuan(case.ticket)}")
    result.arithmetic.append(_sum_line(case.ticket, TIER_NAMES[case.tier] + where, cap))
    result.amount = min(case.ticket, cap)
    if case.tier == "in_province_out_of_county" and case.in_qujing is not False:
        qa_cap = kb.value("transport_subsidy.cap.in_county", as_of)
        qa_amount = min(case.ticket, qa_cap)
        where = "" if case.in_qujing else "如果是在曲靖市内（如麒麟区、宣威市）："
        if qa_amount != result.amount:
            result.notes.append(
                f"注意：{where}曲靖市内、会泽县外，县文件（{kb.documents['huize_2018_20'].label}）按出了县、还在省内算，可补{yuan(result.amount)}；"
                f"县里的问答按“市内”算，上限{yuan(qa_cap)}，只补{yuan(qa_amount)}。"
                f"以哪个为准，请先打{kb.contacts['center'].phone}问清楚。"
            )
    if case.organised:
        center = kb.contacts["center"]
        result.reasons.append(
            f"跟县里春季、秋季集中输出走的，路上的交通费由县转移就业服务中心出，不用再报；"
            f"车票是自己买的才按上面算。拿不准打{center.phone}问。"
        )
    result.headline = f"可补{yuan(result.amount)}（每人每年{policy.format_number(kb.value('transport_subsidy.times_per_year', as_of))}次）。"
    if case.organised is None or case.organised:
        result.notes.append("跟县、乡统一组织输出的，工资证明按县文件可以不交，但问答要求交，建议备上。")
    result.notes.append(kb.confirm_line())
    return result


def cap_sentence(tier: str, destination: str | None, in_qujing: bool | None, as_of: dt.date) -> str:
    """The cap of one place, said before a calculation; for 曲靖市 outside 会泽县 the Q&A's lower one too."""
    kb = policy.get()
    cap = kb.value(f"transport_subsidy.cap.{tier}", as_of)
    where = destination or TIER_NAMES[tier]
    line = f"{where}按{TIER_NAMES[tier]}算，交通补助最高{yuan(cap)}（车票低于上限按票价补）。"
    if tier == "in_province_out_of_county" and in_qujing:
        qa_cap = kb.value("transport_subsidy.cap.in_county", as_of)
        line += (
            f"曲靖市内、会泽县外的，县里的问答按“市内”算，最高{yuan(qa_cap)}，"
            f"以哪个为准请打{kb.contacts['center'].phone}问。"
        )
    return line


def _sum_line(ticket: float, tier_name: str, cap: float) -> str:
    if ticket > cap:
        return f"车票{yuan(ticket)}，{tier_name}上限{yuan(cap)}，超过上限按上限补：{yuan(cap)}"
    if ticket == cap:
        return f"车票{yuan(ticket)}，正好等于{tier_name}上限{yuan(cap)}：补{yuan(cap)}"
    return f"车票{yuan(ticket)}，没超过{tier_name}上限{yuan(cap)}，按票价补：{yuan(ticket)}"

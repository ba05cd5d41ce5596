"""Organised outflow: the subsidy for 建档立卡 workers and the 以奖代补 reward for the others.

建档立卡 workers (会政发〔2018〕20号 item 16, Q&A 12): a filed human-resources institution, a village
(residents') committee / township / community, or a filed rural labour broker gets a per-worker amount
by destination tier for each worker who performed a labour contract of the minimum months.
Non-建档立卡 workers sent outside the county (以奖代补, 曲办发〔2016〕47号 as quoted): a per-person
amount for everyone organised, plus — separately, and adding up — a reward per person still working
after half a year: for individuals above the person and stability thresholds, and for agencies
(intermediaries, labour-dispatch companies) above theirs.
"""

from __future__ import annotations

import datetime as dt
import math
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
from policy_kb.calculators.transport import TIER_NAMES

# who organises: what the documents call them
ORGANISERS = {
    "institution": "备案的人力资源服务机构",
    "village": "村（居）委会、乡镇（街道）、村（社区）",
    "broker": "农村劳务经纪人",
    "individual": "个人",
    "company": "中介公司、劳务派遣公司",
}
POOR_ORGANISERS = {"institution", "village", "broker"}  # may claim the 建档立卡 per-worker subsidy
REWARD_GROUP = {
    "individual": "individual",
    "broker": "individual",
    "company": "agency",
    "institution": "agency",
}

POOR_CITES = [policy.Reference("huize_2018_20", "第16条"), policy.Reference("qa_sheet", "第12问")]
REWARD_CITES = [
    policy.Reference("huize_2018_20", "第16条"),
    policy.Reference("qa_sheet", "第12问"),
    policy.Reference("qujing_2016_47"),
]


@dataclass(frozen=True)
class Group:
    """Part of an organised group: the workers who went to one place, and how many of them left."""

    place: str
    tier: str
    count: int
    left: int = 0
    alias: str = ""  # the name the organiser used ("宁波"), to find the group again

    @property
    def stayed(self) -> int:
        return max(0, self.count - self.left)


@dataclass
class OrganiserCase:
    organiser: str | None = None  # a key of ORGANISERS
    workers_poor: bool | None = None  # the workers are 建档立卡
    tier: str | None = None
    destination: str | None = None
    workers: int | None = None  # how many were organised
    months: float | None = None  # months of labour contract performed (建档立卡 subsidy)
    stable: int | None = None  # still working: after the minimum months (建档立卡) or half a year (以奖代补)
    groups: tuple[Group, ...] = ()  # a group split across destinations (then tier/workers are totals)
    months_bound: str | None = None  # how the months were said: below (不到) / about (快) / at_least (多)


def _impossible(case: OrganiserCase) -> list[tuple[str, str]]:
    """(why, what to ask) for each number that cannot be."""
    checks = (
        (
            case.workers,
            lambda v: v <= 0,
            "输出人数不对：请说组织出去了几个人，比如“25个人”。",
            "输出了几个人",
        ),
        (case.stable, lambda v: v < 0, "还在岗的人数不对：请说现在还在干的有几个人。", "还在岗的有几个人"),
        (
            case.months,
            lambda v: v < 0,
            "干了几个月不对：请说他们在那边干了几个月，比如“4个月”。",
            "干了几个月",
        ),
    )
    return [(why, ask) for value, wrong, why, ask in checks if value is not None and wrong(value)]


def calculate(case: OrganiserCase, as_of: dt.date | None = None) -> Result:
    as_of = as_of or dt.date.today()
    wrong = _impossible(case)
    if wrong:  # nothing is computed from a number that cannot be
        return Result(
            UNKNOWN,
            "组织输出补贴",
            reasons=[why for why, _ in wrong],
            missing=[ask for _, ask in wrong],
            cites=list(POOR_CITES),
        )
    if case.workers_poor is None:
        return Result(
            UNKNOWN, "组织输出补贴", missing=["输出的是不是建档立卡贫困劳动力"], cites=list(POOR_CITES)
        )
    return _poor(case, as_of) if case.workers_poor else _reward(case, as_of)


def _where(kb: policy.KnowledgeBase) -> str:
    center = kb.contacts["center"]
    return f"{center.name}，电话{center.phone}"


def _missing(pairs: tuple[tuple[str, object], ...]) -> list[str]:
    return [label for label, value in pairs if value is None]


def _poor(case: OrganiserCase, as_of: dt.date) -> Result:
    kb = policy.get()
    result = Result(UNKNOWN, "组织输出补贴（建档立卡）", cites=list(POOR_CITES), where=_where(kb))
    min_months = kb.value("organiser_subsidy.min_contract_months", as_of)
    if min_months is None:
        result.reasons.append(f"{as_of:%Y年%m月%d日}时文件还没有规定这项补贴。")
        return result
    status = None if case.months is None else months_status(case.months, case.months_bound, min_months)
    need = policy.format_number(min_months)
    if status == UNMET:
        now = "不到" + need if case.months_bound == "below" else policy.format_number(case.months)
        result.reasons.append(
            f"输出的人要履行劳动合同满{need}个月，现在是{now}个月，"
            + (
                "满了再申请。"
                if case.months_bound == "below"
                else f"再干{time_left(case.months, min_months)}就可以申请。"
            )
        )
    if result.reasons:
        result.verdict = NOT_ELIGIBLE
        return result
    result.missing = _missing(
        (
            ("谁组织的（村委会、劳务经纪人还是人力资源机构）", case.organiser),
            ("输出到哪里", case.tier),
            ("输出了几个人", case.workers),
            ("干了几个月", case.months),
        )
    )
    if status == ASK:
        result.missing.insert(
            0, f"是不是都已经干满{need}个月（您说的是{policy.format_number(case.months)}个月左右）"
        )
    if result.missing:
        return result
    result.verdict = ELIGIBLE
    if case.groups:
        _poor_groups(kb, case, as_of, min_months, result)
    else:
        per_worker = kb.value(f"organiser_subsidy.per_worker.{_poor_tier(case.tier)}", as_of)
        counted = case.stable if case.stable is not None and case.stable <= case.workers else case.workers
        result.amount = per_worker * counted
        where = f"（{case.destination}）" if case.destination else ""
        if counted != case.workers:
            result.arithmetic.append(
                f"组织了{case.workers}人，干满{policy.format_number(min_months)}个月还在的{counted}人才算"
            )
        result.arithmetic.append(
            f"{TIER_NAMES[case.tier]}{where}每人{yuan(per_worker)} × {counted}人 = {yuan(result.amount)}"
        )
    result.headline = f"可申请{yuan(result.amount)}（只算干满{policy.format_number(min_months)}个月的人）。"
    _filed(kb, case, result)
    result.documents = [
        "输出人员的建档立卡贫困劳动力身份证明",
        f"履行劳动合同{policy.format_number(min_months)}个月以上的证明（务工地人社部门的劳动用工登记名册、企业的工资收入证明）",
    ]
    result.notes.append(kb.confirm_line())
    return result


def _filed(kb: policy.KnowledgeBase, case: OrganiserCase, result: Result) -> None:
    """An individual claims as a 农村劳务经纪人, a company as a 人力资源服务机构: both once filed (备案) with
    the city or county employment office (会政发〔2018〕20号 item 16). Not filed yet: file first."""
    as_what = {"individual": "农村劳务经纪人", "company": "人力资源服务机构"}.get(case.organiser or "")
    if as_what is None:
        return
    result.verdict = UNKNOWN
    result.headline = f"如果已经备案，{result.headline}"
    result.reasons.append(
        f"{ORGANISERS[case.organiser]}组织的，要以{as_what}的身份申请：先到市、县劳动就业部门备案。"
        f"备没备案、怎么备案，请打{kb.contacts['center'].phone}问。"
    )


def _poor_groups(kb, case: OrganiserCase, as_of: dt.date, min_months: float, result: Result) -> None:
    """Each destination at its own rate; those who left before the minimum months are not counted."""
    total, parts = 0, []
    for group in case.groups:
        per_worker = kb.value(f"organiser_subsidy.per_worker.{_poor_tier(group.tier)}", as_of)
        amount = per_worker * group.stayed
        left = f"（{group.count}人走了{group.left}人）" if group.left else ""
        result.arithmetic.append(
            f"{group.place}，{TIER_NAMES[group.tier]}：每人{yuan(per_worker)} × {group.stayed}人{left} = {yuan(amount)}"
        )
        total += amount
        parts.append(yuan(amount))
    if len(parts) > 1:
        result.arithmetic.append(f"合计：{' + '.join(parts)} = {yuan(total)}")
    result.amount = total


def per_worker_sentence(tier: str, destination: str | None, as_of: dt.date) -> str:
    """The per-worker amount for 建档立卡 workers sent to one place, said before a calculation."""
    kb = policy.get()
    per = kb.value(f"organiser_subsidy.per_worker.{_poor_tier(tier)}", as_of)
    months = policy.format_number(kb.value("organiser_subsidy.min_contract_months", as_of))
    where = destination or TIER_NAMES[tier]
    return f"组织建档立卡贫困劳动力到{where}（{TIER_NAMES[tier]}），干满{months}个月的每人补{yuan(per)}。"


def _poor_tier(tier: str) -> str:
    # the per-worker subsidy names the middle tier 县外 (转移); the gazetteer calls it 县外省内
    return "out_of_county" if tier == "in_province_out_of_county" else tier


def _reward(case: OrganiserCase, as_of: dt.date) -> Result:
    kb = policy.get()
    result = Result(UNKNOWN, "以奖代补（非建档立卡）", cites=list(REWARD_CITES), where=_where(kb))
    per_person = kb.value("organiser_reward.per_person_organised", as_of)
    if per_person is None:
        result.reasons.append(f"{as_of:%Y年%m月%d日}时文件还没有规定以奖代补。")
        return result
    if case.groups:
        away = [g for g in case.groups if g.tier != "in_county"]
        if len(away) < len(case.groups):
            result.reasons.append("在县内务工的不算以奖代补，只算到县外的人。")
        case = OrganiserCase(
            organiser=case.organiser,
            workers_poor=False,
            tier=away[0].tier if away else "in_county",
            destination="、".join(g.place for g in away),
            workers=sum(g.count for g in away),
            stable=case.stable,
        )
    if case.tier == "in_county":
        result.verdict = NOT_ELIGIBLE
        result.reasons.append("以奖代补只奖励组织到县外务工的；在县内务工的不在范围内。")
        return result
    result.missing = _missing((("输出到哪里（县外还是县内）", case.tier), ("输出了几个人", case.workers)))
    if result.missing:
        return result
    result.verdict = ELIGIBLE
    base = per_person * case.workers
    result.amount = base
    result.arithmetic.append(f"人头补助：每人{yuan(per_person)} × {case.workers}人 = {yuan(base)}")
    group = REWARD_GROUP.get(case.organiser or "")
    if group is None:
        if case.organiser is None:
            result.missing.append("谁组织的（个人还是中介、劳务派遣公司）")
        else:
            result.reasons.append("稳定奖励只写了个人和中介、劳务派遣公司；村委会等其他组织者请向中心确认。")
    else:
        _stability_reward(kb, case, as_of, group, result)
    result.headline = f"可申请{yuan(result.amount)}。" + (
        "人头补助和稳定奖励分开算、加在一起。" if result.amount > base else ""
    )
    # the documents give no list of papers for 以奖代补: ask, invent none
    result.where += "；要带哪些材料文件里没写，申请前先打电话问清楚"
    result.notes.append(kb.confirm_line())
    return result


def _stability_reward(kb, case: OrganiserCase, as_of: dt.date, group: str, result: Result) -> None:
    prefix = f"organiser_reward.{group}"
    min_people = kb.value(f"{prefix}.min_organised", as_of)
    min_rate = kb.value(f"{prefix}.min_stability_rate", as_of)
    per_stable = kb.value(f"{prefix}.per_stable_person", as_of)
    period = policy.format_number(kb.value("organiser_reward.stability_period_months", as_of))
    who = "个人" if group == "individual" else "中介、劳务派遣公司"
    if case.workers < min_people:
        result.reasons.append(
            f"稳定奖励要{who}输出{policy.format_number(min_people)}人以上、干满半年还在岗的占{policy.format_number(min_rate)}%以上，"
            f"按稳定人数每人{yuan(per_stable)}；现在是{case.workers}人，"
            f"还差{policy.format_number(min_people - case.workers)}人。"
        )
        return
    if case.stable is None:
        result.missing.append(f"干满{period}个月还在岗的有几个人（算稳定奖励用）")
        return
    if case.stable > case.workers:
        result.reasons.append(f"在岗人数（{case.stable}）不能比输出人数（{case.workers}）多，请核对。")
        return
    rate = 100 * case.stable / case.workers
    rate_text = f"{case.stable}/{case.workers} = {rate:.1f}%".replace(".0%", "%")
    if rate < min_rate:
        needed = math.ceil(min_rate * case.workers / 100)
        result.reasons.append(
            f"稳定奖励要干满半年还在岗的占{policy.format_number(min_rate)}%以上，现在是{rate_text}，"
            f"要有{needed}人在岗才够。"
        )
        return
    reward = per_stable * case.stable
    result.arithmetic.append(
        f"稳定奖励：干满半年还在岗的{rate_text}，达到{policy.format_number(min_rate)}%；"
        f"每人{yuan(per_stable)} × {case.stable}人 = {yuan(reward)}"
    )
    result.arithmetic.append(f"合计：{yuan(result.amount)} + {yuan(reward)} = {yuan(result.amount + reward)}")
    result.amount += reward

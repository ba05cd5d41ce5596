"""By when to apply for labour arbitration.

The Q&A sheet (question 9) says within 60 days of the dispute: answered as the document says, as the
safe date. The 2008 劳动争议调解仲裁法 (art. 27) gives one year from when the worker knew or should have
known; unpaid wages while the job goes on are not time-barred, and after it ends the year runs from
the end. So the bot never says "too late" (policy-notes, conflict 2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from policy_kb import kb as policy
from policy_kb.calculators.result import ELIGIBLE, UNKNOWN, Result

CITES = [policy.Reference("qa_sheet", "第9问"), policy.Reference("arbitration_law", "第二十七条")]


@dataclass
class ArbitrationCase:
    dispute_date: dt.date | None = None  # when the dispute began, or the worker learned of it
    understood: str | None = None  # how we read the date, echoed back ("按腊月初一算")
    still_employed: bool | None = None  # for unpaid wages: is the job still going on


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def fmt(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def calculate(case: ArbitrationCase, as_of: dt.date | None = None) -> Result:
    kb = policy.get()
    today = as_of or dt.date.today()
    hotline = kb.contacts["hotline"].phone
    result = Result(UNKNOWN, "劳动仲裁期限", cites=list(CITES))
    result.where = "劳动争议发生地（或单位所在地）的劳动人事争议仲裁委员会；不清楚的打" + hotline
    if case.dispute_date is None and case.still_employed:
        years = policy.format_number(kb.value("arbitration.statutory_limit_years", today))
        days = policy.format_number(kb.value("arbitration.qa_limit_days", today))
        result.verdict = ELIGIBLE
        result.headline = "还在这个单位干：被欠的工资不受时效限制，随时可以申请，越早越好。"
        result.reasons.append(
            f"离职以后，从离职那天起算{years}年；县里的问答说争议发生后{days}天内申请最稳妥。"
        )
        result.reasons.append(f"拿不准就打{hotline}，或找法律援助中心，别自己放弃。")
        result.documents = _documents()
        return result
    if case.dispute_date is None:
        result.missing = ["争议是哪天开始的（或哪天知道被欠钱、被辞退）"]
        return result
    if case.dispute_date > today:
        result.reasons.append(f"{fmt(case.dispute_date)}还没到，请说已经发生的日期。")
        return result
    days_value = kb.value("arbitration.qa_limit_days", today)
    years_value = kb.value("arbitration.statutory_limit_years", today)
    if years_value is None:
        result.reasons.append(f"{fmt(today)}时仲裁时效还没有法律规定，请打{hotline}问。")
        return result
    years = int(years_value)
    law_deadline = add_years(case.dispute_date, years)
    read = f"（{case.understood}）" if case.understood else ""
    result.arithmetic.append(f"争议日期：{fmt(case.dispute_date)}{read}")
    doc_deadline = None
    if days_value is not None:
        days = int(days_value)
        doc_deadline = case.dispute_date + dt.timedelta(days=days)
        result.arithmetic.append(f"按县里问答：{fmt(case.dispute_date)} + {days}天 = {fmt(doc_deadline)}")
    result.arithmetic.append(f"按仲裁法：{years}年时效，到{fmt(law_deadline)}")
    result.verdict = ELIGIBLE
    if case.still_employed:
        result.headline = "还在这个单位干：被欠的工资不受时效限制，随时可以申请，越早越好。"
    elif doc_deadline is not None and today < doc_deadline:
        result.headline = (
            f"最稳妥：{fmt(doc_deadline)}前递交书面仲裁申请，还有{(doc_deadline - today).days}天。"
        )
    elif doc_deadline is not None and today == doc_deadline:
        result.headline = f"按县里问答，今天（{fmt(doc_deadline)}）是最后一天，请今天就递交书面申请。"
    elif today == law_deadline:
        passed = f"问答说的{days}天已过，" if doc_deadline is not None else ""
        result.headline = (
            f"{passed}按法律{years}年的时效，今天（{fmt(law_deadline)}）是最后一天：请今天就递交书面仲裁申请，"
            f"拿不准马上打{hotline}。"
        )
    elif today <= law_deadline:
        passed = f"问答说的{days}天已过（{fmt(doc_deadline)}），但" if doc_deadline is not None else ""
        result.headline = f"{passed}法律规定的时效是{years}年，到{fmt(law_deadline)}，请尽快申请。"
    else:
        result.verdict = UNKNOWN
        result.headline = f"已经超过{years}年，但不一定没办法：时效有中止、中断的情况。"
    result.reasons.append(f"欠工资的：还在这个单位干，不受时效限制；离职了，从离职那天起算{years}年。")
    result.reasons.append(f"拿不准就打{hotline}，或找法律援助中心，别自己放弃。")
    result.documents = _documents()
    return result


def _documents() -> list[str]:
    return ["身份证", "劳动合同或能证明在那里干活的材料（工牌、考勤、工友证明）", "工资条、转账记录、欠条"]

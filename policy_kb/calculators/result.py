"""What a calculator returns, and how it reads on a phone screen."""

from __future__ import annotations

from dataclasses import dataclass, field

from policy_kb import kb as policy

ELIGIBLE = "eligible"
NOT_ELIGIBLE = "not_eligible"
UNKNOWN = "unknown"

VERDICT_LINE = {ELIGIBLE: "✅ 可以申请", NOT_ELIGIBLE: "❌ 按文件暂时不能申请", UNKNOWN: "❓ 还不能确定"}


@dataclass
class Result:
    """A verdict with everything a worker (or the village secretary forwarding it) needs.

    amount: yuan, or None when there is none to give; arithmetic: the sum in words, line by line;
    reasons: why not / what is unmet, each with what would meet it; missing: facts still needed;
    notes: conflicts between documents and caveats, said once each.
    """

    verdict: str
    title: str
    amount: float | None = None
    arithmetic: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    where: str = ""
    notes: list[str] = field(default_factory=list)
    cites: list[policy.Reference] = field(default_factory=list)
    headline: str = ""

    def bubbles(self) -> list[str]:
        """The verdict first (what, how much, why, what is still needed, the source), then what to bring
        and where to go: two bubbles, each short enough for a phone, forwardable as they are."""
        kb = policy.get()
        first = [f"【{self.title}】{VERDICT_LINE[self.verdict]}"]
        if self.headline:
            first.append(self.headline)
        first += [f"·{line}" for line in self.arithmetic]
        if self.reasons:
            first.append("原因：" if self.verdict == NOT_ELIGIBLE else "还要注意：")
            first += [f"·{r}" for r in self.reasons]
        if self.missing:
            first.append("还需要知道：" + "、".join(self.missing))
        if self.cites:
            first.append(kb.citation(self.cites))
        second = []
        if self.documents:
            second.append("要带的材料：" + "；".join(self.documents))
        if self.where:
            second.append("去哪里办：" + self.where)
        second += self.notes
        return ["\n".join(first)] + (["\n".join(second)] if second else [])

    def render(self) -> str:
        """Both bubbles in one text (transcripts, tests)."""
        return "\n".join(self.bubbles())


MET, UNMET, ASK = "met", "unmet", "ask"


def months_status(months: float, bound: str | None, threshold: float) -> str:
    """Whether `months` worked (as the worker put it: bound "below", "about", "at_least" or "") reach
    `threshold`: MET, UNMET, or ASK when his words leave it open ("快三个月了" for 3: maybe a few days short)."""
    if bound in ("below", "about"):
        # "不到三个月" is less than 3, "快两个月" less than 3 too; "不到五个月" or "快四个月": most likely 3 or
        # more, and when a month's doubt straddles the threshold, ask
        if months < threshold or (bound == "below" and months == threshold):
            return UNMET
        return MET if months - 1 >= threshold else ASK
    return MET if months >= threshold else UNMET


def time_left(months: float, threshold: float) -> str:
    """What is left to work, in days under a month ("约15天"), else in months ("2个月")."""
    short = threshold - months
    if short < 1:
        return f"约{max(1, round(short * 30))}天"
    return f"{policy.format_number(round(short, 1))}个月"


def yuan(value: float) -> str:
    return policy.format_number(value) + "元"

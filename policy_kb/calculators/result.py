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

    def render(self) -> str:
        """Short enough for a phone, and complete enough to forward as it is."""
        kb = policy.get()
        lines = [f"【{self.title}】{VERDICT_LINE[self.verdict]}"]
        if self.headline:
            lines.append(self.headline)
        lines += [f"·{line}" for line in self.arithmetic]
        if self.reasons:
            lines.append("原因：" if self.verdict == NOT_ELIGIBLE else "还要注意：")
            lines += [f"·{r}" for r in self.reasons]
        if self.missing:
            lines.append("还需要知道：" + "、".join(self.missing))
        if self.documents:
            lines.append("要带的材料：" + "；".join(self.documents))
        if self.where:
            lines.append("去哪里办：" + self.where)
        lines += self.notes
        if self.cites:
            lines.append(kb.citation(self.cites))
        return "\n".join(lines)


def yuan(value: float) -> str:
    return policy.format_number(value) + "元"

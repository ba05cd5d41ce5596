"""The job-ad check (#17): the warning signs of a recruitment post and the reply a worker can forward.

The signs, their words, weights, reasons and sources are data (data/job_ads.yml); this module only
matches them and puts the reply together. Never "safe": at best "no obvious sign, still check".

    result = check("【急招】普工 月薪8000 报名先交300服装费 微信wx123456")
    result.risky, [s.key for s in result.signs]   -> True, ["fee_before_work", "no_company", ...]
    reply(result)                                   -> the text, short enough for a phone
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from policy_kb import kb as policy
from policy_kb.understanding import ads
from policy_kb.understanding.numbers import normalize

DATA = Path(__file__).parent / "data" / "job_ads.yml"
MAX_SIGNS_SHOWN = 4  # a phone screen: the most serious first, the rest counted


@dataclass(frozen=True)
class Sign:
    key: str
    title: str
    reason: str
    weight: int
    source: policy.Reference | None
    all: tuple[tuple[str, ...], ...]
    none: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Result:
    text: str
    signs: tuple[Sign, ...]
    reassuring: tuple[str, ...]  # keys of the reassuring signs found
    parts: ads.AdParts

    @property
    def risky(self) -> bool:
        return bool(self.signs)

    @property
    def keys(self) -> list[str]:
        return [sign.key for sign in self.signs]


def _groups(raw: list) -> tuple[tuple[str, ...], ...]:
    """`all`/`none` entries: a word-list name, or a list of names any one of which will do."""
    return tuple((entry,) if isinstance(entry, str) else tuple(entry) for entry in raw or [])


@lru_cache(maxsize=1)
def data() -> dict:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    # a folded YAML string joins its lines with spaces: none belongs around the alternatives
    words = {
        name: re.compile(re.sub(r"\s*\|\s*", "|", pattern.strip())) for name, pattern in raw["words"].items()
    }
    signs = []
    for key, sign in raw["signs"].items():
        source = sign.get("source")
        signs.append(
            Sign(
                key=key,
                title=sign["title"],
                reason=sign["reason"],
                weight=int(sign.get("weight", 1)),
                source=policy.Reference(source["doc"], str(source["item"])) if source else None,
                all=_groups(sign.get("all")),
                none=_groups(sign.get("none")),
            )
        )
    reassuring = {
        key: (value["title"], _groups(value.get("all"))) for key, value in raw["reassuring"].items()
    }
    return {"words": words, "signs": signs, "reassuring": reassuring, "reply": raw["reply"]}


def problems() -> list[str]:
    """Every inconsistency of the data: unknown word lists, sources that are not documents, contacts."""
    found, kb = [], policy.get()
    loaded = data()
    names = set(loaded["words"])
    for sign in loaded["signs"]:
        for group in sign.all + sign.none:
            found += [f"sign {sign.key}: no word list {name!r}" for name in group if name not in names]
        if sign.source is None or sign.source.doc not in kb.documents:
            found.append(f"sign {sign.key}: its source must be one of documents.yml")
        found += kb._placeholder_problems(f"sign {sign.key}", sign.reason)
    for key, (_, groups) in loaded["reassuring"].items():
        found += [
            f"reassuring {key}: no word list {n!r}" for group in groups for n in group if n not in names
        ]
    for key, text in loaded["reply"].items():
        found += kb._placeholder_problems(f"reply {key}", text)
    return found


def _matches(groups: tuple[tuple[str, ...], ...], text: str, words: dict[str, re.Pattern]) -> list[bool]:
    return [any(words[name].search(text) for name in group) for group in groups]


def check(text: str) -> Result:
    """The warning signs (most serious first) and reassuring signs of one post."""
    loaded, plain = data(), normalize(text)
    words = loaded["words"]
    signs = [
        sign
        for sign in loaded["signs"]
        if all(_matches(sign.all, plain, words)) and not any(_matches(sign.none, plain, words))
    ]
    reassuring = tuple(
        key for key, (_, groups) in loaded["reassuring"].items() if all(_matches(groups, plain, words))
    )
    signs.sort(key=lambda sign: -sign.weight)
    return Result(text=text, signs=tuple(signs), reassuring=reassuring, parts=ads.read_parts(text))


def reply(result: Result, earlier: bool = False) -> str:
    """The verdict in one line, the signs with their reasons, what reassures, how to check, where to
    report, and the sources: plain text a worker can copy into his group."""
    kb, loaded = policy.get(), data()
    texts = loaded["reply"]
    lines = [texts["earlier"]] if earlier else []
    lines.append(texts["risky"] if result.risky else texts["no_sign"])
    if result.signs:
        lines.append(texts["signs_heading"])
        for number, sign in enumerate(result.signs[:MAX_SIGNS_SHOWN], start=1):
            lines.append(f"{number}. {sign.title}：{kb.fill(sign.reason)}")
        if len(result.signs) > MAX_SIGNS_SHOWN:
            lines.append(texts["others"] % (len(result.signs) - MAX_SIGNS_SHOWN))
    if result.reassuring:
        titles = "；".join(loaded["reassuring"][key][0] for key in result.reassuring)
        lines.append(f"{texts['reassuring_heading']}{titles}。")
    lines.append(kb.fill(texts["check"]).strip())
    lines.append(kb.fill(texts["report"]).strip())
    sources = [sign.source for sign in result.signs if sign.source] or [policy.Reference("qa_sheet", "第5问")]
    lines.append(kb.citation(sources))
    return "\n".join(lines)


def send_text_reply() -> str:
    """For an image or a link: we read text only."""
    return policy.get().fill(data()["reply"]["send_text"])

"""Where a worker went: place names in free text → subsidy tier (省外 / 县外省内 / 县内).

The names live in ``policy_kb/gazetteer/places.yml`` (loaded once, lazily). Matching is plain substring
search with a few rules for real messages:

* Longest alias wins at each position ("广东省" over "广东", "县外省内" over "省内").
* One-character abbreviations (粤, 浙, 京…) and township names that are also everyday words (马路, 大海,
  矿山, 待补…) count only when they are the whole message, give or take "去/在/省/那边…".
* With several places in one message, the destination wins over the origin: a name right after
  去/到/在/克 (Yunnan dialect for 去)/切 or before 打工/那边 beats one after 从/老家 or before 人
  ("会泽人"); a negated one ("没去广东") is ignored. Then a place away from 会泽 beats 会泽 itself
  (the worker is from 会泽, so naming anywhere else is news), then the more specific, then the longer,
  then the earlier.
* Words that do not settle the tier (省内, 云南, 县外, 外地) give ``tier == "ambiguous"`` with the
  candidate tiers and a question to ask, but only when no real place is named.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

__all__ = [
    "AMBIGUOUS",
    "IN_COUNTY",
    "IN_PROVINCE_OUT_OF_COUNTY",
    "OUT_OF_PROVINCE",
    "TIERS",
    "PlaceMatch",
    "all_names",
    "parse_place",
]

OUT_OF_PROVINCE = "out_of_province"
IN_PROVINCE_OUT_OF_COUNTY = "in_province_out_of_county"
IN_COUNTY = "in_county"
AMBIGUOUS = "ambiguous"
TIERS = (OUT_OF_PROVINCE, IN_PROVINCE_OUT_OF_COUNTY, IN_COUNTY)

GAZETTEER = Path(__file__).resolve().parent.parent / "gazetteer" / "places.yml"

# More specific places win a tie: "去广东深圳" → 深圳, "曲靖宣威" → 宣威.
_KIND_RANK = {"town": 5, "county": 4, "city": 3, "province": 2, "region": 1, "scope": 0}


@dataclass(frozen=True)
class PlaceMatch:
    """A place understood from a message.

    tier: "out_of_province" | "in_province_out_of_county" | "in_county" | "ambiguous".
    in_qujing: True inside 曲靖市 (会泽县 included), False outside, None when unknown (ambiguous words,
        or "县外省内" without saying where).
    display: canonical name to echo back, e.g. "深圳市（广东省）", "宣威市（曲靖市）", "娜姑镇（会泽县）".
    matched: the text that was recognised.
    kind: "scope" | "region" | "province" | "city" | "county" | "town".
    candidates: for ambiguous words, the tiers they could mean.
    question: for ambiguous words, what to ask the worker.
    """

    tier: str
    in_qujing: bool | None
    display: str
    matched: str
    kind: str = ""
    candidates: tuple[str, ...] = ()
    question: str = ""

    @property
    def is_ambiguous(self) -> bool:
        return self.tier == AMBIGUOUS


@dataclass(frozen=True)
class _Place:
    display: str
    tier: str
    in_qujing: bool | None
    kind: str
    candidates: tuple[str, ...]
    question: str


@dataclass(frozen=True)
class _Gazetteer:
    anywhere: dict[str, _Place]  # alias → place, matched inside sentences
    whole: dict[str, _Place]  # alias → place, matched when it is the whole message (includes `anywhere`)
    pattern: re.Pattern[str]  # alternation of `anywhere`, longest first


def _variants(alias: str) -> list[str]:
    """Typing variants worth accepting: 州 is often typed 洲 ("广洲", "杭洲")."""
    return [alias, alias.replace("州", "洲")] if "州" in alias else [alias]


@lru_cache(maxsize=1)
def _gazetteer(path: str = str(GAZETTEER)) -> _Gazetteer:
    """Read places.yml once. Raises ValueError if one alias names two places (a data error)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster
    data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 (a safe loader)
    anywhere: dict[str, _Place] = {}
    whole: dict[str, _Place] = {}
    for group in data["groups"]:
        for raw in group["places"]:
            place = _Place(
                display=raw["display"],
                tier=raw.get("tier", group["tier"]),
                in_qujing=raw.get("in_qujing", group.get("in_qujing")),
                kind=raw.get("kind", ""),
                candidates=tuple(raw.get("candidates", ())),
                question=raw.get("question", ""),
            )
            for table, aliases in ((anywhere, raw.get("aliases", [])), (whole, raw.get("exact_only", []))):
                for alias in (v for a in aliases for v in _variants(str(a))):
                    other = anywhere.get(alias) or whole.get(alias)
                    if other is not None and other != place:
                        raise ValueError(
                            f"places.yml: {alias!r} names both {other.display} and {place.display}"
                        )
                    table[alias] = place
    whole.update(anywhere)
    pattern = re.compile("|".join(re.escape(a) for a in sorted(anywhere, key=len, reverse=True)))
    return _Gazetteer(anywhere, whole, pattern)


# --- context cues ---------------------------------------------------------------------------------

# 克/切 are how 去 is said (and often typed) in Yunnan dialect: "克广东" = "去广东".
_DEST_BEFORE = re.compile(r"(去|到|克|切|在|往|赴|跑|上|下|进|来|飞|闯)(了|过|的是|的)?\s*$")
_DEST_AFTER = re.compile(r"^\s*(那边|那里|那儿|这边|打工|上班|务工|干活|做工|做事|厂|工地|搞|找)")
_ORIGIN_BEFORE = re.compile(r"(从|离开|老家|家在|家是|户口|户籍|来自|我是|籍贯|出生在?)(是|在)?\s*$")
_ORIGIN_AFTER = re.compile(r"^\s*(人|的人|户口|籍|出发|过来|出来|来的)")
_NEGATED = re.compile(r"(没|没有|不|不是|不想|不会|不打算|别|不用)\s*(去|到|克|切|在|是|出)?\s*(过|了)?\s*$")

# Filler around a one-word answer, stripped before looking up whole-message aliases: "去粤", "浙江那边".
_LEAD = re.compile(r"^(我们|我|俺|在|去|到|克|切|是|来|就在|现在在|目前在)+")
_TRAIL = re.compile(r"(省|那边|这边|那里|打工|上班|务工|干活|了|的|啊|呀|哦|噢|吧|嘛|呢|哈)+$")


def _clean(text: str) -> str:
    """NFKC (full-width → ASCII) and no spaces; punctuation stays, since it separates clauses."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def _bare(text: str) -> str:
    """The message without punctuation, for comparing a one-word answer with the whole-message aliases."""
    return re.sub(r"[,.!?;:'\"、~…()\[\]【】「」《》<>\-。]+", "", text)


def _cue(text: str, start: int, end: int) -> int:
    """2 = destination, 1 = no cue, 0 = origin, -1 = negated ("没去广东")."""
    before, after = text[:start], text[end:]
    if _NEGATED.search(before):
        return -1
    if _ORIGIN_BEFORE.search(before) or _ORIGIN_AFTER.match(after):
        return 0
    if _DEST_BEFORE.search(before) or _DEST_AFTER.match(after):
        return 2
    return 1


def _chain_start(start: int, spans: list[tuple[int, int]]) -> int:
    """Start of a run of adjacent names ("云南昆明", "广东深圳"): a cue before the run applies to all."""
    moved = True
    while moved:
        moved = False
        for s, e in spans:
            if e == start and s < start:
                start, moved = s, True
    return start


def _result(place: _Place, matched: str) -> PlaceMatch:
    return PlaceMatch(
        place.tier, place.in_qujing, place.display, matched, place.kind, place.candidates, place.question
    )


def parse_place(text: str) -> PlaceMatch | None:
    """The destination named in a worker's message, or None if no known place is named.

    parse_place("克广东") → 广东省, out_of_province; parse_place("宣威") → in_province_out_of_county with
    in_qujing True; parse_place("娜姑") → in_county; parse_place("省内") → tier "ambiguous" with
    candidates and a question. See PlaceMatch.
    """
    gaz = _gazetteer()
    text = _clean(text)
    if not text:
        return None
    bare = _bare(text)
    core = _TRAIL.sub("", _LEAD.sub("", bare)) or bare
    for candidate in (bare, core, core + "省"):
        if candidate in gaz.whole:
            return _result(gaz.whole[candidate], candidate)
    found = [(m.start(), m.end(), m.group()) for m in gaz.pattern.finditer(text)]
    spans = [(s, e) for s, e, _ in found]
    ranked = []
    for start, end, alias in found:
        cue = _cue(text, _chain_start(start, spans), end)
        if cue < 0:
            continue
        place = gaz.anywhere[alias]
        away = place.tier != IN_COUNTY
        ranked.append(
            (
                (place.tier != AMBIGUOUS, cue, away, _KIND_RANK.get(place.kind, 0), end - start, -start),
                place,
                alias,
            )
        )
    if not ranked:
        return None
    _, place, alias = max(ranked, key=lambda r: r[0])
    if place.tier == AMBIGUOUS:
        return _combine_vague([(p, a) for _, p, a in ranked]) or _result(place, alias)
    return _result(place, alias)


# The generic entry standing for a settled tier (and in_qujing), by one of its aliases in places.yml.
_SETTLED = {
    (OUT_OF_PROVINCE, None): "省外",
    (IN_PROVINCE_OUT_OF_COUNTY, None): "县外省内",
    (IN_PROVINCE_OUT_OF_COUNTY, True): "市内县外",
    (IN_PROVINCE_OUT_OF_COUNTY, False): "市外省内",
    (IN_COUNTY, None): "县内",
}


def _combine_vague(found: list[tuple[_Place, str]]) -> PlaceMatch | None:
    """Two vague words can settle the tier together: "云南省内，县外" → 县外省内; "市里，出了县" → 曲靖市内、县外."""
    vague = [(p, a) for p, a in found if p.tier == AMBIGUOUS]
    if len(vague) < 2:
        return None
    tiers = set.intersection(*(set(p.candidates) for p, _ in vague))
    if len(tiers) != 1:
        return None
    tier = tiers.pop()
    in_qujing = next((p.in_qujing for p, _ in vague if p.in_qujing is not None), None)
    alias = _SETTLED.get((tier, in_qujing)) or _SETTLED[(tier, None)]
    return _result(_gazetteer().anywhere[alias], "，".join(a for _, a in vague))


def all_names() -> list[str]:
    """Every spelling matched inside sentences (for the tokenizer's user dictionary)."""
    return sorted(_gazetteer().anywhere)

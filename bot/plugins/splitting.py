"""Several questions in one message, numbered or not, and the question at the end of a long story.

`plan(text, parse)` returns the turns to send to Rasa for one worker message, each a `Turn(text, story)`:
- several questions of different topics ("老板不给钱 去哪告 还有就是我还能领交通补助不") become one turn each
  (at most three); a clause that only adds context stays with the question after it; a calculator's
  facts stay together, and the calculator comes last so that its question is what the worker sees last;
- two asking clauses side by side with no connective ("想回来创业 贷款能贷好多 有培训补贴没得") are cut
  after each asking clause and split the same way, when the NLU gives them different topics;
- a long story whose question is at the end ("…一分钱没给 这种情况我该咋个办") is classified by that
  question, while the whole story goes along (`story`) for the calculators' facts;
- anything else is one turn, as it came.

`parse(text)` is the NLU (Rasa's agent in the channel, a stub in tests): awaitable, returning Rasa's parse
dict. Numbered questions are split by bot.plugins.channels before this is asked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

MAX_TURNS = 3
CONFIDENT = 0.6
LONG = 40  # characters: a message this long may be a story with the question at the end

# a connective starts a new question only at the start of a clause ("…去哪告 还有就是我还能领…")
_CONNECTIVE = re.compile(
    r"(?:^|(?<=[\s，,。；;！!？?]))(?:还有就是|还有个问题|还有一个问题|还有(?=[\s，,那])|另外|再问一下|再问下|再问个|"
    r"顺便问一下|顺便问下|顺便问|以及|我?还想问一下|我?还想问问|我?还想问|要是|如果)"
)
_SENTENCE_END = re.compile(r"(?<=[？?！!。；;])|(?<=呢)\s+")
_CLAUSE = re.compile(r"[，,。；;！!？?\s]+")
_ASKS = re.compile(
    r"咋个办|怎么办|咋办|咋整|咋个|怎么|如何|吗|么|嘛|哪|什么|啥|哪样|好多|多少|几|能不能|可不可以|是不是|得不得|有没有|"
    r"[?？]|[不没](\s*)$|没得$|呢$"
)

Parse = Callable[[str], Awaitable[dict]]


class Busy(Exception):
    """Raised by a parser when the message must not be split (the worker is inside a calculator)."""


@dataclass(frozen=True)
class Turn:
    text: str  # what the NLU classifies
    story: str | None = None  # the whole message, when only its question is classified


def _label(parse: dict) -> tuple[str | None, float]:
    intent = parse.get("intent") or {}
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0)
    if name == "faq":
        selected = (parse.get("response_selector") or {}).get("faq", {}).get("response", {})
        key = selected.get("intent_response_key")
        return (key or "faq"), confidence
    return name, confidence


def _is_question(label: str | None, confidence: float, text: str) -> bool:
    if label is None or confidence < CONFIDENT:
        return False
    if label.startswith("faq") or label.startswith("check_"):
        return True
    return label in ("human_handoff", "out_of_scope") and bool(_ASKS.search(text))


def parts_of(text: str) -> list[str]:
    """The message cut at sentence ends and connectives (还有, 另外, 顺便问下, 要是…), connectives dropped."""
    pieces = []
    for sentence in _SENTENCE_END.split(text):
        pieces += _CONNECTIVE.split(sentence)
    return [p.strip(" ，,。；;？?！!") for p in pieces if p and re.search(r"\w", p)]


# characters: a shorter asking clause ("咋个办", "要带哪些材料") belongs to the question before it
MIN_QUESTION = 8


def asked_clauses(text: str) -> list[str]:
    """The message cut after each clause that asks, with no connective between ("…有补贴没得 车费又咋个补"):
    the clauses before an asking one go with it; a short asking clause stays with the one before, and so
    does a remark after the last question."""
    pieces: list[list[str]] = []
    current: list[str] = []
    for clause in (c for c in _CLAUSE.split(text) if c):
        current.append(clause)
        if _ASKS.search(clause):
            if pieces and len("".join(current)) < MIN_QUESTION:
                pieces[-1] += current
            else:
                pieces.append(current)
            current = []
    if current and pieces:
        pieces[-1] += current
    elif current:
        pieces.append(current)
    return [" ".join(p) for p in pieces]


async def plan(text: str, parse: Parse) -> list[Turn]:
    try:
        return await _plan(text, parse)
    except Busy:
        return [Turn(text)]
    except Exception:  # noqa: BLE001 - a fault in splitting must not cost the worker his answer
        logger.exception("splitting failed; the message goes to Rasa as it came")
        return [Turn(text)]


async def _plan(text: str, parse: Parse) -> list[Turn]:
    parts = parts_of(text)
    if len(parts) >= 2:
        turns = await _several(parts, parse)
        if turns:
            return turns
    elif len(text) < LONG:
        # no connective: a calculator's case keeps its clauses together (its rule questions are its own)
        turns = await _several(asked_clauses(text), parse, calculators=False)
        if turns:
            return turns
    if len(text) >= LONG:
        turn = await _story(text, parse)
        if turn:
            return [turn]
    return [Turn(text)]


async def _several(parts: list[str], parse: Parse, calculators: bool = True) -> list[Turn] | None:
    if len(parts) < 2:
        return None
    labelled = []
    for part in parts:
        label, confidence = _label(await parse(part))
        labelled.append((part, label, _is_question(label, confidence, part)))
    groups: list[list] = []  # [label, [texts]]
    waiting: list[str] = []  # context clauses waiting for their question
    for part, label, question in labelled:
        if not question:
            waiting.append(part)
            continue
        if groups and groups[-1][0] == label and not waiting:
            groups[-1][1].append(part)
        else:
            groups.append([label, [*waiting, part]])
        waiting = []
    if waiting and groups:
        groups[-1][1] += waiting
    if len(groups) < 2 or len({g[0] for g in groups}) < 2:
        return None
    if not calculators and any(g[0].startswith("check_") for g in groups):
        return None
    # FAQ answers first, a calculator last (its question is what the worker answers next)
    groups.sort(key=lambda g: g[0].startswith("check_"))
    return [Turn(" ".join(texts)) for _, texts in groups[:MAX_TURNS]]


async def _story(text: str, parse: Parse) -> Turn | None:
    clauses = [c for c in _CLAUSE.split(text) if c]
    if len(clauses) < 3:
        return None
    asking = [i for i, c in enumerate(clauses) if _ASKS.search(c)]
    if not asking:
        return None
    last = asking[-1]
    question = " ".join(clauses[max(0, last - 1) : last + 1])  # the question and the clause before it
    whole_label, _ = _label(await parse(text))
    label, confidence = _label(await parse(question))
    if not _is_question(label, confidence, question) or label == whole_label:
        return None
    return Turn(question, story=text)  # the calculators still read the whole story for facts


__all__ = ["MAX_TURNS", "Busy", "Turn", "asked_clauses", "parts_of", "plan"]

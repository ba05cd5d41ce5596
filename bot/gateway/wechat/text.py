"""Bot replies as WeChat text: buttons as numbered lines, and long answers in parts of ≤ 2048 bytes.

A WeChat passive text reply carries at most 2048 bytes of UTF-8 (a Chinese character is 3), so a long
answer is cut at sentence ends into parts, each but the last ending with the hint to reply "更多".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.gateway import messages

MAX_BYTES = 2048
_SENTENCE_END = re.compile(r"(?<=[。！？\n])")
_MORE_TAIL = "\n\n" + messages.MORE_HINT


@dataclass(frozen=True)
class Answer:
    text: str
    payloads: list[str] = field(default_factory=list)  # payload of button n is payloads[n - 1]


def as_answer(replies: list[dict]) -> Answer:
    """Join the bot's replies into one text; buttons become "回复 1 …" lines at the end."""
    texts = [r["text"].strip() for r in replies if r.get("text", "").strip()]
    buttons = [b for r in replies for b in r.get("buttons") or []]
    lines = [messages.CHOICE_LINE.format(number=n, title=b["title"]) for n, b in enumerate(buttons, start=1)]
    text = "\n\n".join(texts + (["\n".join(lines)] if lines else []))
    return Answer(text, [b["payload"] for b in buttons])


def chosen_payload(text: str, payloads: list[str]) -> str | None:
    """The payload when the user replied with just the number of one of the last reply's buttons."""
    choice = text.strip()
    if not choice.isdigit():
        return None
    number = int(choice)  # int() reads full-width digits (１) too
    return payloads[number - 1] if 1 <= number <= len(payloads) else None


def asks_for_more(text: str) -> bool:
    return text.strip(" \t\r\n。.！!？?～~").strip() == messages.MORE


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def parts(text: str, limit: int = MAX_BYTES) -> list[str]:
    """The text in parts of at most `limit` bytes, cut after 。！？ or a line break where possible."""
    if size(text) <= limit:
        return [text]
    room = limit - size(_MORE_TAIL)
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, room):
        if current and size(current + piece) > room:
            chunks.append(current)
            current = piece.lstrip("\n")
        else:
            current += piece
    chunks = [chunk for chunk in [*chunks, current] if chunk.strip()]
    return [chunk.rstrip("\n") + _MORE_TAIL for chunk in chunks[:-1]] + [chunks[-1]]


def _pieces(text: str, room: int) -> list[str]:
    """Sentences; one longer than `room` bytes is cut by characters."""
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        while size(sentence) > room:
            cut = _fit(sentence, room)
            pieces.append(sentence[:cut])
            sentence = sentence[cut:]
        if sentence:
            pieces.append(sentence)
    return pieces


def _fit(text: str, room: int) -> int:
    """How many leading characters of `text` fit in `room` bytes."""
    used = 0
    for index, char in enumerate(text):
        used += size(char)
        if used > room:
            return index
    return len(text)

"""Where a conversation went wrong, also when the bot was sure of itself. The inbox's flags, the
transcript's marks and the dashboard's 没答好的对话 all come from `events`:

- 兜底: the bot did not understand (filters.FALLBACK_SQL); 转人工: the worker asked for a person;
  超出范围: a question the bot is not for (out_of_scope);
- 差评: the worker rated a reply down, 👎 (messages.feedback, where the file has the column);
- 重问: the worker typed the same words again, or nearly (as one of his last NEAR_WINDOW messages):
  compared without spaces, punctuation and case, texts of NEAR_MIN characters or more count when NEAR of
  them match. One character (是, 好, 嗯) is an answer, not a question; button taps and the chat page's
  own greeting are not the worker's words;
- 同一回复: the bot gave the same reply (all its bubbles of a turn) SAME_REPLY_RUN or more turns in a row,
  as to a worker stuck on a calculator's question.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, deque
from dataclasses import dataclass
from difflib import SequenceMatcher

import sqlite_utils

from bot.gateway.admin import labels, schema
from bot.gateway.admin.filters import FALLBACK_SQL, HANDOFF_SQL, OPENING_SQL, OUT_OF_SCOPE_SQL

KINDS = ("handoff", "fallback", "reasked", "same_reply", "out_of_scope", "down")  # as the badges line up
BADGES = {  # the inbox, per conversation
    "handoff": "转人工",
    "fallback": "兜底×{n}",
    "reasked": "重问×{n}",
    "same_reply": "同一回复×{n}",  # the longest run
    "out_of_scope": "超出范围×{n}",
    "down": "差评×{n}",
}
MARKS = {  # the transcript, per message
    "handoff": "转人工",
    "fallback": "兜底",
    "reasked": "重问",
    "same_reply": "同一回复第{n}次",
    "out_of_scope": "超出范围",
    "down": "差评",
}
USER_MARKS = {"fallback": "is_fallback", "handoff": "is_handoff", "out_of_scope": "is_out_of_scope"}
# what a message needs besides its own columns, for `events`
COLUMNS_SQL = (
    f"{FALLBACK_SQL} AS is_fallback, {HANDOFF_SQL} AS is_handoff, {OUT_OF_SCOPE_SQL} AS is_out_of_scope,"
    f" {OPENING_SQL} AS is_opening"
)
MIN_WORDS = 2
NEAR_MIN = 4
NEAR = 0.8
NEAR_WINDOW = 10  # "nearly the same" looks back this many typed messages; "the same", at all of them
SAME_REPLY_RUN = 3


@dataclass(frozen=True)
class Event:
    kind: str
    message_id: int
    created_at: str
    detail: int = 0  # reasked: the earlier message's id; same_reply: how many in a row so far

    @property
    def mark(self) -> str:
        return MARKS[self.kind].format(n=self.detail)


@dataclass(frozen=True)
class Summary:
    events: tuple[Event, ...] = ()

    def badges(self) -> list[tuple[str, str]]:
        """(kind, text) of each kind that happened, e.g. ("reasked", "重问×2")."""
        counts = Counter(event.kind for event in self.events)
        longest = max((e.detail for e in self.events if e.kind == "same_reply"), default=0)
        return [
            (kind, BADGES[kind].format(n=longest if kind == "same_reply" else counts[kind]))
            for kind in KINDS
            if counts[kind]
        ]


def normalized(text: str) -> str:
    """Letters and digits only, lower case, full-width folded: "广东 东莞！" and "广东东莞" are the same words."""
    return "".join(
        ch for ch in unicodedata.normalize("NFKC", text or "").lower() if unicodedata.category(ch)[0] in "LN"
    )


def repeats(text: str, earlier: str) -> bool:
    a, b = normalized(text), normalized(earlier)
    return min(len(a), len(b)) >= MIN_WORDS and (a == b or _near(_matcher(a), b))


def _matcher(words: str) -> SequenceMatcher:
    """Compares `words` with others: difflib caches what it learns of its second sequence."""
    return SequenceMatcher(None, "", words, autojunk=False)


def _near(matcher: SequenceMatcher, earlier: str) -> bool:
    """Nearly the same normalized words; the cheap upper bounds first, as most pairs are nothing alike."""
    if min(len(matcher.b), len(earlier)) < NEAR_MIN:
        return False
    matcher.set_seq1(earlier)
    return matcher.real_quick_ratio() >= NEAR and matcher.quick_ratio() >= NEAR and matcher.ratio() >= NEAR


def events(messages: list[dict]) -> list[Event]:
    """What went wrong in one conversation, given its messages oldest first (with COLUMNS_SQL's columns)."""
    found: list[Event] = []
    said: dict[str, int] = {}  # the worker's own typed words so far (normalized) → the first to say them
    recent: deque[tuple[str, int]] = deque(maxlen=NEAR_WINDOW)  # the last of them, to compare nearly
    turns: list[tuple[dict, list[str]]] = []  # the bot's replies: first message, texts of its bubbles
    previous = None
    for message in messages:
        if message.get("feedback") == "down":
            found.append(_event("down", message))
        if message["direction"] == "in":
            found += [_event(kind, message) for kind, column in USER_MARKS.items() if message.get(column)]
            tapped = message.get("payload") or labels.is_payload(message["text"])
            words = "" if tapped or message.get("is_opening") else normalized(message["text"])
            if len(words) >= MIN_WORDS:
                matcher = _matcher(words)
                earlier = said.get(words) or next((i for text, i in recent if _near(matcher, text)), None)
                if earlier:
                    found.append(_event("reasked", message, earlier))
                said.setdefault(words, message["id"])
                recent.append((words, message["id"]))
        elif previous == "out":
            turns[-1][1].append(message["text"])
        else:
            turns.append((message, [message["text"]]))
        previous = message["direction"]
    run, last = 0, None
    for first, texts in turns:
        reply = "\n".join(texts)
        run = run + 1 if reply == last else 1
        last = reply
        if run >= SAME_REPLY_RUN:
            found.append(_event("same_reply", first, run))
    return sorted(found, key=lambda e: (e.message_id, KINDS.index(e.kind)))


def _event(kind: str, message: dict, detail: int = 0) -> Event:
    return Event(kind, message["id"], message["created_at"], detail)


def load(db: sqlite_utils.Database, condition: str, params: list) -> dict[int, list[dict]]:
    """conversation id → its messages, oldest first, for the conversations `condition` (over `messages m`)
    picks, with what `events` needs."""
    cursor = db.execute(
        f"SELECT m.id, m.conversation_id, m.direction, m.text, m.created_at,"
        f" {schema.optional_columns_sql(db)}, {COLUMNS_SQL}"
        f" FROM messages m WHERE {condition} ORDER BY m.conversation_id, m.id",
        params,
    )
    columns = [d[0] for d in cursor.description]
    found: dict[int, list[dict]] = {}
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        found.setdefault(row["conversation_id"], []).append(row)
    return found


def summaries(db: sqlite_utils.Database, ids: list[int]) -> dict[int, Summary]:
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    loaded = load(db, f"m.conversation_id IN ({marks})", list(ids))
    return {cid: Summary(tuple(events(loaded.get(cid, [])))) for cid in ids}

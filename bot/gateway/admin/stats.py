"""The dashboard's numbers over a date range, grouped by local day.

fallback rate   = user turns answered by the fallback / user turns, per day;
handoff rate    = conversations that entered the handoff queue that day / conversations active that day;
没答好 (unanswered) rate = conversations where something went wrong that day (flags.events: fallback,
re-asked, the same reply three times, out of scope, 👎, 转人工) / conversations active that day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlite_utils

from bot.gateway.admin import clock, flags
from bot.gateway.admin.filters import FALLBACK_SQL
from bot.gateway.admin.queries import TRIGGERS


@dataclass
class Day:
    day: str
    user_messages: int = 0
    bot_messages: int = 0
    conversations: int = 0
    fallbacks: int = 0
    handoff_conversations: int = 0
    unanswered: set[int] = field(default_factory=set)  # ids of the conversations where something went wrong

    @property
    def unanswered_conversations(self) -> int:
        return len(self.unanswered)

    @property
    def fallback_rate(self) -> float | None:
        return self.fallbacks / self.user_messages if self.user_messages else None

    @property
    def handoff_rate(self) -> float | None:
        return self.handoff_conversations / self.conversations if self.conversations else None

    @property
    def unanswered_rate(self) -> float | None:
        return self.unanswered_conversations / self.conversations if self.conversations else None


def days(db: sqlite_utils.Database, first: dt.date, last: dt.date) -> list[Day]:
    start, end = clock.day_start_utc(first), clock.day_start_utc(last + dt.timedelta(days=1))
    shift = clock.day_offset_modifier()
    found = {
        (first + dt.timedelta(days=n)).isoformat(): Day((first + dt.timedelta(days=n)).isoformat())
        for n in range((last - first).days + 1)
    }
    rows = db.execute(
        f"""SELECT date(m.created_at, ?) AS day,
                   sum(m.direction = 'in'), sum(m.direction = 'out'), count(DISTINCT m.conversation_id),
                   sum(m.direction = 'in' AND {FALLBACK_SQL})
            FROM messages m WHERE m.created_at >= ? AND m.created_at < ? GROUP BY day""",
        [shift, start, end],
    ).fetchall()
    for day, user, bot, conversations, fallbacks in rows:
        if day in found:
            found[day].user_messages, found[day].bot_messages = user or 0, bot or 0
            found[day].conversations, found[day].fallbacks = conversations or 0, fallbacks or 0
    handoffs = db.execute(
        f"""WITH {TRIGGERS}
            SELECT date(created_at, ?) AS day, count(DISTINCT conversation_id) FROM triggers
            WHERE (asked OR repeated) AND created_at >= ? AND created_at < ? GROUP BY day""",
        [shift, start, end],
    ).fetchall()
    for day, conversations in handoffs:
        if day in found:
            found[day].handoff_conversations = conversations
    for day, conversations in unanswered(db, first, last).items():
        found[day].unanswered = conversations
    return list(found.values())


def unanswered(db: sqlite_utils.Database, first: dt.date, last: dt.date) -> dict[str, set[int]]:
    """The conversations where something went wrong, per local day of it."""
    start, end = clock.day_start_utc(first), clock.day_start_utc(last + dt.timedelta(days=1))
    loaded = flags.load(
        db,
        "m.conversation_id IN (SELECT conversation_id FROM messages WHERE created_at >= ? AND created_at < ?)",
        [start, end],
    )
    per_day: dict[str, set[int]] = {}
    for conversation_id, messages in loaded.items():
        for event in flags.events(messages):
            if start <= event.created_at < end:
                per_day.setdefault(clock.local(event.created_at, "%Y-%m-%d"), set()).add(conversation_id)
    return per_day


def active_conversations(db: sqlite_utils.Database, first: dt.date, last: dt.date) -> int:
    start, end = clock.day_start_utc(first), clock.day_start_utc(last + dt.timedelta(days=1))
    return db.execute(
        "SELECT count(DISTINCT conversation_id) FROM messages WHERE created_at >= ? AND created_at < ?",
        [start, end],
    ).fetchone()[0]


def top_intents(
    db: sqlite_utils.Database, first: dt.date, last: dt.date, limit: int = 12
) -> list[tuple[str, int]]:
    return _top(db, "intent", first, last, limit)


def top_faq_keys(
    db: sqlite_utils.Database, first: dt.date, last: dt.date, limit: int = 12
) -> list[tuple[str, int]]:
    return _top(db, "faq_key", first, last, limit)


def _top(
    db: sqlite_utils.Database, column: str, first: dt.date, last: dt.date, limit: int
) -> list[tuple[str, int]]:
    if column not in ("intent", "faq_key"):
        raise ValueError(column)
    start, end = clock.day_start_utc(first), clock.day_start_utc(last + dt.timedelta(days=1))
    rows = db.execute(
        f"SELECT {column}, count(*) FROM messages WHERE direction = 'in' AND {column} IS NOT NULL"
        " AND created_at >= ? AND created_at < ? GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
        [start, end, limit],
    ).fetchall()
    return [(name, n) for name, n in rows]


def slowest(db: sqlite_utils.Database, first: dt.date, last: dt.date, limit: int = 10) -> list[dict]:
    start, end = clock.day_start_utc(first), clock.day_start_utc(last + dt.timedelta(days=1))
    cursor = db.execute(
        "SELECT id, conversation_id, created_at, text, intent, faq_key, latency_ms, error FROM messages"
        " WHERE direction = 'in' AND latency_ms IS NOT NULL AND created_at >= ? AND created_at < ?"
        " ORDER BY latency_ms DESC, id DESC LIMIT ?",
        [start, end, limit],
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def latency_summary(db: sqlite_utils.Database, first: dt.date, last: dt.date) -> dict:
    """Median and 95th percentile of the turn latency (ms), from the sorted values."""
    start, end = clock.day_start_utc(first), clock.day_start_utc(last + dt.timedelta(days=1))
    values = [
        row[0]
        for row in db.execute(
            "SELECT latency_ms FROM messages WHERE direction = 'in' AND latency_ms IS NOT NULL"
            " AND created_at >= ? AND created_at < ? ORDER BY latency_ms",
            [start, end],
        ).fetchall()
    ]
    if not values:
        return {"count": 0, "median": None, "p95": None}
    return {
        "count": len(values),
        "median": values[len(values) // 2],
        "p95": values[min(len(values) - 1, int(len(values) * 0.95))],
    }

"""The inbox filters: parsed from the query string, turned into a parameterised WHERE clause.

One `Filters` drives the inbox, its counts, the CSV export and the NLU export, so an export always holds
what the inbox showed. Nothing from the request is ever put into SQL text: values go in as parameters,
and the few SQL fragments here are constants.

Message-level filters (low confidence, fallback, asked for a person, 👎, intent, search) are each a set of
conversations that have such a message inside the date range: "low confidence in the last week" means a
low-confidence turn in the last week, not an old one in a conversation that was active last week. Search
looks at what workers wrote; the bot's replies only when asked (`bot`): they name every topic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace

from flask import current_app

from bot.gateway.admin import clock, search
from bot.plugins import graphemes

# a turn where the bot could not help: the NLU fell back, or the fallback action offered topics
FALLBACK_SQL = "(coalesce(m.intent, '') = 'nlu_fallback' OR instr(coalesce(m.actions, ''), '\"action_suggest_topics\"') > 0)"
HANDOFF_SQL = "(coalesce(m.intent, '') = 'human_handoff')"
JOB_AD_SQL = "(coalesce(m.intent, '') = 'check_job_ad')"  # 招工核查: a forwarded job ad was checked (#17)
OUT_OF_SCOPE_SQL = "(coalesce(m.intent, '') = 'out_of_scope')"
# only where the file has messages.feedback (schema.message_columns)
DOWN_SQL = "(coalesce(m.feedback, '') = 'down')"
GREETINGS = ("你好", "您好", "你好啊", "哈喽", "hi", "hello")
# the chat page's own first message (it sent "你好" on a first visit to get the topic menu): a web
# conversation's first message, a bare greeting understood as one; not what the worker asked
OPENING_SQL = (
    "(m.channel = 'web' AND coalesce(m.intent, '') = 'greet'"
    f" AND lower(rtrim(trim(m.text), '!！。.~～')) IN ({', '.join(repr(g) for g in GREETINGS)})"
    " AND m.id = (SELECT min(f.id) FROM messages f WHERE f.conversation_id = m.conversation_id))"
)
MAX_TEXT = 100
# dates outside are moved to the edge: no transcript is that old or that new, and inside, adding a day,
# a year of dashboard or the time zone never leaves the range datetime can hold (0001-01-01 → 500)
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    channel: str = ""
    intent: str = ""  # an intent name, or "faq/<key>" for an FAQ key
    low: bool = False
    threshold: float = 0.6
    fallback: bool = False
    handoff: bool = False
    job_ads: bool = False  # 招工核查
    down: bool = False  # a reply the worker gave 👎
    reviewed: str = ""  # "", "yes", "no"
    tag: str = ""
    q: str = ""
    bot: bool = False  # search the bot's replies too

    @classmethod
    def from_args(cls, args) -> Filters:
        default = float(current_app.config["ADMIN_LOW_CONFIDENCE"])
        return cls(
            date_from=_date(args.get("from")),
            date_to=_date(args.get("to")),
            channel=_text(args.get("channel"), 40),
            intent=_text(args.get("intent"), 80),
            low=args.get("low") == "1",
            threshold=_threshold(args.get("threshold"), default),
            fallback=args.get("fallback") == "1",
            handoff=args.get("handoff") == "1",
            job_ads=args.get("job_ads") == "1",
            down=args.get("down") == "1",
            reviewed=args.get("reviewed") if args.get("reviewed") in ("yes", "no") else "",
            tag=_text(args.get("tag"), 40),
            q=_text(args.get("q"), MAX_TEXT),
            bot=args.get("bot") == "1",
        )

    def to_args(self) -> dict[str, str]:
        """The query-string form (only what is set), for links that keep the filters."""
        args: dict[str, str] = {}
        if self.date_from:
            args["from"] = self.date_from.isoformat()
        if self.date_to:
            args["to"] = self.date_to.isoformat()
        for key in ("channel", "intent", "reviewed", "tag", "q"):
            if getattr(self, key):
                args[key] = getattr(self, key)
        for key in ("low", "fallback", "handoff", "job_ads", "down", "bot"):
            if getattr(self, key):
                args[key] = "1"
        if self.threshold != float(current_app.config["ADMIN_LOW_CONFIDENCE"]):
            args["threshold"] = f"{self.threshold:g}"
        return args

    def with_(self, **changes) -> Filters:
        return replace(self, **changes)

    def is_empty(self) -> bool:
        blank = Filters(threshold=self.threshold)
        return asdict(self) == asdict(blank)

    # -- SQL ---------------------------------------------------------------------------------------

    def time_bounds(self) -> tuple[str | None, str | None]:
        start = clock.day_start_utc(self.date_from) if self.date_from else None
        end = clock.day_start_utc(self.date_to + dt.timedelta(days=1)) if self.date_to else None
        return start, end

    def where(self, columns: frozenset[str] = frozenset()) -> tuple[str, list]:
        """WHERE clause over `conversations c LEFT JOIN admin_reviews r`, and its parameters; `columns`
        are the optional message columns the file has (schema.message_columns)."""
        clauses: list[str] = []
        params: list = []
        start, end = self.time_bounds()

        def in_range(extra: str = "", extra_params: list | None = None, direction: str | None = "in") -> None:
            parts: list[str] = []
            values: list = []
            if direction:
                parts.append("m.direction = ?")
                values.append(direction)
            if start:
                parts.append("m.created_at >= ?")
                values.append(start)
            if end:
                parts.append("m.created_at < ?")
                values.append(end)
            if extra:
                parts.append(extra)
                values.extend(extra_params or [])
            # uncorrelated: SQLite evaluates it once (one pass over the messages, or one FTS lookup) instead
            # of once per conversation
            condition = " AND ".join(parts) or "1 = 1"
            clauses.append(f"c.id IN (SELECT m.conversation_id FROM messages m WHERE {condition})")
            params.extend(values)

        if start or end:
            in_range(direction=None)
        if self.channel:
            clauses.append("c.channel = ?")
            params.append(self.channel)
        if self.intent:
            in_range("(m.intent = ? OR m.faq_key = ?)", [self.intent, self.intent])
        if self.low:
            in_range("m.confidence IS NOT NULL AND m.confidence < ?", [self.threshold])
        if self.fallback:
            in_range(FALLBACK_SQL)
        if self.handoff:
            in_range(HANDOFF_SQL)
        if self.job_ads:
            in_range(JOB_AD_SQL)
        if self.down:
            if "feedback" in columns:
                in_range(DOWN_SQL, direction=None)
            else:
                clauses.append("0 = 1")  # no 👎 can have been stored yet
        if self.reviewed == "yes":
            clauses.append("r.conversation_id IS NOT NULL")
        elif self.reviewed == "no":
            clauses.append("r.conversation_id IS NULL")
        if self.tag:
            clauses.append("EXISTS (SELECT 1 FROM admin_tags t WHERE t.conversation_id = c.id AND t.tag = ?)")
            params.append(self.tag)
        if self.q:
            condition, values = search.condition(self.q)
            if condition:
                in_range(condition, values, direction=None if self.bot else "in")
        return (" AND ".join(clauses) or "1 = 1"), params


def _date(raw: str | None) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return min(max(day, FIRST_DAY), LAST_DAY) if day else None


def _text(raw: str | None, limit: int) -> str:
    # control characters (a NUL ends a C string inside SQLite) never belong in a filter
    return graphemes.cut("".join(ch for ch in (raw or "") if ch.isprintable() or ch == " ").strip(), limit)


def _threshold(raw: str | None, default: float) -> float:
    try:
        value = float(raw) if raw not in (None, "") else default
    except ValueError:
        return default
    return value if 0.0 <= value <= 1.0 else default

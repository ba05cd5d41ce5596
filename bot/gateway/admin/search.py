"""Full-text search over message texts that works for Chinese.

Each whitespace-separated term must occur in the same message. Terms of three characters or more go
through the FTS5 trigram index (a quoted phrase, so FTS syntax in the query is just text); one- and
two-character terms — common in Chinese (仲裁, 工资) — are below what trigrams can match and use LIKE,
with % and _ escaped. Both are parameters: the query never becomes SQL.
"""

from __future__ import annotations

from flask import current_app

from bot.gateway.admin.schema import FTS_TABLE

MAX_TERMS = 5
TRIGRAM = 3


def terms(query: str) -> list[str]:
    seen: list[str] = []
    for term in query.split():
        if term not in seen:
            seen.append(term)
    return seen[:MAX_TERMS]


def fts_enabled() -> bool:
    return bool(current_app.extensions.get("admin", {}).get("fts"))


def phrase(term: str) -> str:
    """An FTS5 string literal: the term between double quotes, inner quotes doubled."""
    return '"' + term.replace('"', '""') + '"'


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def condition(query: str, alias: str = "m") -> tuple[str, list]:
    """SQL over a `messages` row called `alias` that is true when the row contains every term."""
    parts: list[str] = []
    params: list = []
    use_fts = fts_enabled()
    for term in terms(query):
        if use_fts and len(term) >= TRIGRAM:
            parts.append(f"{alias}.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?)")
            params.append(phrase(term))
        else:
            parts.append(f"{alias}.text LIKE ? ESCAPE '\\'")
            params.append(like_pattern(term))
    return " AND ".join(parts), params

"""The console's side of the transcripts database: its tables are made by bot/gateway/schema.py like
every other (all prefixed `admin_`, so they never collide with the gateway's), and so is the search index.

The full-text index over `messages.text` is an FTS5 table with the `trigram` tokenizer (SQLite ≥ 3.34):
Chinese has no spaces between words, and trigrams find any substring of three characters or more.
Shorter queries and older SQLite builds fall back to LIKE (see search.py).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import sqlite_utils

from bot.gateway import schema, transcripts
from bot.gateway.schema import FTS_TABLE, trigram_available  # noqa: F401 - for search.py and its tests

# columns of `messages` that newer chat pages fill (a tapped button's payload, the worker's 👎): every
# file the gateway opens has them now (schema step 1), the console still reads them only where they exist
OPTIONAL_COLUMNS = ("payload", "feedback")


def init(path: str | Path) -> bool:
    """Bring the file to the current schema (idempotent); True when the search index is usable."""
    transcripts.init(path)
    with contextlib.closing(transcripts.connect(path)) as db:
        return schema.has_search(db)


def message_columns(db: sqlite_utils.Database) -> frozenset[str]:
    """Which of OPTIONAL_COLUMNS messages has (one PRAGMA)."""
    names = {row[1] for row in db.execute("PRAGMA table_info(messages)").fetchall()}
    return frozenset(names & set(OPTIONAL_COLUMNS))


def optional_columns_sql(db: sqlite_utils.Database, alias: str = "m") -> str:
    """`m.payload, m.feedback` for a SELECT, NULL for those missing."""
    have = message_columns(db)
    return ", ".join(f"{alias}.{name}" if name in have else f"NULL AS {name}" for name in OPTIONAL_COLUMNS)

"""Reading the transcripts for the console: the inbox, a transcript, the handoff queue, the corrections.

All SQL is parameterised; the WHERE clauses come from filters.Filters, what went wrong from flags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from bot.gateway.admin import flags, labels, schema, search
from bot.gateway.admin.filters import FALLBACK_SQL, HANDOFF_SQL, OPENING_SQL, Filters

BASE = "FROM conversations c LEFT JOIN admin_reviews r ON r.conversation_id = c.id"


@dataclass
class Page:
    rows: list[dict]
    total: int
    page: int
    pages: int


# -- the inbox -------------------------------------------------------------------------------------------


def where(db: sqlite_utils.Database, filters: Filters) -> tuple[str, list]:
    """The filters' WHERE clause for the columns this file has."""
    return filters.where(schema.message_columns(db))


def count(db: sqlite_utils.Database, filters: Filters) -> int:
    where_sql, params = where(db, filters)
    return db.execute(f"SELECT count(*) {BASE} WHERE {where_sql}", params).fetchone()[0]


def conversation_ids(db: sqlite_utils.Database, filters: Filters) -> list[int]:
    where_sql, params = where(db, filters)
    sql = f"SELECT c.id {BASE} WHERE {where_sql} ORDER BY c.last_at DESC, c.id DESC"
    return [row[0] for row in db.execute(sql, params).fetchall()]


def inbox(db: sqlite_utils.Database, filters: Filters, page: int, per_page: int) -> Page:
    total = count(db, filters)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    where_sql, params = where(db, filters)
    sql = f"""
        SELECT c.id, c.channel, c.sender, c.started_at, c.last_at, c.message_count,
               r.staff AS reviewed_by, r.reviewed_at,
               (SELECT min(m.confidence) FROM messages m
                 WHERE m.conversation_id = c.id AND m.direction = 'in') AS min_confidence,
               (SELECT count(*) FROM admin_corrections k WHERE k.conversation_id = c.id) AS corrections
        {BASE} WHERE {where_sql}
        ORDER BY c.last_at DESC, c.id DESC LIMIT ? OFFSET ?"""
    rows = [dict(row) for row in _rows(db, sql, [*params, per_page, (page - 1) * per_page])]
    ids = [row["id"] for row in rows]
    tags = tags_of(db, ids)
    previews = previews_of(db, ids, filters)
    summaries = flags.summaries(db, ids)
    for row in rows:
        row["tags"] = tags.get(row["id"], [])
        row["preview"] = previews.get(row["id"])
        row["flags"] = summaries[row["id"]]
    return Page(rows, total, page, pages)


def tags_of(db: sqlite_utils.Database, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    marks = ", ".join("?" for _ in ids)
    for conversation_id, tag in db.execute(
        f"SELECT conversation_id, tag FROM admin_tags WHERE conversation_id IN ({marks}) ORDER BY tag", ids
    ).fetchall():
        found.setdefault(conversation_id, []).append(tag)
    return found


def previews_of(db: sqlite_utils.Database, ids: list[int], filters: Filters) -> dict[int, dict]:
    """Per conversation, the first thing the worker asked (not the chat page's own greeting), or with a
    search, the first message that matches: {"text" as the worker saw it, "payload", "direction"}."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    condition, params = search.condition(filters.q) if filters.q else ("", [])
    if condition:
        match = f"AND {condition}" + ("" if filters.bot else " AND m.direction = 'in'")
    else:
        match = f"AND m.direction = 'in' AND NOT {OPENING_SQL}"
    sql = f"""
        SELECT m.conversation_id, m.text, m.direction, {schema.optional_columns_sql(db)} FROM messages m
        WHERE m.id IN (SELECT min(m.id) FROM messages m
                       WHERE m.conversation_id IN ({marks}) {match} GROUP BY m.conversation_id)"""
    found = {}
    for row in _rows(db, sql, [*ids, *params]):
        text, payload = labels.shown(row["text"], row["payload"])
        found[row["conversation_id"]] = {"text": text, "payload": payload, "direction": row["direction"]}
    return found


def toggle_counts(db: sqlite_utils.Database, filters: Filters) -> dict[str, int]:
    """How many conversations each quick filter would leave, on top of the filters already chosen."""
    variants = {
        "all": filters,
        "low": filters.with_(low=True),
        "fallback": filters.with_(fallback=True),
        "handoff": filters.with_(handoff=True),
        "down": filters.with_(down=True),
        "unreviewed": filters.with_(reviewed="no"),
        "reviewed": filters.with_(reviewed="yes"),
    }
    return {name: count(db, variant) for name, variant in variants.items()}


def facets(db: sqlite_utils.Database) -> dict[str, list[tuple[str, int]]]:
    """The values the selects offer, each with its number of conversations."""
    return {
        "channels": _pairs(
            db, "SELECT channel, count(*) FROM conversations GROUP BY channel ORDER BY 2 DESC"
        ),
        "intents": _pairs(
            db,
            "SELECT coalesce(faq_key, intent) AS name, count(DISTINCT conversation_id) FROM messages"
            " WHERE direction = 'in' AND coalesce(faq_key, intent) IS NOT NULL GROUP BY name ORDER BY 2 DESC, 1",
        ),
        "tags": _pairs(db, "SELECT tag, count(*) FROM admin_tags GROUP BY tag ORDER BY 2 DESC, 1"),
    }


# -- one conversation ------------------------------------------------------------------------------------


def conversation(db: sqlite_utils.Database, conversation_id: int) -> dict | None:
    rows = list(
        _rows(
            db,
            "SELECT c.*, r.staff AS reviewed_by, r.reviewed_at"
            " FROM conversations c LEFT JOIN admin_reviews r ON r.conversation_id = c.id WHERE c.id = ?",
            [conversation_id],
        )
    )
    if not rows:
        return None
    found = dict(rows[0])
    found["tags"] = tags_of(db, [conversation_id]).get(conversation_id, [])
    return found


def messages(db: sqlite_utils.Database, conversation_id: int) -> list[dict]:
    """Every message, oldest first, with its correction, what went wrong at it (`marks`, flags.Event) and
    the text as the worker saw it (`shown`, a button's title) with the button's `payload`."""
    sql = f"""
        SELECT m.*, {schema.optional_columns_sql(db)}, {flags.COLUMNS_SQL},
               k.intent AS corrected_intent, k.staff AS corrected_by, k.updated_at AS corrected_at
        FROM messages m LEFT JOIN admin_corrections k ON k.message_id = m.id
        WHERE m.conversation_id = ? ORDER BY m.id"""
    found = [dict(row) for row in _rows(db, sql, [conversation_id])]
    marks: dict[int, list[flags.Event]] = {}
    for event in flags.events(found):
        marks.setdefault(event.message_id, []).append(event)
    for item in found:
        item["buttons"] = json_list(item.get("buttons"))
        item["actions"] = json_list(item.get("actions"))
        item["checks"] = [labels.job_ad_sign(key) for key in json_list(item.get("checks"))]
        item["shown"], item["payload"] = labels.shown(item["text"], item["payload"])
        item["marks"] = marks.get(item["id"], [])
    return found


def message(db: sqlite_utils.Database, message_id: int) -> dict | None:
    rows = list(_rows(db, "SELECT * FROM messages WHERE id = ?", [message_id]))
    return dict(rows[0]) if rows else None


def notes(db: sqlite_utils.Database, conversation_id: int) -> list[dict]:
    return [
        dict(row)
        for row in _rows(
            db, "SELECT * FROM admin_notes WHERE conversation_id = ? ORDER BY id", [conversation_id]
        )
    ]


def neighbours(
    db: sqlite_utils.Database, filters: Filters, conversation_id: int
) -> tuple[int | None, int | None]:
    """The conversations before and after this one in the filtered inbox (newer, older)."""
    ids = conversation_ids(db, filters)
    if conversation_id not in ids:
        return None, None
    at = ids.index(conversation_id)
    return (ids[at - 1] if at > 0 else None), (ids[at + 1] if at + 1 < len(ids) else None)


def next_unreviewed(db: sqlite_utils.Database, filters: Filters, conversation_id: int) -> int | None:
    """The first unreviewed conversation after this one in the filtered inbox's order, else the first
    from the top; never this one. "After" is by the order's keys, so a conversation that has just left
    the list (marked reviewed under 未看) still has its place."""
    where_sql, params = where(db, filters.with_(reviewed="no"))
    last_at = db.execute("SELECT last_at FROM conversations WHERE id = ?", [conversation_id]).fetchone()[0]
    after = "(c.last_at < ? OR (c.last_at = ? AND c.id < ?))"
    for extra, extra_params in ((after, [last_at, last_at, conversation_id]), ("1 = 1", [])):
        found = db.execute(
            f"SELECT c.id {BASE} WHERE {where_sql} AND c.id != ? AND {extra}"
            " ORDER BY c.last_at DESC, c.id DESC LIMIT 1",
            [*params, conversation_id, *extra_params],
        ).fetchone()
        if found:
            return found[0]
    return None


# -- the handoff queue -------------------------------------------------------------------------------------

# A user turn is a trigger when the worker asked for a person, or when it is the second fallback in a
# row (this turn and the user turn before it were both answered by the fallback). A conversation waits
# while it has a trigger newer than the last message a staff member marked handled.
TRIGGERS = f"""
    turns AS (
        SELECT m.id, m.conversation_id, m.created_at, m.text,
               {HANDOFF_SQL} AS asked, {FALLBACK_SQL} AS fallback
        FROM messages m WHERE m.direction = 'in'
    ),
    triggers AS (
        SELECT id, conversation_id, created_at, text, asked,
               (fallback AND coalesce(lag(fallback) OVER (PARTITION BY conversation_id ORDER BY id), 0))
                   AS repeated
        FROM turns
    )"""


def handoff_queue(db: sqlite_utils.Database, limit: int | None = None) -> list[dict]:
    """The waiting conversations, longest waiting first (all of them, or the first `limit`)."""
    sql = f"""
        WITH {TRIGGERS},
        handled AS (SELECT conversation_id, max(upto_message_id) AS upto FROM admin_handoffs
                    GROUP BY conversation_id),
        waiting AS (
            SELECT t.conversation_id, min(t.created_at) AS waiting_since, max(t.asked) AS asked,
                   max(t.repeated) AS repeated, min(t.id) AS first_trigger, count(*) AS triggers
            FROM triggers t LEFT JOIN handled h ON h.conversation_id = t.conversation_id
            WHERE (t.asked OR t.repeated) AND t.id > coalesce(h.upto, 0)
            GROUP BY t.conversation_id
        )
        SELECT w.*, c.channel, c.sender, c.last_at, c.message_count,
               (SELECT text FROM messages WHERE id = w.first_trigger) AS trigger_text,
               (SELECT max(id) FROM messages WHERE conversation_id = w.conversation_id) AS last_message_id
        FROM waiting w JOIN conversations c ON c.id = w.conversation_id
        ORDER BY w.waiting_since, w.conversation_id"""
    params: list = []
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return [dict(row) for row in _rows(db, sql, params)]


def handoff_count(db: sqlite_utils.Database) -> int:
    sql = f"""
        WITH {TRIGGERS},
        handled AS (SELECT conversation_id, max(upto_message_id) AS upto FROM admin_handoffs
                    GROUP BY conversation_id)
        SELECT count(DISTINCT t.conversation_id)
        FROM triggers t LEFT JOIN handled h ON h.conversation_id = t.conversation_id
        WHERE (t.asked OR t.repeated) AND t.id > coalesce(h.upto, 0)"""
    return db.execute(sql).fetchone()[0]


def handled_recently(db: sqlite_utils.Database, limit: int = 20) -> list[dict]:
    sql = """
        SELECT h.*, c.channel, c.sender FROM admin_handoffs h
        JOIN conversations c ON c.id = h.conversation_id ORDER BY h.id DESC LIMIT ?"""
    return [dict(row) for row in _rows(db, sql, [limit])]


def waiting_for(db: sqlite_utils.Database, conversation_id: int) -> dict | None:
    """This conversation's place in the queue, or None (the same rules, over its own messages only)."""
    sql = f"""
        WITH turns AS (
            SELECT m.id, m.created_at, {HANDOFF_SQL} AS asked, {FALLBACK_SQL} AS fallback
            FROM messages m WHERE m.direction = 'in' AND m.conversation_id = ?
        ),
        triggers AS (
            SELECT id, created_at, asked,
                   (fallback AND coalesce(lag(fallback) OVER (ORDER BY id), 0)) AS repeated
            FROM turns
        )
        SELECT min(t.created_at) AS waiting_since, max(t.asked) AS asked, max(t.repeated) AS repeated,
               min(t.id) AS first_trigger,
               (SELECT max(id) FROM messages WHERE conversation_id = ?) AS last_message_id
        FROM triggers t
        WHERE (t.asked OR t.repeated)
          AND t.id > coalesce((SELECT max(upto_message_id) FROM admin_handoffs WHERE conversation_id = ?), 0)"""
    row = next(_rows(db, sql, [conversation_id, conversation_id, conversation_id]))
    return row if row["first_trigger"] is not None else None


# -- corrections ----------------------------------------------------------------------------------------


def corrections(db: sqlite_utils.Database, filters: Filters, limit: int | None = None) -> list[dict]:
    where_sql, params = where(db, filters)
    sql = f"""
        SELECT k.*, m.created_at AS said_at, c.channel FROM admin_corrections k
        JOIN messages m ON m.id = k.message_id
        JOIN conversations c ON c.id = k.conversation_id
        LEFT JOIN admin_reviews r ON r.conversation_id = c.id
        WHERE {where_sql} ORDER BY k.intent, k.id"""
    if limit:
        sql += " LIMIT ?"
        params = [*params, limit]
    return [dict(row) for row in _rows(db, sql, params)]


# -- helpers ----------------------------------------------------------------------------------------------


def _rows(db: sqlite_utils.Database, sql: str, params: list):
    cursor = db.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    for values in cursor.fetchall():
        yield dict(zip(columns, values, strict=True))


def _pairs(db: sqlite_utils.Database, sql: str) -> list[tuple[str, int]]:
    return [(row[0], row[1]) for row in db.execute(sql).fetchall()]


def json_list(raw: str | None) -> list:
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []

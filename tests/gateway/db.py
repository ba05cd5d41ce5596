"""Read the transcripts database the way a helpdesk would (plain sqlite3, not the gateway's code)."""

from __future__ import annotations

import json
import sqlite3


def messages(app, **where) -> list[dict]:
    clause = " AND ".join(f"{column} = ?" for column in where) or "1"
    with sqlite3.connect(app.config["TRANSCRIPTS_DB"]) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            f"SELECT * FROM messages WHERE {clause} ORDER BY id", list(where.values())
        ).fetchall()
    found = [dict(row) for row in rows]
    for row in found:
        row["buttons"] = json.loads(row["buttons"])
        row["actions"] = json.loads(row["actions"]) if row["actions"] else None
    return found


def scalar(app, sql: str, *params):
    with sqlite3.connect(app.config["TRANSCRIPTS_DB"]) as conn:
        return conn.execute(sql, params).fetchone()[0]

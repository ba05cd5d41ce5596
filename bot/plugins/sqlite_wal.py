"""Switch a SQLite file to WAL when several processes may open it for the first time at once."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

ATTEMPTS = 100
PAUSE_S = 0.05


def use_wal(connection: Any) -> None:
    """Put the file in WAL mode (it stays so), retrying while another process holds it.

    Two processes that open a new file together (Rasa's two workers starting) can both be refused with
    "database is locked" at once: SQLite does not wait when waiting could deadlock.
    """
    for attempt in range(ATTEMPTS):
        try:
            if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == ATTEMPTS - 1:
                raise
            time.sleep(PAUSE_S)

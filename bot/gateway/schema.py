"""The transcripts database's schema: every table, index, column and trigger of the one SQLite file.

The gateway's tables (messages, conversations, callbacks, health), the console's (`admin_…`, and the
full-text index `messages_fts`) and the WeChat side's (`wechat_…`) are all made here and nowhere else,
as numbered steps. `PRAGMA user_version` in the file says how many steps it has had; `upgrade(db)` runs
the missing ones, each in its own BEGIN IMMEDIATE transaction together with the new user_version, so
gateway threads and processes that start at once on one file queue on the write lock and a step runs
once: whoever gets the lock second finds the version already raised and does nothing.

A file newer than this code (user_version above `current()`: a newer release upgraded it) is refused
with `TooNew`; nothing is ever downgraded.

Adding a change (a column, a table, an index): append a function to STEPS, never edit a step that has
shipped. Step 2 would be, for instance:

    def _step_2(conn):
        conn.execute("ALTER TABLE messages ADD COLUMN language TEXT")

    STEPS = (_step_1, _step_2)

It gets a connection inside the transaction (plain `conn.execute`, no `executescript`, which would
commit half-way), and must not commit itself. Add the new facts to tests/gateway/test_schema.py.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlite_utils

logger = logging.getLogger(__name__)

FTS_TABLE = "messages_fts"
TRIGRAM_MIN_SQLITE = (3, 34, 0)

Connection = sqlite3.Connection | sqlite_utils.Database


class SchemaError(RuntimeError):
    """The file cannot be brought to this code's schema."""


class TooNew(SchemaError):
    """The file's user_version is higher than any step this code knows."""


@dataclass(frozen=True)
class Upgrade:
    """What one `upgrade` call found and left: the file's user_version before and after it."""

    before: int
    after: int
    applied: tuple[int, ...] = ()  # the steps this call ran: none when another process ran them first


def trigram_available() -> bool:
    return sqlite3.sqlite_version_info >= TRIGRAM_MIN_SQLITE


# -- step 1: the schema as it was when versions were introduced (issue #16) --------------------------
#
# Written with IF NOT EXISTS so that a file made before versions existed (every table present,
# user_version 0) is adopted as it is: its rows stay, what it lacks is added (see _step_1).

TABLES_1: dict[str, tuple[str, ...]] = {
    # transcripts.prove_writable writes a row here and rolls it back
    "health": ("id INTEGER PRIMARY KEY", "at TEXT"),
    "conversations": (
        "id INTEGER PRIMARY KEY",
        "channel TEXT NOT NULL",
        "sender TEXT NOT NULL",
        "started_at TEXT NOT NULL",
        "last_at TEXT NOT NULL",
        "message_count INTEGER",
    ),
    "messages": (
        "id INTEGER PRIMARY KEY",
        "conversation_id INTEGER NOT NULL REFERENCES conversations (id)",
        "channel TEXT NOT NULL",
        "sender TEXT NOT NULL",
        "direction TEXT NOT NULL",
        "text TEXT NOT NULL",
        "buttons TEXT",
        "intent TEXT",
        "confidence REAL",
        "faq_key TEXT",
        "actions TEXT",
        "latency_ms INTEGER",
        "error TEXT",
        "msg_id TEXT",
        "created_at TEXT NOT NULL",
        # what a tapped button sent (its title is the stored text)
        "payload TEXT",
        # the worker's up/down on a bot message
        "feedback TEXT",
        # who of the helpdesk wrote a reply
        "staff TEXT",
    ),
    # a number a worker left for a call back: unmasked, shown only on the console's handoff page
    "callbacks": (
        "id INTEGER PRIMARY KEY",
        "conversation_id INTEGER NOT NULL REFERENCES conversations (id)",
        "phone TEXT NOT NULL",
        "created_at TEXT NOT NULL",
    ),
    # the console's accounts; usernames are unique whatever their case (index admin_users_username)
    "admin_users": (
        "id INTEGER PRIMARY KEY",
        "username TEXT NOT NULL",
        "password_hash TEXT NOT NULL",
        "active INTEGER NOT NULL DEFAULT 1",
        "created_at TEXT NOT NULL",
        "last_login_at TEXT",
    ),
    # one row per login; the cookie only names it, so deleting the row (logout, new password) ends the
    # session even for a copy of the cookie. The id is stored as a digest: the file alone opens none.
    "admin_sessions": (
        "id TEXT PRIMARY KEY",
        "user_id INTEGER NOT NULL REFERENCES admin_users (id)",
        "started_at REAL NOT NULL",
    ),
    "admin_login_failures": (
        "key TEXT PRIMARY KEY",
        "failures INTEGER NOT NULL",
        "last_failed_at REAL NOT NULL",
        "locked_until REAL NOT NULL",
    ),
    "admin_reviews": (
        "conversation_id INTEGER PRIMARY KEY",
        "staff TEXT NOT NULL",
        "reviewed_at TEXT NOT NULL",
    ),
    "admin_tags": (
        "conversation_id INTEGER",
        "tag TEXT",
        "staff TEXT NOT NULL",
        "added_at TEXT NOT NULL",
        "PRIMARY KEY (conversation_id, tag)",
    ),
    "admin_notes": (
        "id INTEGER PRIMARY KEY",
        "conversation_id INTEGER NOT NULL",
        "body TEXT NOT NULL",
        "staff TEXT NOT NULL",
        "created_at TEXT NOT NULL",
    ),
    "admin_corrections": (
        "id INTEGER PRIMARY KEY",
        "message_id INTEGER NOT NULL",
        "conversation_id INTEGER NOT NULL",
        # the (masked) user text at the time of the correction
        "text TEXT NOT NULL",
        "predicted_intent TEXT",
        "predicted_faq_key TEXT",
        "predicted_confidence REAL",
        # the right one, as written in nlu_data: "faq/unpaid_wages", "human_handoff"
        "intent TEXT NOT NULL",
        "staff TEXT NOT NULL",
        "created_at TEXT NOT NULL",
        "updated_at TEXT NOT NULL",
    ),
    # one row per "handled" click: the conversation leaves the queue up to that message, and comes back
    # when the worker asks again later
    "admin_handoffs": (
        "id INTEGER PRIMARY KEY",
        "conversation_id INTEGER NOT NULL",
        "upto_message_id INTEGER NOT NULL",
        "staff TEXT NOT NULL",
        "handled_at TEXT NOT NULL",
        "note TEXT",
    ),
    "admin_audit": (
        "id INTEGER PRIMARY KEY",
        "at TEXT NOT NULL",
        "staff TEXT NOT NULL",
        "action TEXT NOT NULL",
        "conversation_id INTEGER",
        "message_id INTEGER",
        "detail TEXT",
    ),
    # WeChat (wechat/state.py): one row per (account, MsgId), so a message WeChat delivers again runs its
    # turn once and every copy gets the same reply
    "wechat_deliveries": (
        "account TEXT NOT NULL",
        "msg_id TEXT NOT NULL",
        "openid TEXT NOT NULL",
        "reply TEXT",
        "answer TEXT",
        "created_at TEXT NOT NULL",
        "PRIMARY KEY (account, msg_id)",
    ),
    # per user: the last reply's button payloads, the parts of a long answer not sent yet, the owed answer
    "wechat_users": (
        "account TEXT",
        "openid TEXT",
        "payloads TEXT",
        "parts TEXT",
        "pending_msg_id TEXT",
        "pending_since TEXT",
        "updated_at TEXT",
        "PRIMARY KEY (account, openid)",
    ),
    # the signed query strings of the last minutes, each with the message it came with
    "wechat_queries": (
        "timestamp INTEGER NOT NULL",
        "nonce TEXT NOT NULL",
        "fingerprint TEXT NOT NULL",
        "PRIMARY KEY (timestamp, nonce)",
    ),
}

# the names sqlite-utils gave them, which files made before versions carry
INDEXES_1 = (
    "CREATE UNIQUE INDEX IF NOT EXISTS idx_conversations_channel_sender ON conversations (channel, sender)",
    "CREATE INDEX IF NOT EXISTS idx_messages_conversation_id_id ON messages (conversation_id, id)",
    "CREATE INDEX IF NOT EXISTS idx_messages_channel_msg_id ON messages (channel, msg_id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS admin_users_username ON admin_users (username COLLATE NOCASE)",
    "CREATE INDEX IF NOT EXISTS idx_admin_sessions_user_id ON admin_sessions (user_id)",
    "CREATE INDEX IF NOT EXISTS idx_admin_tags_tag ON admin_tags (tag)",
    "CREATE INDEX IF NOT EXISTS idx_admin_notes_conversation_id ON admin_notes (conversation_id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS idx_admin_corrections_message_id ON admin_corrections (message_id)",
    "CREATE INDEX IF NOT EXISTS idx_admin_corrections_conversation_id ON admin_corrections (conversation_id)",
    "CREATE INDEX IF NOT EXISTS idx_admin_handoffs_conversation_id ON admin_handoffs (conversation_id)",
    "CREATE INDEX IF NOT EXISTS idx_admin_audit_conversation_id ON admin_audit (conversation_id)",
    "CREATE INDEX IF NOT EXISTS idx_wechat_deliveries_created_at ON wechat_deliveries (created_at)",
)

# added to `messages` after the first release (they are in the CREATE above): a file made by that
# release, adopted at version 0, gets them here
LATER_COLUMNS_1 = {"payload": "TEXT", "feedback": "TEXT", "staff": "TEXT"}

# The console's full-text index over messages.text: FTS5 with the trigram tokenizer (SQLite >= 3.34;
# Chinese has no spaces between words, and trigrams find any substring of three characters or more),
# an external-content table kept current by triggers, as sqlite-utils' enable_fts made it.
SEARCH_1 = (
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING FTS5 (
        text,
        tokenize='trigram',
        content="messages"
    )""",
    f"""CREATE TRIGGER IF NOT EXISTS messages_ai AFTER INSERT ON messages BEGIN
        INSERT INTO {FTS_TABLE} (rowid, text) VALUES (new.rowid, new.text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS messages_ad AFTER DELETE ON messages BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, text) VALUES ('delete', old.rowid, old.text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS messages_au AFTER UPDATE ON messages BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, text) VALUES ('delete', old.rowid, old.text);
        INSERT INTO {FTS_TABLE} (rowid, text) VALUES (new.rowid, new.text);
    END""",
)


def _step_1(conn: sqlite3.Connection) -> None:
    """Every table, index and trigger the gateway, the console and the WeChat side made before #16.

    At version 0 a file may already have them (made before versions existed): IF NOT EXISTS keeps its
    tables and rows, and the columns that came later are added. A table of one of our names that lacks
    another column is not ours to guess about: refused (SchemaError), and the file is left as it was.
    """
    if _table_names(conn) & set(TABLES_1):
        logger.warning("transcripts database made before schema versions: adopting it as version 1")
    for table, definitions in TABLES_1.items():
        conn.execute(create_table_sql(table, definitions))
        missing = [name for name in column_names(definitions) if name not in _columns(conn, table)]
        for name in missing:
            if table != "messages" or name not in LATER_COLUMNS_1:
                raise SchemaError(
                    f"table {table} of the transcripts database lacks the columns {missing}: it was not"
                    " made by this gateway; not upgrading it"
                )
            conn.execute(f"ALTER TABLE messages ADD COLUMN {name} {LATER_COLUMNS_1[name]}")
    for statement in INDEXES_1:
        conn.execute(statement)
    if trigram_available():
        _create_search(conn)


def create_table_sql(table: str, definitions: tuple[str, ...]) -> str:
    body = ",\n    ".join(definitions)
    return f"CREATE TABLE IF NOT EXISTS {table} (\n    {body}\n)"


def column_names(definitions: tuple[str, ...]) -> list[str]:
    """The columns among a table's definitions (not its PRIMARY KEY (…) constraint)."""
    return [
        item.split()[0] for item in definitions if not item.startswith(("PRIMARY KEY", "UNIQUE", "FOREIGN"))
    ]


def _create_search(conn: sqlite3.Connection) -> None:
    """The full-text index and its triggers; filled from the messages when it is new."""
    new = FTS_TABLE not in _table_names(conn)
    for statement in SEARCH_1:
        conn.execute(statement)
    if new:
        conn.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")


def _step_2(conn: sqlite3.Connection) -> None:
    """#17: the warning signs a job-ad check found, on the worker's message (JSON list of sign keys)."""
    if "checks" not in _columns(conn, "messages"):
        conn.execute("ALTER TABLE messages ADD COLUMN checks TEXT")


STEPS: tuple[Callable[[sqlite3.Connection], None], ...] = (_step_1, _step_2)


def current() -> int:
    """The version this code brings a file to: the number of steps."""
    return len(STEPS)


# -- applying them -----------------------------------------------------------------------------------


def version(db: Connection) -> int:
    return _conn(db).execute("PRAGMA user_version").fetchone()[0]


def upgrade(db: Connection) -> Upgrade:
    """Run the steps the file has not had, each in a BEGIN IMMEDIATE transaction that also raises
    user_version; idempotent, and safe when other threads or processes do the same at the same moment.

    The connection must not be inside a transaction. Raises TooNew for a file newer than this code, and
    whatever a failing step raises (its transaction is rolled back: the file stays at the step before).
    """
    conn = _conn(db)
    if conn.in_transaction:
        raise SchemaError("upgrade() needs a connection outside a transaction")
    target = current()
    before = reached = version(conn)
    _refuse_newer(before, target, conn)
    applied = []
    while reached < target:
        with _immediate(conn):  # queues behind other starters on the busy timeout
            reached = version(conn)  # read again under the lock: another process may have done it
            _refuse_newer(reached, target, conn)
            if reached < target:
                STEPS[reached](conn)  # step n is STEPS[n - 1]
                reached += 1
                conn.execute(f"PRAGMA user_version = {reached}")
                applied.append(reached)
    return Upgrade(before, reached, tuple(applied))


def ensure_search(db: Connection) -> bool:
    """The full-text index, made now if this SQLite has trigrams but the file was made without them
    (for `flask --app bot admin reindex`); True when the index exists."""
    conn = _conn(db)
    if FTS_TABLE not in _table_names(conn) and trigram_available():
        with _immediate(conn):
            _create_search(conn)
    return has_search(conn)


def has_search(db: Connection) -> bool:
    return FTS_TABLE in _table_names(_conn(db))


def rebuild_search(db: Connection) -> None:
    """Re-fill the full-text index from the messages (after a restore, or if it got out of step)."""
    conn = _conn(db)
    if not ensure_search(conn):
        raise SchemaError(f"SQLite {sqlite3.sqlite_version} has no trigram tokenizer: no search index")
    with _immediate(conn):
        conn.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """A transaction holding the write lock from its start; rolled back if anything in it fails."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _refuse_newer(found: int, target: int, conn: sqlite3.Connection) -> None:
    if found > target:
        path = conn.execute("PRAGMA database_list").fetchone()[2] or "the transcripts database"
        raise TooNew(
            f"{path} has schema version {found}, but this code knows versions up to {target}: a newer"
            " release has upgraded it. Run that release, or restore a backup made for this one; the"
            " gateway never downgrades a database."
        )


def _conn(db: Connection) -> sqlite3.Connection:
    return db.conn if isinstance(db, sqlite_utils.Database) else db


def _table_names(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}

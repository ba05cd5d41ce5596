"""Transcripts: every message of both channels, one SQLite file in WAL mode, written with sqlite-utils.

`record` is the only way in, and it masks the text itself, so nothing personal is ever written
(the bot's replies are masked too: a multi-question reply quotes the worker's own words). The tables
are bot/gateway/schema.py's: `init` (at the gateway's start, and `flask --app bot init-db`) upgrades
the file to the current schema version.

A storage failure never costs a worker his answer (`Store`): a connection is opened read-write or not
at all (SQLite would silently open a file it cannot write read-only, and keep it so), a connection that
failed is dropped so the next use opens a new one, and a turn that cannot be written now is appended to
a spool file (JSON lines) that a background thread replays into the database once it takes writes
again, in order and with the original times.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import sqlite_utils
from flask import Flask, current_app, g
from flask.cli import with_appcontext

from bot.gateway import pii, schema

logger = logging.getLogger(__name__)

DIRECTIONS = ("in", "out")
TURN_COLUMNS = ("intent", "confidence", "faq_key", "actions", "latency_ms", "error", "checks")
# how long a write waits for another writer before the turn goes to the spool instead: a worker is
# never kept waiting for a lock a backup tool holds
INIT_WAIT_SECONDS = 10.0  # how long starters racing on a new file keep trying
WRITE_WAIT_SECONDS = 2.0
REPLAY_PAUSE_SECONDS = 1.0
# after a failed write, the next writes go straight to the spool for this long instead of each waiting
# WRITE_WAIT_SECONDS again: the replay thread finds out when the database is back
QUIET_AFTER_FAILURE_SECONDS = 5.0
STORAGE_ERRORS = (sqlite3.Error, OSError)


class NotWritable(sqlite3.OperationalError):
    """The file opened, but only for reading (permissions, a read-only disk)."""


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def connect(path: str | Path, *, wait: float = 10.0, create: bool = False) -> sqlite_utils.Database:
    """A read-write connection, or an error: never a read-only one (`mode=rw` alone does not stop SQLite
    from opening a write-protected file read-only, so a write is tried and rolled back)."""
    uri = f"file:{urllib.parse.quote(str(path))}?mode={'rwc' if create else 'rw'}"
    # autocommit connection: transactions are explicit (BEGIN IMMEDIATE below, sqlite-utils' atomic())
    conn = sqlite3.connect(uri, uri=True, timeout=wait, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, one fsync per checkpoint
        if not create:
            prove_writable(conn, wait=0)
        conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")  # several threads write at once
    except BaseException:
        conn.close()
        raise
    return sqlite_utils.Database(conn, execute_plugins=False)


def prove_writable(conn: sqlite3.Connection, wait: float) -> None:
    """Write a row and roll it back; raises when the database cannot take a write within `wait` s.

    With `wait` 0 (opening a connection) a database busy with another writer is not an error: the
    connection is not known to be read-only then, and a write that fails later drops it anyway.
    """
    conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO health (at) VALUES (?)", [now()])
    except sqlite3.OperationalError as error:
        if "readonly" in str(error):
            raise NotWritable(str(error)) from error
        if wait or "locked" not in str(error):
            raise
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


@contextlib.contextmanager
def writing(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes the write lock up front, so concurrent writers queue on the busy
    timeout instead of failing when a read snapshot has to be upgraded."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()


def init(path: str | Path) -> schema.Upgrade:
    """Create the file if missing, switch it to WAL (it stays so), and bring its tables to the current
    schema (bot/gateway/schema.py). Raises schema.TooNew for a file a newer release has upgraded."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    # gateways starting together on a new file: switching it to WAL needs the file to itself, and SQLite
    # may answer "locked" at once instead of waiting — try again for a while (start-up only)
    deadline = time.monotonic() + INIT_WAIT_SECONDS
    while True:
        try:
            with contextlib.closing(connect(path, create=True)) as db:
                db.enable_wal()
                return schema.upgrade(db)
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def record(db: sqlite_utils.Database, *args: object, **kwargs: object) -> int:
    """Store one message (masked) and bump its conversation, in its own transaction; returns the message
    id. Arguments as `_insert`: channel, sender, direction, text, then buttons=, msg_id= and turn columns."""
    with writing(db):
        return _insert(db, *args, **kwargs)


def record_answer(
    db: sqlite_utils.Database,
    message_id: int,
    channel: str,
    sender: str,
    replies: list[dict],
    *,
    msg_id: str | None = None,
    at: str | None = None,
    **turn,
) -> None:
    """After Rasa answered: what it understood goes onto the stored question, and its replies are stored,
    in one transaction (one commit per turn instead of one per row)."""
    with writing(db):
        _answer(db, message_id, channel, sender, replies, msg_id=msg_id, at=at, **turn)


def _answer(db, message_id, channel, sender, replies, *, msg_id=None, at=None, **turn) -> list[int]:
    """The stored question gets what Rasa understood; the replies are stored; their ids come back."""
    _update(db, message_id, turn)
    return [
        _insert(
            db,
            channel,
            sender,
            "out",
            reply["text"],
            buttons=reply["buttons"],
            msg_id=msg_id,
            at=at,
            error=turn.get("error"),
        )
        for reply in replies
    ]


def _insert(
    db: sqlite_utils.Database,
    channel: str,
    sender: str,
    direction: str,
    text: str,
    *,
    buttons: list[dict] | None = None,
    msg_id: str | None = None,
    at: str | None = None,
    payload: str | None = None,
    staff: str | None = None,
    **turn,
) -> int:
    # plain SQL: sqlite-utils' insert() commits on its own, which would split the caller's transaction
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    at = at or now()
    row = {
        "channel": channel,
        "sender": sender,
        "direction": direction,
        "text": pii.mask(text or ""),
        "buttons": json.dumps(buttons or [], ensure_ascii=False),
        "msg_id": msg_id,
        "created_at": at,
        "payload": payload,
        "staff": staff,
        **_turn_columns(turn),
    }
    row["conversation_id"] = _touch_conversation(db, channel, sender, at)
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    return db.execute(f"INSERT INTO messages ({columns}) VALUES ({marks})", list(row.values())).lastrowid


def _update(db: sqlite_utils.Database, message_id: int, turn: dict) -> None:
    columns = _turn_columns(turn)
    if columns:
        assignments = ", ".join(f"{name} = ?" for name in columns)
        db.execute(f"UPDATE messages SET {assignments} WHERE id = ?", [*columns.values(), message_id])


def _turn_columns(turn: dict) -> dict:
    unknown = set(turn) - set(TURN_COLUMNS)
    if unknown:
        raise TypeError(f"unknown transcript columns: {sorted(unknown)}")
    columns = dict(turn)
    if "actions" in columns:
        columns["actions"] = json.dumps(columns["actions"] or [], ensure_ascii=False)
    if "checks" in columns:  # the job-ad check's signs (#17); None when the turn was no check
        columns["checks"] = json.dumps(columns["checks"]) if columns["checks"] is not None else None
    return columns


def _touch_conversation(db: sqlite_utils.Database, channel: str, sender: str, at: str) -> int:
    cursor = db.execute(
        "INSERT INTO conversations (channel, sender, started_at, last_at, message_count)"
        " VALUES (?, ?, ?, ?, 1)"
        " ON CONFLICT (channel, sender) DO UPDATE"
        " SET last_at = excluded.last_at, message_count = message_count + 1"
        " RETURNING id",
        [channel, sender, at, at],
    )
    return cursor.fetchone()[0]


def history(
    db: sqlite_utils.Database, channel: str, sender: str, limit: int = 100, after: int = 0
) -> list[dict]:
    """The latest messages of one conversation (only those after message id `after`), oldest first, as
    the chat page shows them: a staff reply says so, a bot message carries the worker's feedback."""
    rows = db.execute(
        "SELECT m.id, m.direction, m.text, m.buttons, m.created_at, m.feedback, m.staff FROM messages m"
        " JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.channel = ? AND c.sender = ? AND m.id > ? ORDER BY m.id DESC LIMIT ?",
        [channel, sender, after, limit],
    ).fetchall()
    return [
        {
            "id": row_id,
            "direction": direction,
            "text": text,
            "buttons": json.loads(buttons or "[]"),
            "at": at,
            "feedback": feedback,
            "staff": bool(staff),
        }
        for row_id, direction, text, buttons, at, feedback, staff in reversed(rows)
    ]


def set_feedback(
    db: sqlite_utils.Database, channel: str, sender: str, message_id: int, value: str | None
) -> bool:
    """The worker's 👍 ("up") / 👎 ("down") / neither (None) on one bot message of his own conversation."""
    with writing(db):
        cursor = db.execute(
            "UPDATE messages SET feedback = ? WHERE id = ? AND direction = 'out' AND conversation_id ="
            " (SELECT id FROM conversations WHERE channel = ? AND sender = ?)",
            [value, message_id, channel, sender],
        )
    return cursor.rowcount == 1


def add_callback(db: sqlite_utils.Database, channel: str, sender: str, phone: str) -> int:
    """A number to call back: in the transcript masked like any message ("[手机号]"), and the number
    itself in `callbacks`, which only the console's handoff page shows. Returns the message id."""
    with writing(db):
        message_id = _insert(db, channel, sender, "in", phone, actions=["gateway_callback"])
        db.execute(
            "INSERT INTO callbacks (conversation_id, phone, created_at)"
            " SELECT conversation_id, ?, created_at FROM messages WHERE id = ?",
            [phone, message_id],
        )
    return message_id


# -- answering first: the store and its spool -------------------------------------------------------


class Spool:
    """An append-only file of JSON lines: the writes the database refused, in their order.

    Appends and the replay take an exclusive lock on the file (fcntl), so gateway processes that share
    it never interleave; a line that cannot be read (the process died while writing it) is set aside in
    `<spool>.rejected` instead of blocking the others.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def pending(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    @contextlib.contextmanager
    def _locked(self) -> Iterator[object]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def append(self, op: str, entry: dict) -> None:
        line = json.dumps({"op": op, **entry}, ensure_ascii=False)
        with self._locked() as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def drain(self, apply: Callable[[list[dict]], None]) -> int:
        """Give every spooled write to `apply` (one call, in order); empty the file if it returns."""
        with self._locked() as handle:
            handle.seek(0)
            entries, rejected = [], []
            for line in handle.read().splitlines():
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    rejected.append(line)
            if entries:
                apply(entries)
            if rejected:
                with open(f"{self.path}.rejected", "a", encoding="utf-8") as out:
                    out.write("\n".join(rejected) + "\n")
            handle.truncate(0)
            return len(entries)


def _write(db: sqlite_utils.Database, op: str, entry: dict) -> object:
    if op == "message":
        return _insert(db, **entry)
    if op == "answer":
        return _answer(db, **entry)
    if op == "turn":
        message_id = _insert(db, **entry["question"])
        _answer(db, message_id, entry["question"]["channel"], entry["question"]["sender"], **entry["answer"])
        return message_id
    raise ValueError(f"unknown transcript write {op!r}")


class Store:
    """The transcripts database of one app: a read-write connection per thread, and the spool."""

    def __init__(self, path: str | Path, spool_path: str | Path, wait: float = WRITE_WAIT_SECONDS):
        self.path = Path(path)
        self.spool = Spool(spool_path)
        self.wait = wait
        self._local = threading.local()
        self._replayer: threading.Thread | None = None
        self._replayer_lock = threading.Lock()
        self._failed_at = -QUIET_AFTER_FAILURE_SECONDS

    def db(self) -> sqlite_utils.Database:
        """This thread's connection, opened on first use (and again after `drop`)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = connect(self.path, wait=self.wait)
        return db

    def drop(self) -> None:
        """Forget this thread's connection after an error: the next use opens a fresh one (and, for
        QUIET_AFTER_FAILURE_SECONDS, writes are spooled without trying)."""
        self._failed_at = time.monotonic()
        db = self._local.__dict__.pop("db", None)
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.conn.close()

    def write_now(self, op: str, **entry) -> tuple[bool, object]:
        """(True, result) when the database took the write; (False, None) when it failed, or while
        earlier writes wait in the spool (a later write must not overtake them)."""
        if self.spool.pending() or time.monotonic() - self._failed_at < QUIET_AFTER_FAILURE_SECONDS:
            self.replay_soon()
            return False, None
        try:
            db = self.db()
            with writing(db):
                return True, _write(db, op, entry)
        except STORAGE_ERRORS as error:
            logger.warning("transcripts: %s; the turn goes to the spool %s", error, self.spool.path)
            self.drop()
            return False, None

    def write(self, op: str, **entry) -> object:
        """Write now, or spool the write for later (the result is None then). Never raises for storage."""
        done, result = self.write_now(op, **entry)
        if not done:
            self.keep(op, **entry)
        return result

    def keep(self, op: str, **entry) -> None:
        try:
            self.spool.append(op, entry)
        except OSError:  # the spool's disk fails too: the log is the last place the turn can go
            logger.exception(
                "transcripts: could not spool %s", json.dumps({"op": op, **entry}, ensure_ascii=False)
            )
        self.replay_soon()

    def replay_soon(self) -> None:
        """Start the thread that replays the spool, unless it runs already."""
        with self._replayer_lock:
            if self._replayer is None or not self._replayer.is_alive():
                self._replayer = threading.Thread(target=self._replay_until_empty, name="spool", daemon=True)
                self._replayer.start()

    def _replay_until_empty(self) -> None:
        failures = 0
        while self.spool.pending():
            time.sleep(REPLAY_PAUSE_SECONDS)
            try:
                self.replay()
            except STORAGE_ERRORS as error:
                failures += 1
                if failures in (1, 10, 100, 1000):  # the log shows the outage without a line per second
                    logger.warning("transcripts: the spool cannot be replayed yet (%s)", error)

    def replay(self) -> int:
        """Write the spooled turns into the database in one transaction; how many there were."""
        with contextlib.closing(connect(self.path, wait=self.wait)) as db:

            def apply(entries: list[dict]) -> None:
                with writing(db):
                    for entry in entries:
                        _write(db, entry.pop("op"), entry)

            count = self.spool.drain(apply)
        if count:
            logger.warning("transcripts: %d spooled writes are in the database now", count)
        return count

    def takes_writes(self) -> bool:
        """A fresh connection writes a row and rolls it back: what /healthz reports."""
        try:
            with contextlib.closing(connect(self.path, wait=self.wait)) as db:
                prove_writable(db.conn, wait=self.wait)
        except STORAGE_ERRORS:
            return False
        return True


# -- Flask ---------------------------------------------------------------------------------------


def store() -> Store:
    return current_app.extensions["transcripts"]


def get_db() -> sqlite_utils.Database:
    """This thread's connection, opened on first use and kept for the thread's next requests.

    Closing the last connection to a WAL database checkpoints and removes the WAL file: done after every
    request, that cost the chat API 8 ms per message (py-spy, `make bench`). The connections belong to
    the app, so they go with it; one that failed is dropped at the end of the request.
    """
    if "transcripts" not in g:
        g.transcripts = store().db()
    return g.transcripts


def drop_db() -> None:
    """After a database error the request handled itself: this thread opens a fresh connection next."""
    g.pop("transcripts", None)
    store().drop()


def close_db(exception: BaseException | None = None) -> None:
    """End of a request: the connection stays open, but never inside a transaction, and not at all
    after a database error (it may be stuck read-only or broken: the next request opens a new one)."""
    db = g.pop("transcripts", None)
    if db is None:
        return
    if isinstance(exception, STORAGE_ERRORS):
        store().drop()
    elif db.conn.in_transaction:
        db.conn.rollback()


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the transcripts database, or upgrade it to this code's schema (the gateway also does it on
    start); prints the schema version reached, and the one the file had."""
    path = current_app.config["TRANSCRIPTS_DB"]
    try:
        done = init(path)
    except schema.SchemaError as problem:
        raise click.ClickException(str(problem)) from None
    # the app's start (just before this command) has usually done the work: say what the file was then
    at_start = current_app.extensions.pop("transcripts_schema", None)
    before = min(done.before, at_start.before) if at_start else done.before
    was = f"was version {before}" if before < done.after else "already current"
    click.echo(f"transcripts: {path}: schema version {done.after} ({was})")


def spool_path(config: dict) -> Path:
    """TRANSCRIPTS_SPOOL, else next to the database: var/transcripts.spool.jsonl."""
    return Path(config.get("TRANSCRIPTS_SPOOL") or Path(config["TRANSCRIPTS_DB"]).with_suffix(".spool.jsonl"))


def init_app(app: Flask) -> None:
    # every table of the file, made or upgraded before anything opens it; schema.TooNew stops the start
    app.extensions["transcripts_schema"] = init(app.config["TRANSCRIPTS_DB"])
    app.extensions["transcripts"] = store_ = Store(app.config["TRANSCRIPTS_DB"], spool_path(app.config))
    if store_.spool.pending():  # left by the last run: into the database as soon as it takes writes
        store_.replay_soon()
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)

"""A Rasa lock store in a SQLite file, so that several Rasa worker processes can share the work.

Rasa answers the messages of one conversation one at a time with a ticket lock per conversation. Its
in-memory lock store works only inside one process, so Rasa refuses more than one Sanic worker with
it; its Redis store needs a Redis server. The county server has two cores and a disk: this store keeps
the same ticket locks in a small SQLite table. Every read-modify-write runs in one `BEGIN IMMEDIATE`
transaction, so two workers can never hand out the same ticket or drop each other's (Rasa's Redis
store reads and writes in two steps).

endpoints.yml names it (`type: bot.lock_store.SQLiteLockStore`, `db: <file>`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.sqlite_wal import use_wal

BUSY_TIMEOUT_S = 10.0


class SQLiteLockStore(LockStore):
    """Ticket locks in a SQLite table shared by all Rasa workers on this machine."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, db: str | None = None) -> None:
        # Rasa passes the lock_store section of endpoints.yml as `endpoint_config`
        path = db or (endpoint_config.kwargs.get("db") if endpoint_config else None)
        if not path:
            raise ValueError("SQLiteLockStore needs `db`, the path of the lock file")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = str(path)
        self._local = threading.local()
        with self._transaction() as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS locks (conversation_id TEXT PRIMARY KEY, lock TEXT NOT NULL)"
            )
        super().__init__()

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            use_wal(connection)
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")  # takes the write lock now: no other worker in between
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    # the three storage methods Rasa's LockStore is built on

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        row = (
            self._connection()
            .execute("SELECT lock FROM locks WHERE conversation_id = ?", (conversation_id,))
            .fetchone()
        )
        return TicketLock.from_dict(json.loads(row[0])) if row else None

    def delete_lock(self, conversation_id: str) -> None:
        deleted = self._connection().execute(
            "DELETE FROM locks WHERE conversation_id = ?", (conversation_id,)
        )
        self._log_deletion(conversation_id, deletion_successful=deleted.rowcount > 0)

    def save_lock(self, lock: TicketLock) -> None:
        self._connection().execute(
            "INSERT OR REPLACE INTO locks (conversation_id, lock) VALUES (?, ?)",
            (lock.conversation_id, lock.dumps()),
        )

    # Rasa's read-modify-write steps, each made atomic across processes

    def _change(self, conversation_id: str, change: Callable[[TicketLock], Any], create: bool = False) -> Any:
        with self._transaction():
            lock = self.get_lock(conversation_id)
            if lock is None and not create:
                return None
            lock = lock or self.create_lock(conversation_id)
            result = change(lock)
            self.save_lock(lock)
            return result

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return self._change(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime), create=True)
        except sqlite3.Error as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, TicketLock.remove_expired_tickets)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove this ticket, and the lock with it when nobody else waits: one step, so a ticket
        issued by another worker in between is never deleted."""
        with self._transaction():
            lock = self.get_lock(conversation_id)
            if lock is None:
                return
            lock.remove_ticket_for(ticket_number)
            if lock.is_someone_waiting():
                self.save_lock(lock)
            else:
                self.delete_lock(conversation_id)

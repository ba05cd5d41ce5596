"""A Rasa lock store in a SQLite file, so that several Rasa worker processes can share the work.

Rasa answers the messages of one conversation one at a time with a ticket lock per conversation. Its
in-memory lock store works only inside one process, so Rasa refuses more than one Sanic worker with
it; its Redis store needs a Redis server. The county server has two cores and a disk: this store keeps
the same ticket locks in a small SQLite table. Every read-modify-write runs in one `BEGIN IMMEDIATE`
transaction, so two workers can never hand out the same ticket or drop each other's (Rasa's Redis
store reads and writes in two steps).

endpoints.yml names it (`type: bot.plugins.lock_store.SQLiteLockStore`, `db: <file>`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.plugins.sqlite_wal import use_wal

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


# Redis, for Rasa replicas on several machines.
#
# Rasa's own RedisLockStore keeps a conversation's tickets as one JSON value and issues a ticket by
# reading it, appending and writing it back: two replicas that read at the same moment hand out the same
# number, and both answer the conversation at once (RasaHQ/rasa #9213; the fix went to Rasa Pro only).
# Here each conversation has a counter that Redis increments (INCR: one number per caller, whichever
# server asks) and a sorted set of the tickets still waiting, scored by when they expire, both read and
# changed by scripts that Redis runs whole. Expiry is reckoned on the Redis server's clock, so the
# replicas' clocks need not agree.

_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
# KEYS: counter, tickets; ARGV: lifetime in ms -> the ticket number
_ISSUE = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local number = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), number)
-- the counter outlives every ticket it issued; both go when the last ticket has expired
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return number
"""
)
# KEYS: tickets -> {now ms, number, expires ms, number, expires ms, ...} of the tickets not expired
_READ = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local found = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
table.insert(found, 1, now)
return found
"""
)
# KEYS: counter, tickets; ARGV: ticket number -> 1 when the lock is gone (nobody waits any more)
_CLEANUP = (
    _NOW
    + """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0
"""
)

# KEYS: counter, tickets; ARGV: last issued, then number, ms left for each ticket
_SAVE = (
    _NOW
    + """
redis.call('DEL', KEYS[2])
local longest = 1
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[i + 1]), ARGV[i])
  longest = math.max(longest, tonumber(ARGV[i + 1]))
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', longest)
if #ARGV > 1 then redis.call('PEXPIRE', KEYS[2], longest) end
"""
)


class RedisTicketLockStore(RedisLockStore):
    """Rasa's Redis lock store with tickets that two servers can never both be given.

    endpoints (bot/endpoints-cluster.yml): `type: bot.plugins.lock_store.RedisTicketLockStore`, `url` (the Redis
    host), `port`, `db`, `password`, `key_prefix` — the same keys as Rasa's `type: redis`.
    """

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # Rasa passes the lock_store section of the endpoints file
            kwargs = {**endpoint_config.kwargs, **kwargs}
            kwargs.setdefault("host", endpoint_config.url or "localhost")
        if not kwargs.get("password"):
            kwargs.pop("password", None)  # an empty ${REDIS_PASSWORD}: no AUTH
        super().__init__(**kwargs)
        self._issue = self.red.register_script(_ISSUE)
        self._read = self.red.register_script(_READ)
        self._cleanup = self.red.register_script(_CLEANUP)
        self._save = self.red.register_script(_SAVE)

    def _keys(self, conversation_id: str) -> tuple[str, str]:
        base = self.key_prefix + conversation_id
        return base + ":last", base + ":tickets"

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return int(self._issue(keys=self._keys(conversation_id), args=[int(lock_lifetime * 1000)]))
        except Exception as error:  # Rasa's contract: any failure to get a ticket is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        now_ms, *found = self._read(keys=self._keys(conversation_id)[1:])
        if not found:
            return None
        # Ticket.has_expired compares with this machine's clock: carry over the time left, not Redis's
        local_now = time.time()
        tickets = [
            Ticket(int(number), local_now + (float(expires) - int(now_ms)) / 1000)
            for number, expires in zip(found[::2], found[1::2], strict=False)
        ]
        return TicketLock(conversation_id, deque(sorted(tickets, key=lambda ticket: ticket.number)))

    def update_lock(self, conversation_id: str) -> None:
        """Expired tickets are dropped by Redis whenever the lock is read: nothing to write back."""

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.red.zrem(self._keys(conversation_id)[1], ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        gone = self._cleanup(keys=self._keys(conversation_id), args=[ticket_number])
        if gone:
            self._log_deletion(conversation_id, deletion_successful=True)

    def delete_lock(self, conversation_id: str) -> None:
        deleted = self.red.delete(*self._keys(conversation_id))
        self._log_deletion(conversation_id, deletion_successful=bool(deleted))

    def save_lock(self, lock: TicketLock) -> None:
        """Write a whole lock (Rasa's base class does; the steps above never need it)."""
        now = time.time()
        left = [(ticket.number, max(1, int((ticket.expires - now) * 1000))) for ticket in lock.tickets]
        args = [lock.last_issued] + [value for pair in left for value in pair]
        self._save(keys=self._keys(lock.conversation_id), args=args)

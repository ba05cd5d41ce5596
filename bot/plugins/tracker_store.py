"""Rasa's SQL tracker store, tuned for one SQLite file shared by the Rasa workers.

Same tables, same rows, same queries as `SQLTrackerStore` (the helpdesk and any SQL tool read them as
before). What changes, each measured with py-spy under load (see README, "Performance"):
- one connection per thread instead of a new connection for every read and write (SQLAlchemy 1.4
  gives file databases a NullPool);
- WAL journal with synchronous=NORMAL: a commit no longer waits for two fsyncs, and readers do not
  block the writer of the other worker; a busy timeout instead of "database is locked";
- the tracker saved last for each conversation is kept (in this process, for this turn only) so the
  REST channel's turn summary for the gateway needs no second read of the whole conversation.

`PostgresTrackerStore` is the same on PostgreSQL, for Rasa replicas on several machines
(bot/endpoints-cluster.yml), with one more index (see below).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import OrderedDict
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.pool import SingletonThreadPool

from bot.plugins.sqlite_wal import use_wal

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
RECENT = 256  # trackers kept for the turn summary; a turn reads its own right after saving it


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    use_wal(dbapi_connection)
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


# Rasa's own queries (SQLTrackerStore._event_query), written once in SQL instead of built by the ORM for
# every read and write: the events of the sender's latest session (all of them when no session_started
# was stored), in the order they were stored.
_LATEST_SESSION = """
FROM events, (SELECT max(timestamp) AS session_start FROM events
              WHERE sender_id = :sender AND type_name = 'session_started') AS latest
WHERE events.sender_id = :sender
  AND (events.timestamp >= latest.session_start OR latest.session_start IS NULL)
"""
_READ_LATEST_SESSION = sa.text("SELECT events.data " + _LATEST_SESSION + " ORDER BY events.id")
_COUNT_LATEST_SESSION = sa.text("SELECT count(*) " + _LATEST_SESSION)


class _CoreSQLStore(SQLTrackerStore):
    """Rasa's SQL store with its two hot queries in SQLAlchemy Core, not the ORM (py-spy: the ORM's query
    building and row objects were 15% of a Rasa worker's CPU), and the trackers this process saved last,
    for the turn summary (bot/plugins/channels.py). Same tables, rows and results as Rasa's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recent: OrderedDict[str, DialogueStateTracker] = OrderedDict()
        self._insert = self.SQLEvent.__table__.insert()

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        if fetch_events_from_all_sessions:  # the console's full history: rare, Rasa's own query
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        with self.engine.connect() as connection:
            rows = connection.execute(_READ_LATEST_SESSION, {"sender": sender_id}).fetchall()
        if not (self.domain and rows):
            return None
        return DialogueStateTracker.from_dict(
            sender_id, [json.loads(row[0]) for row in rows], self.domain.slots
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.engine.begin() as connection:
            stored = connection.execute(_COUNT_LATEST_SESSION, {"sender": tracker.sender_id}).scalar()
            rows = []
            for event in itertools.islice(tracker.events, stored, len(tracker.events)):
                data = event.as_dict()
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:
                connection.execute(self._insert, rows)
        self._recent[tracker.sender_id] = tracker
        self._recent.move_to_end(tracker.sender_id)
        while len(self._recent) > RECENT:
            self._recent.popitem(last=False)

    def just_saved(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker this process saved last for the sender (and forget it), or None."""
        return self._recent.pop(sender_id, None)


class SQLiteTrackerStore(_CoreSQLStore):
    """`SQLTrackerStore` on a SQLite file, with pooled WAL connections and the last saved trackers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("dialect", "sqlite")
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=SingletonThreadPool)
            sa.event.listen(self.engine, "connect", _pragmas)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)


# Every read of a conversation asks for the time of its last session_started event, then for its events
# since then (SQLTrackerStore._event_query). Rasa indexes events.sender_id only, so the first step reads
# every event of the sender; this index answers it from the index alone. IF NOT EXISTS: replicas
# starting together may race to create it, and the loser's error is harmless.
SESSION_INDEX = "ix_events_sender_type_time"
SESSION_INDEX_DDL = f"CREATE INDEX IF NOT EXISTS {SESSION_INDEX} ON events (sender_id, type_name, timestamp)"


class PostgresTrackerStore(_CoreSQLStore):
    """`SQLTrackerStore` on PostgreSQL with the index of the session-start lookup and the last saved
    trackers. endpoints: `type: bot.plugins.tracker_store.PostgresTrackerStore`, `url` (host), `port`, `db`,
    `username`, `password` as for Rasa's `type: SQL`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["dialect"] = "postgresql"
        kwargs["port"] = kwargs.get("port") or None
        kwargs["password"] = kwargs.get("password") or None
        super().__init__(*args, **kwargs)
        try:
            with self.engine.begin() as connection:
                connection.execute(sa.text(SESSION_INDEX_DDL))
        except sa.exc.SQLAlchemyError as error:  # another replica is creating it right now
            logger.info("index %s not created here: %s", SESSION_INDEX, error)

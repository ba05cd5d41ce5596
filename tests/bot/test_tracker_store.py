"""The SQLite tracker store: Rasa's SQL tables and rows, on pooled WAL connections."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import paths
from bot.plugins.channels import just_saved
from bot.plugins.tracker_store import SQLiteTrackerStore


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(paths.DOMAIN))


@pytest.fixture
def store(domain, tmp_path):
    config = EndpointConfig(
        type="bot.plugins.tracker_store.SQLiteTrackerStore", dialect="sqlite", db=str(tmp_path / "t.db")
    )
    return TrackerStore.create(config, domain)


def tracker(domain, sender: str, text: str) -> DialogueStateTracker:
    events = [ActionExecuted("action_listen"), UserUttered(text, {"name": "faq", "confidence": 0.9})]
    return DialogueStateTracker.from_events(sender, events, domain.slots)


def test_rasa_builds_it_from_endpoints(store):
    assert isinstance(store, SQLiteTrackerStore)


def test_saved_turns_come_back_in_order_and_only_new_events_are_added(store, domain, tmp_path):
    conversation = tracker(domain, "w1", "老板拖欠工资怎么办")
    asyncio.run(store.save(conversation))
    for event in (SlotSet("months", 4), ActionExecuted("action_listen"), UserUttered("仲裁要带什么")):
        conversation.update(event)
    asyncio.run(store.save(conversation))
    back = asyncio.run(store.retrieve("w1"))
    assert [e.text for e in back.events if isinstance(e, UserUttered)] == [
        "老板拖欠工资怎么办",
        "仲裁要带什么",
    ]
    assert back.get_slot("months") == 4
    # Rasa's own table, one row per event: readable by any SQL tool as before
    with sqlite3.connect(tmp_path / "t.db") as db:
        assert db.execute("SELECT count(*) FROM events WHERE sender_id='w1'").fetchone()[0] == 5


def test_the_file_is_in_wal_mode(store, domain, tmp_path):
    asyncio.run(store.save(tracker(domain, "w2", "你好")))
    with sqlite3.connect(tmp_path / "t.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_turn_summary_reads_the_tracker_just_saved_once(store, domain):
    saved = tracker(domain, "w3", "12333是什么电话")
    asyncio.run(store.save(saved))

    class Agent:
        tracker_store = FailSafeTrackerStore(store)  # as Rasa's agent wraps it

    assert just_saved(Agent, "w3") is saved
    assert just_saved(Agent, "w3") is None  # taken: a later turn cannot read a stale one
    assert just_saved(Agent, "nobody") is None


def two_sessions(domain, writer, sender: str) -> None:
    """A conversation as Rasa keeps it: a first session saved, then read back and carried on in a new one."""
    from rasa.shared.core.events import SessionStarted

    first = tracker(domain, sender, "去年问过的")
    asyncio.run(writer.save(first))
    first.update(SlotSet("months", 2))
    asyncio.run(writer.save(first))
    asyncio.run(writer.save(first))  # saved again unchanged: nothing is added
    conversation = asyncio.run(writer.retrieve(sender))
    for event in (
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("今年再问", {"name": "faq", "confidence": 0.8}),
        SlotSet("months", 5),
    ):
        conversation.update(event)
    asyncio.run(writer.save(conversation))


def test_rasa_own_store_and_this_one_read_and_write_the_same_rows(store, domain, tmp_path):
    """The Core SQL of the hot path means what Rasa's ORM queries mean: each reads what the other wrote,
    the latest session only, and neither adds an event twice."""
    from rasa.core.tracker_store import SQLTrackerStore

    rasa_own = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "t.db"))
    for writer, reader, sender in ((store, rasa_own, "ours"), (rasa_own, store, "theirs")):
        two_sessions(domain, writer, sender)
        back = asyncio.run(reader.retrieve(sender))
        assert [e.text for e in back.events if isinstance(e, UserUttered)] == ["今年再问"]
        assert back.get_slot("months") == 5
        again = asyncio.run(store.retrieve(sender)), asyncio.run(rasa_own.retrieve(sender))
        assert [e.as_dict() for e in again[0].events] == [e.as_dict() for e in again[1].events]
        full = asyncio.run(reader.retrieve_full_tracker(sender))
        assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["去年问过的", "今年再问"]
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute(
            "SELECT sender_id, type_name, intent_name, action_name FROM events ORDER BY id"
        ).fetchall()
    assert [row[1:] for row in rows if row[0] == "ours"] == [row[1:] for row in rows if row[0] == "theirs"]
    assert ("ours", "user", "faq", None) in rows and ("ours", "action", None, "action_listen") in rows


def test_a_turn_reads_and_writes_without_the_orm(store, domain):
    """py-spy put 15% of a worker's CPU in the ORM's query building; the turn's read and write use none."""

    def no_orm():
        raise AssertionError("the ORM was used")

    asyncio.run(store.save(tracker(domain, "w9", "你好")))
    primary = getattr(store, "_tracker_store", store)
    primary.sessionmaker = no_orm
    conversation = asyncio.run(store.retrieve("w9"))
    conversation.update(SlotSet("months", 3))
    asyncio.run(store.save(conversation))
    assert asyncio.run(store.retrieve("w9")).get_slot("months") == 3

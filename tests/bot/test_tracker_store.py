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
from bot.channels import just_saved
from bot.tracker_store import SQLiteTrackerStore


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(paths.DOMAIN))


@pytest.fixture
def store(domain, tmp_path):
    config = EndpointConfig(
        type="bot.tracker_store.SQLiteTrackerStore", dialect="sqlite", db=str(tmp_path / "t.db")
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

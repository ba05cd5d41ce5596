"""The SQLite lock store: Rasa's ticket-lock semantics, atomic across worker processes."""

from __future__ import annotations

import asyncio
import multiprocessing

import pytest
from rasa.core.lock_store import LockStore
from rasa.core.utils import number_of_sanic_workers
from rasa.utils.endpoints import EndpointConfig

from bot.plugins.lock_store import SQLiteLockStore


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "locks.db")


def endpoint(db: str) -> EndpointConfig:
    return EndpointConfig(type="bot.plugins.lock_store.SQLiteLockStore", db=db)


def test_rasa_builds_it_from_endpoints_and_allows_several_workers(db, monkeypatch):
    store = LockStore.create(endpoint(db))
    assert isinstance(store, SQLiteLockStore) and store.path == db
    monkeypatch.setenv("SANIC_WORKERS", "2")
    assert number_of_sanic_workers(endpoint(db)) == 2


def test_tickets_are_served_in_order_and_the_lock_goes_when_nobody_waits(db):
    store = SQLiteLockStore(db=db)
    first, second = store.issue_ticket("worker-1"), store.issue_ticket("worker-1")
    assert (first, second) == (0, 1)
    lock = store.get_lock("worker-1")
    assert not lock.is_locked(first) and lock.is_locked(second)
    store.cleanup("worker-1", first)  # the second is still waiting: the lock stays
    assert not store.get_lock("worker-1").is_locked(second)
    store.cleanup("worker-1", second)
    assert store.get_lock("worker-1") is None


def test_conversations_have_separate_locks(db):
    store = SQLiteLockStore(db=db)
    assert store.issue_ticket("a") == 0
    assert store.issue_ticket("b") == 0


def test_the_lock_context_lets_one_message_of_a_conversation_in_at_a_time(db):
    store = SQLiteLockStore(db=db)
    order: list[str] = []

    async def handle(name: str, seconds: float) -> None:
        async with store.lock("worker-1", wait_time_in_seconds=0.01):
            order.append(f"{name} in")
            await asyncio.sleep(seconds)
            order.append(f"{name} out")

    async def both() -> None:
        await asyncio.gather(handle("first", 0.1), handle("second", 0))

    asyncio.run(both())
    assert order == ["first in", "first out", "second in", "second out"]
    assert store.get_lock("worker-1") is None


def _issue(db: str, count: int, queue: multiprocessing.Queue) -> None:
    store = SQLiteLockStore(db=db)
    queue.put([store.issue_ticket("shared", 60) for _ in range(count)])


def test_workers_issuing_tickets_at_once_never_get_the_same_number(db):
    SQLiteLockStore(db=db)  # creates the table before the race
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [context.Process(target=_issue, args=(db, 50, queue)) for _ in range(4)]
    for process in processes:
        process.start()
    tickets = [t for _ in processes for t in queue.get(timeout=60)]
    for process in processes:
        process.join(timeout=60)
    assert sorted(tickets) == list(range(200))


def test_a_missing_path_is_refused():
    with pytest.raises(ValueError, match="db"):
        SQLiteLockStore(EndpointConfig(type="bot.plugins.lock_store.SQLiteLockStore"))


def _open(db: str, queue: multiprocessing.Queue, barrier) -> None:
    try:
        barrier.wait(timeout=30)  # all at once, as Rasa's forked workers load their stores together
        SQLiteLockStore(db=db).issue_ticket("first")
        queue.put("ok")
    except Exception as error:  # noqa: BLE001 - reported to the test
        queue.put(repr(error))


def test_workers_opening_a_new_file_at_once_all_start(tmp_path):
    """Rasa's workers start together: none may die on "database is locked" while the file becomes WAL."""
    context = multiprocessing.get_context("fork")
    for round_ in range(20):
        db = str(tmp_path / f"locks-{round_}.db")
        queue, barrier = context.Queue(), context.Barrier(4)
        processes = [context.Process(target=_open, args=(db, queue, barrier)) for _ in range(4)]
        for process in processes:
            process.start()
        outcomes = [queue.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(timeout=60)
        assert outcomes == ["ok"] * 4, outcomes

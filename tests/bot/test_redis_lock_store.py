"""bot.plugins.lock_store.RedisTicketLockStore against a real redis-server, with several processes standing in for
Rasa replicas on several machines (each its own store and connection), racing for the same conversation.

Rasa's own RedisLockStore is raced the same way to show why the subclass exists: it issues a ticket by
reading the lock and writing it back, so two servers can both be handed ticket 1.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import subprocess
import threading
import time

import pytest
import redis
from rasa.core.lock_store import LockError, LockStore, RedisLockStore
from rasa.utils.endpoints import read_endpoint_config

from bot import paths
from bot.plugins.lock_store import RedisTicketLockStore
from bot.tools import cluster

pytestmark = pytest.mark.servers

PROCESSES = 4


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory):
    try:
        program = cluster.ensure_servers()["redis-server"]
    except cluster.Unavailable as why:
        pytest.skip(f"no redis-server: {why}")
    port = cluster.free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        cluster.redis_command(program, port, folder), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    client = redis.Redis(host=cluster.HOST, port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
    yield port
    server.terminate()
    server.wait(10)


@pytest.fixture
def client(redis_port):
    connection = redis.Redis(host=cluster.HOST, port=redis_port, db=1)  # the lock store's (Rasa's default)
    connection.flushall()
    return connection


def store(port: int) -> RedisTicketLockStore:
    return RedisTicketLockStore(host=cluster.HOST, port=port)


# each function below runs in a process of its own: one Rasa replica


def _issue_many(port: int, start: multiprocessing.Event, count: int, out: multiprocessing.Queue) -> None:
    replica = store(port)
    start.wait()
    out.put([replica.issue_ticket("racing", lock_lifetime=60) for _ in range(count)])


def _serve_many(port: int, start: multiprocessing.Event, count: int, out: multiprocessing.Queue) -> None:
    """Rasa's own use: `async with lock_store.lock(sender)` around the turn; the turn here is a read
    and a write of a counter with a pause between, which loses updates unless turns never overlap."""
    replica = store(port)
    shared = redis.Redis(host=cluster.HOST, port=port, db=1)

    async def turns() -> int:
        overlaps = 0
        for _ in range(count):
            async with replica.lock("racing", lock_lifetime=30, wait_time_in_seconds=0.002):
                if shared.incr("inside") > 1:
                    overlaps += 1
                value = int(shared.get("turns") or 0)
                await asyncio.sleep(0.001)
                shared.set("turns", value + 1)
                shared.decr("inside")
        return overlaps

    start.wait()
    out.put(asyncio.run(turns()))


def _race(target, port: int, count: int) -> list:
    context = multiprocessing.get_context("fork")
    start, out = context.Event(), context.Queue()
    workers = [context.Process(target=target, args=(port, start, count, out)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    start.set()
    results = [out.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    return results


def test_racing_servers_never_share_a_ticket(redis_port, client):
    issued = [number for batch in _race(_issue_many, redis_port, 150) for number in batch]
    assert sorted(issued) == list(range(1, PROCESSES * 150 + 1))


def test_racing_servers_serve_one_turn_at_a_time(redis_port, client):
    overlaps = _race(_serve_many, redis_port, 40)
    assert overlaps == [0] * PROCESSES
    assert int(client.get("turns")) == PROCESSES * 40  # no update lost
    assert client.keys("huize*") == [] and client.keys("lock:*") == []  # every lock cleaned up


def test_rasa_own_redis_store_hands_two_servers_the_same_ticket(redis_port, client):
    """The bug the subclass exists for (RasaHQ/rasa #9213): both servers read the lock before either
    writes it back. If Rasa fixes this, this test fails and the subclass can go."""
    both_read = threading.Barrier(2)

    class Replica(RedisLockStore):
        def get_or_create_lock(self, conversation_id):
            lock = super().get_or_create_lock(conversation_id)
            both_read.wait(5)
            return lock

    tickets = []
    threads = [
        threading.Thread(
            target=lambda: tickets.append(Replica(host=cluster.HOST, port=redis_port).issue_ticket("c"))
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(tickets) == 2 and tickets[0] == tickets[1]  # both were given the first ticket


def test_tickets_are_served_in_order_and_the_lock_goes_when_nobody_waits(redis_port, client):
    replica, other = store(redis_port), store(redis_port)
    first = replica.issue_ticket("c", lock_lifetime=30)
    second = other.issue_ticket("c", lock_lifetime=30)
    assert (first, second) == (1, 2)
    assert replica.get_lock("c").now_serving == 1
    assert other.get_lock("c").is_locked(second)
    replica.cleanup("c", first)
    assert other.get_lock("c").now_serving == 2  # someone waits: the lock stays
    other.cleanup("c", second)
    assert other.get_lock("c") is None
    assert client.keys("*") == []


def test_a_ticket_expires_on_the_redis_clock_and_its_keys_with_it(redis_port, client):
    replica = store(redis_port)
    stale = replica.issue_ticket("c", lock_lifetime=0.3)  # a replica that died holding it
    assert 0 < client.pttl("lock:c:tickets") <= 300
    waiting = replica.issue_ticket("c", lock_lifetime=30)
    assert replica.get_lock("c").is_locked(waiting)
    time.sleep(0.4)
    assert not replica.get_lock("c").is_locked(waiting)  # the dead one's ticket no longer blocks
    assert stale not in [ticket.number for ticket in replica.get_lock("c").tickets]
    replica.cleanup("c", waiting)
    replica.issue_ticket("gone", lock_lifetime=0.2)
    time.sleep(0.3)
    assert client.keys("lock:gone*") == []  # nothing is left behind in Redis


def test_waiting_for_a_ticket_whose_lock_was_removed_is_a_lock_error(redis_port, client):
    replica = store(redis_port)
    ticket = replica.issue_ticket("c", lock_lifetime=30)
    replica.delete_lock("c")

    async def acquire():
        return await replica._acquire_lock("c", ticket, 0.01)

    with pytest.raises(LockError):
        asyncio.run(acquire())


def test_a_saved_lock_reads_back_the_same(redis_port, client):
    replica = store(redis_port)
    for _ in range(3):
        replica.issue_ticket("c", lock_lifetime=30)
    lock = replica.get_lock("c")
    lock.remove_ticket_for(2)
    replica.save_lock(lock)
    again = replica.get_lock("c")
    assert [ticket.number for ticket in again.tickets] == [1, 3]
    assert replica.issue_ticket("c") == 4


def test_the_cluster_endpoints_file_builds_this_store(redis_port, monkeypatch):
    for name, value in {
        "ACTION_ENDPOINT_URL": "http://127.0.0.1:1/webhook",
        "REDIS_HOST": cluster.HOST,
        "REDIS_PORT": str(redis_port),
        "REDIS_DB": "3",
        "REDIS_PASSWORD": "",
        **{f"TRACKER_{key}": "" for key in ("HOST", "PORT", "DB", "USER", "PASSWORD")},
    }.items():
        monkeypatch.setenv(name, value)
    made = LockStore.create(read_endpoint_config(str(paths.CLUSTER_ENDPOINTS), "lock_store"))
    assert isinstance(made, RedisTicketLockStore)
    options = made.red.connection_pool.connection_kwargs
    assert (options["host"], options["port"], options["db"], options.get("password")) == (
        cluster.HOST,
        redis_port,
        3,
        None,
    )
    assert made.key_prefix == "huize:lock:"
    assert made.issue_ticket("from-endpoints") == 1

"""Issue #13, items 1–3, against the real services: kill -9 of each one, a held write lock on the
transcripts, and what the worker receives meanwhile (how fast), and that every message is stored.

A stack of its own (action server, Rasa with two workers, the gateway under waitress), so the other
end-to-end tests never see a service die.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
import requests

from bot.gateway import transcripts
from bot.tools import stack as services
from tests.gateway.faults import write_lock_held

pytestmark = pytest.mark.e2e

SENT: list[str] = []  # every message any test here sent: all must be in the transcripts at the end
SENDER = "faults-" + uuid.uuid4().hex[:8]
BACK_WITHIN = 180.0  # a restarted Rasa loads the model again: a minute on a busy 2-core machine


@pytest.fixture(scope="module")
def own_stack(model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    running = services.start(
        model,
        tracker_db=folder / "tracker.db",
        log_dir=folder,
        gateway_port=0,
        transcripts_db=folder / "transcripts.db",
    )
    running.folder = folder
    yield running
    running.stop()
    left = [pid for process in running.processes.values() for pid in services.process_tree(process.pid)[1:]]
    assert not [pid for pid in left if _alive(pid)], "stop() left processes of the tree running"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def ask(stack, text: str, timeout: float = 30.0) -> tuple[list[dict], float]:
    SENT.append(text)
    started = time.monotonic()
    response = requests.post(
        f"{stack.gateway_url}/api/messages", json={"sender": SENDER, "message": text}, timeout=timeout
    )
    assert response.status_code == 200, response.text[:200]
    return response.json(), time.monotonic() - started


def health(stack) -> dict:
    try:
        return requests.get(f"{stack.gateway_url}/healthz", timeout=5).json()
    except (requests.RequestException, ValueError):
        return {"status": "no answer"}


def wait_for(condition, seconds: float = BACK_WITHIN) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "not back in time"
        time.sleep(0.5)
    return time.monotonic() - started


def all_up(stack) -> bool:
    return health(stack).get("status") == "ok"


def test_a_killed_action_server_is_restarted_alone_and_the_worker_is_told_whom_to_call(own_stack, kb):
    stack = own_stack
    others = {name: stack.processes[name].pid for name in ("rasa", "gateway")}
    os.kill(stack.processes["actions"].pid, signal.SIGKILL)
    replies, took = ask(stack, "老板拖欠工资怎么办")
    assert took < 5.0
    assert replies[0]["text"] in (kb.render("error"), kb.render("unpaid_wages"))  # the phones, or the answer
    wait_for(lambda: all_up(stack), 60)
    assert stack.restarts.get("actions") == 1
    assert {name: stack.processes[name].pid for name in others} == others  # the others never stopped
    replies, _ = ask(stack, "老板拖欠工资怎么办")
    assert replies[0]["text"] == kb.render("unpaid_wages")


def test_a_killed_gateway_comes_back_on_its_port(own_stack, kb):
    stack = own_stack
    old = stack.processes["gateway"].pid
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: all_up(stack), 60)
    assert stack.processes["gateway"].pid != old and stack.restarts.get("gateway") == 1
    replies, _ = ask(stack, "交通补贴怎么领")
    assert replies[0]["text"] == kb.render("transport_subsidy")


def test_a_dead_rasa_worker_restarts_rasa_instead_of_leaving_it_at_half_strength(own_stack, kb):
    stack = own_stack
    main = stack.processes["rasa"].pid
    tree = services.process_tree(main)
    assert len(tree) == 1 + services.rasa_workers()
    os.kill(tree[-1], signal.SIGKILL)
    wait_for(lambda: not _alive(main), 15)  # rasa_run ends the other worker and exits for a restart
    replies, took = ask(stack, "老板拖欠工资怎么办")  # meanwhile: at once, the phones
    assert took < 5.0 and replies[0]["text"] in (kb.render("error"), kb.render("unpaid_wages"))
    wait_for(lambda: all_up(stack))
    assert len(services.process_tree(stack.processes["rasa"].pid)) == 1 + services.rasa_workers()
    replies, _ = ask(stack, "老板拖欠工资怎么办")
    assert replies[0]["text"] == kb.render("unpaid_wages")


def test_a_killed_rasa_main_process_takes_its_workers_along_so_the_restart_can_bind(own_stack, kb):
    stack = own_stack
    main = stack.processes["rasa"].pid
    workers = services.process_tree(main)[1:]
    restarts = stack.restarts.get("rasa", 0)
    os.kill(main, signal.SIGKILL)
    wait_for(lambda: not any(_alive(pid) for pid in workers), 10)  # no orphan holds the port
    wait_for(lambda: all_up(stack))
    assert stack.restarts["rasa"] == restarts + 1
    replies, _ = ask(stack, "老板拖欠工资怎么办")
    assert replies[0]["text"] == kb.render("unpaid_wages")


def test_a_held_write_lock_on_the_transcripts_costs_no_answer_and_no_message(own_stack, kb):
    stack = own_stack
    path = stack.folder / "transcripts.db"
    with write_lock_held(path):
        timings = [ask(stack, text)[1] for text in ("工资被拖欠了", "仲裁要多久", "12333是什么电话")]
        during = health(stack)
    assert max(timings) < transcripts.WRITE_WAIT_SECONDS + 3.0  # not the old 10 s, then an HTML 500
    assert during["status"] == "degraded" and during["spooled_bytes"] > 0
    wait_for(lambda: all_up(stack), 30)  # the spool is replayed, /healthz says ok again


def test_every_message_sent_during_the_faults_is_in_the_transcripts(own_stack):
    wait_for(lambda: all_up(own_stack), 30)
    with sqlite3.connect(own_stack.folder / "transcripts.db") as conn:
        stored = [
            text
            for (text,) in conn.execute(
                "SELECT text FROM messages WHERE sender = ? AND direction = 'in' ORDER BY id", [SENDER]
            )
        ]
        answers = conn.execute(
            "SELECT count(*) FROM messages WHERE sender = ? AND direction = 'out'", [SENDER]
        ).fetchone()[0]
    assert stored == SENT and len(SENT) >= 8  # in the order they were sent, the spooled ones too
    assert answers >= len(SENT)  # each one answered, the phones at least

"""The multi-machine configuration for real, on this machine (bot/tools/cluster.py): redis-server, PostgreSQL
(initdb as an unprivileged user), nginx in front of two Rasa replicas and two action servers, and the
gateway pointing at nginx. Skipped, with the reason, only where those servers cannot be installed.
"""

from __future__ import annotations

import re
import threading
import time
import uuid

import pytest
import requests

from bot.tools import cluster as multi

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster(model, tmp_path_factory):
    try:
        multi.ensure_servers()
    except multi.Unavailable as why:
        pytest.skip(f"the multi-machine configuration cannot run here: {why}")
    running = multi.start(model, tmp_path_factory.mktemp("cluster"), replicas=2, gateway_port=0)
    yield running
    running.stop()


def say(url: str, sender: str, message: str) -> str:
    reply = requests.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
    )
    assert reply.status_code == 200, reply.text
    return "\n".join(item.get("text", "") for item in reply.json())


def events(cluster, sender: str) -> list[dict]:
    reply = requests.get(
        f"{cluster.replica_url(0)}/conversations/{sender}/tracker",
        params={"token": cluster.rasa_token},
        timeout=30,
    )
    assert reply.status_code == 200
    return reply.json()["events"]


def turns_one_after_another(found: list[dict]) -> bool:
    """Each user message was answered to the end (action_listen) before the next one was read."""
    listening = True
    for event in found:
        if event["event"] == "user":
            if not listening:
                return False
            listening = False
        elif event["event"] == "action" and event.get("name") == "action_listen":
            listening = True
    return True


def test_a_form_keeps_its_state_while_its_messages_alternate_between_replicas(cluster, kb):
    sender = "alternating-" + uuid.uuid4().hex
    replicas = [cluster.replica_url(0), cluster.replica_url(1)]
    steps = [
        ("帮我算一下车费补贴", "建档立卡"),
        ("是的，我家是建档立卡户", "哪里"),
        ("在江苏昆山的厂里", "几个月"),
        ("干了五个月", "车票"),
        ("车票花了四百二", "统一组织"),
        ("自己找的活", "领过"),
    ]
    for number, (message, asked) in enumerate(steps):
        assert asked in say(replicas[number % 2], sender, message), message
    result = say(replicas[len(steps) % 2], sender, "以前没领过")
    assert kb.value("transport_subsidy.cap.out_of_province") > 420
    assert "可补420元" in result and "省外" in result  # the fare, under the cap, from every fact given
    assert turns_one_after_another(events(cluster, sender))


def test_two_messages_of_one_sender_at_both_replicas_at_once_are_handled_in_turn(cluster):
    sender = "both-at-once-" + uuid.uuid4().hex
    pairs = [("12333是干啥的电话", "老板不给工资找哪个"), ("怎么防止被骗", "哪里有招工信息")]
    replies: list[str] = []
    for first, second in pairs:
        start = threading.Barrier(2)

        def send(url: str, message: str, start: threading.Barrier = start) -> None:
            start.wait(10)
            replies.append(say(url, sender, message))

        threads = [
            threading.Thread(target=send, args=(cluster.replica_url(0), first)),
            threading.Thread(target=send, args=(cluster.replica_url(1), second)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert len(replies) == 4 and all(replies)
    found = events(cluster, sender)
    said = [event["text"] for event in found if event["event"] == "user"]
    assert sorted(said) == sorted(message for pair in pairs for message in pair)  # none lost, none twice
    assert turns_one_after_another(found)


def test_the_gateway_answers_through_the_balancer(cluster, kb):
    reply = requests.post(
        f"{cluster.gateway_url}/api/messages",
        json={"sender": "gateway-" + uuid.uuid4().hex, "message": "12333是什么电话"},
        timeout=60,
    )
    assert reply.status_code == 200
    text = "\n".join(item["text"] for item in reply.json())
    assert "12333" in text and "来源" in text


def test_postgres_has_the_index_of_the_session_lookup(cluster):
    import psycopg2

    from bot.plugins.tracker_store import SESSION_INDEX

    with (
        psycopg2.connect(
            host=multi.HOST, port=cluster.postgres_port, user=multi.PG_USER, dbname=multi.PG_USER
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'events'")
        found = [row[0] for row in cursor.fetchall()]
        # a long conversation (rolled back with the statistics): the lookup must not read all its events
        cursor.execute(
            "INSERT INTO events (sender_id, type_name, timestamp) SELECT 'x', "
            "CASE WHEN i % 500 = 0 THEN 'session_started' ELSE 'user' END, i FROM generate_series(1, 5000) i"
        )
        cursor.execute("ANALYZE events")
        cursor.execute(
            "EXPLAIN SELECT max(timestamp) FROM events WHERE sender_id = 'x' AND type_name = 'session_started'"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        connection.rollback()
    assert any(SESSION_INDEX in index and '(sender_id, type_name, "timestamp")' in index for index in found)
    assert re.search(rf"Index Only Scan (Backward )?using {SESSION_INDEX}", plan), plan


def test_a_form_goes_on_through_the_balancer_when_its_replica_is_killed(cluster, kb):
    """Last in this file: it kills a replica (the supervisor starts it again)."""
    sender = "killed-" + uuid.uuid4().hex
    balancer = cluster.rasa_url
    assert "建档立卡" in say(balancer, sender, "我想问问路费能补多少")
    assert "哪里" in say(balancer, sender, "是建档立卡户")
    assert "几个月" in say(balancer, sender, "去浙江义乌了")
    cluster.kill_replica(0)
    started = time.monotonic()
    assert "车票" in say(balancer, sender, "半年")
    assert time.monotonic() - started < 10
    assert "统一组织" in say(balancer, sender, "票钱六百块")
    assert "领过" in say(balancer, sender, "自己出去的")
    result = say(balancer, sender, "没有领过")
    cap = kb.value("transport_subsidy.cap.out_of_province")
    assert f"可补{cap:g}元" in result and "车票600元" in result  # over the cap: the cap
    deadline = time.monotonic() + 180  # and the killed replica is back
    while cluster.restarts.get("rasa-1", 0) < 1 or not _up(cluster.replica_url(0), cluster.rasa_token):
        assert time.monotonic() < deadline, "the killed replica did not come back"
        time.sleep(1)


def _up(url: str, token: str) -> bool:
    try:
        return requests.get(f"{url}/status", params={"token": token}, timeout=2).status_code == 200
    except requests.RequestException:
        return False

"""Gateway → Rasa: retries only when the connection could not be opened, always within the budget."""

from __future__ import annotations

import socket
import threading
import time

from bot.gateway.rasa_client import RasaClient, normalise, parse_turn_info
from tests.gateway.standin import StandIn


def test_a_connection_refused_is_retried_until_rasa_listens(closed_port):
    """Rasa restarting: the first attempt is refused, a retry after the backoff gets through."""
    started = []
    timer = threading.Timer(0.12, lambda: started.append(StandIn(port=closed_port)))
    timer.start()
    client = RasaClient(f"http://127.0.0.1:{closed_port}", "http://127.0.0.1:1")
    turn = client.ask("web:r", "老板拖欠工资怎么办", budget=3.0)
    timer.join()
    started[0].stop()
    assert turn.error is None and turn.info["faq_key"] == "faq/unpaid_wages"
    assert len(started[0].calls) == 1


def test_rasa_stopped_fails_fast_with_a_bounded_number_of_attempts(closed_port):
    client = RasaClient(f"http://127.0.0.1:{closed_port}", "http://127.0.0.1:1")
    started = time.monotonic()
    turn = client.ask("web:r", "hi", budget=4.0)
    assert turn.error == "rasa_unreachable" and turn.replies == []
    assert time.monotonic() - started < 1.0  # three attempts and two short pauses, not the whole budget


def test_a_dropped_connection_is_not_retried():
    """The request may have reached Rasa: a second copy would be a second turn."""
    accepted = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def drop():
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                accepted.append(conn.recv(65536))
                conn.close()

        threading.Thread(target=drop, daemon=True).start()
        client = RasaClient(f"http://127.0.0.1:{listener.getsockname()[1]}", "http://127.0.0.1:1")
        turn = client.ask("web:r", "hi", budget=2.0)
    assert turn.error == "rasa_unreachable"
    assert len(accepted) == 1


def test_one_pooled_session_is_reused(upstream):
    client = RasaClient(upstream.url, upstream.url)
    session = client.session
    for _ in range(3):
        assert client.ask("web:p", "工资", budget=2.0).error is None
    assert client.session is session and client.session.adapters["http://"]._pool_maxsize == 16


def test_normalise_keeps_text_and_buttons_only():
    raw = [
        {
            "recipient_id": "x",
            "text": "答",
            "buttons": [{"title": "甲", "payload": "/a", "type": "postback"}],
        },
        {"recipient_id": "x", "image": "http://example.invalid/a.png"},
        "garbage",
    ]
    assert normalise(raw) == [{"text": "答", "buttons": [{"title": "甲", "payload": "/a"}]}]


def test_turn_info_garbled_or_missing():
    nothing = {"intent": None, "confidence": None, "faq_key": None, "actions": [], "error": False}
    assert parse_turn_info(None) == nothing
    assert parse_turn_info("not json") == nothing
    assert parse_turn_info("[1]") == nothing
    info = parse_turn_info('{"intent": "faq", "confidence": 0.9, "faq_key": "faq/x", "actions": "oops"}')
    assert info == {"intent": "faq", "confidence": 0.9, "faq_key": "faq/x", "actions": [], "error": False}

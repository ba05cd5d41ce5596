"""Gateway → Rasa: retries only when the connection could not be opened, always within the budget."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot import paths
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


WAITRESS_THREADS = int(
    re.search(r"--threads=(\d+)", (paths.REPO / "deploy/systemd/huize-gateway.service").read_text()).group(1)
)


class KeepAliveRasa:
    """An HTTP/1.1 upstream that keeps connections open and counts them; each round of requests waits
    until `together` of them are in flight at once."""

    def __init__(self, together: int) -> None:
        self.connections = 0
        self.barrier = threading.Barrier(together, timeout=10)
        counter = threading.Lock()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with counter:
                    upstream.connections += 1

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                upstream.barrier.wait()
                body = json.dumps([{"text": "好"}]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_pool_keeps_a_connection_for_every_gateway_thread(make_app):
    """As many turns at once as waitress has threads (deploy/systemd), twice: the second round reuses the
    first round's connections instead of opening new ones (a smaller pool would drop the extra ones)."""
    rasa = KeepAliveRasa(WAITRESS_THREADS)
    client = make_app(RASA_URL=rasa.url).extensions["rasa"]
    try:
        with ThreadPoolExecutor(WAITRESS_THREADS) as threads:
            for round_ in range(2):
                turns = list(
                    threads.map(
                        lambda i: client.ask(f"web:p{i}", "工资", budget=10.0), range(WAITRESS_THREADS)
                    )
                )
                assert [t.error for t in turns] == [None] * WAITRESS_THREADS, round_
                assert rasa.connections == WAITRESS_THREADS, round_
    finally:
        client.session.close()
        rasa.stop()


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
    nothing = {
        "intent": None,
        "confidence": None,
        "faq_key": None,
        "actions": [],
        "checks": None,
        "error": False,
    }
    assert parse_turn_info(None) == nothing
    assert parse_turn_info("not json") == nothing
    assert parse_turn_info("[1]") == nothing
    info = parse_turn_info('{"intent": "faq", "confidence": 0.9, "faq_key": "faq/x", "actions": "oops"}')
    assert info == {
        "intent": "faq",
        "confidence": 0.9,
        "faq_key": "faq/x",
        "actions": [],
        "checks": None,
        "error": False,
    }
    checked = parse_turn_info('{"intent": "check_job_ad", "checks": ["fee_before_work", 3], "actions": []}')
    assert checked["checks"] == ["fee_before_work", "3"]

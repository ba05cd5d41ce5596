"""A stand-in for Rasa's REST channel (and the action server's /health) on 127.0.0.1.

It speaks the contract of bot/plugins/channels.py: JSON replies, and the X-Turn-Info header when asked with
X-Want-Turn-Info. It answers a few messages from policy_kb as the real bot would, after `delay` seconds,
so the gateway's own behaviour (time budget, storage, WeChat formatting) can be tested without a model.
The real Rasa and action server are tested through the gateway in tests/e2e/test_gateway.py.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from actions.calculators import ARBITRATION
from policy_kb import kb as policy
from policy_kb.navigation import CALCULATORS

# what the real bot puts under the unpaid-wages answer (policy_kb/data/navigation.yml), and the question it
# asks when that button is tapped (actions/calculators.py): a change there changes the stand-in too
ARBITRATION_BUTTON = dict(zip(("title", "payload"), CALCULATORS["unpaid_wages"], strict=True))
ARBITRATION_QUESTION = ARBITRATION.questions[0].text


def faq(key: str, buttons: list[dict] | None = None) -> tuple[list[dict], dict]:
    info = {"intent": "faq", "confidence": 0.97, "faq_key": f"faq/{key}", "actions": ["action_answer_faq"]}
    return [{"recipient_id": "x", "text": policy.get().render(key), "buttons": buttons or []}], info


def realistic(message: str) -> tuple[list[dict], dict]:
    """What our bot says to a handful of messages."""
    if message.startswith('/faq{"topic":"'):
        return faq(message.split('"')[3])
    if message == ARBITRATION_BUTTON["payload"]:
        info = {"intent": "check_arbitration_deadline", "confidence": 1.0, "actions": ["arbitration_form"]}
        return [{"text": ARBITRATION_QUESTION}], info
    if "工资" in message:
        return faq("unpaid_wages", [ARBITRATION_BUTTON])
    if "交通" in message:
        return faq("transport_subsidy")
    info = {"intent": "nlu_fallback", "confidence": 0.3, "actions": ["action_suggest_topics"]}
    return [{"text": policy.get().render("fallback")}], info


class StandIn:
    def __init__(self, port: int = 0) -> None:
        self.delay = 0.0
        self.answer = realistic
        self.webhook_status = 200
        self.health_status = 200
        self.token = "standin-token"  # like Rasa started with --auth-token: /status needs ?token=
        self.action_server_failed = False
        self.calls: list[dict] = []  # {"sender", "message", "want_turn_info"}
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def messages(self) -> list[str]:
        return [call["message"] for call in self.calls]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                if path == "/status" and urllib.parse.parse_qs(query).get("token") != [standin.token]:
                    self._json(401, {"message": "User is not authenticated."})
                elif path in ("/status", "/health"):
                    self._json(standin.health_status, {"status": "ok", "model_file": "stand-in.tar.gz"})
                else:
                    self._json(404, {})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                want_info = bool(self.headers.get("X-Want-Turn-Info"))
                standin.calls.append(
                    {"sender": body.get("sender"), "message": body.get("message"), "want": want_info}
                )
                time.sleep(standin.delay)
                if standin.webhook_status != 200:
                    return self._json(standin.webhook_status, {"error": "stand-in failure"})
                replies, info = standin.answer(body.get("message") or "")
                info = {"faq_key": None, **info, "error": standin.action_server_failed}
                headers = {"X-Turn-Info": json.dumps(info, ensure_ascii=True)} if want_info else {}
                self._json(200, replies, headers)

            def _json(self, status: int, body: object, headers: dict | None = None) -> None:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the gateway gave up waiting (a slow-upstream test)

        return Handler

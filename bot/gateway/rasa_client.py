"""Gateway → Rasa over HTTP: one pooled session, a time budget per turn, retries only before sending.

A retry is made only when the connection could not be opened (refused, connect timeout): then Rasa has
surely not seen the message. A read timeout or a dropped connection is not retried, because Rasa may
already be answering and a second copy would be a second turn in the worker's conversation.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError

from bot.protocol import TURN_INFO_HEADER, TURN_INFO_REQUEST, WEBHOOK

CONNECT_TIMEOUT = 1.0  # loopback: a connection that takes longer will not come
RETRIES = 2
BACKOFF = 0.1  # seconds before the first retry, doubled for each further one
HEALTH_TIMEOUT = 1.5


@dataclass
class Turn:
    """What one message to Rasa gave: the replies, what the NLU understood, and what went wrong."""

    replies: list[dict] = field(default_factory=list)  # [{"text": str, "buttons": [{"title","payload"}]}]
    info: dict = field(default_factory=dict)  # intent, confidence, faq_key, actions (from X-Turn-Info)
    error: str | None = None
    latency_ms: int = 0


class RasaClient:
    """Thread-safe for the gateway's use: the session's connection pool is shared by all request threads."""

    def __init__(self, rasa_url: str, actions_url: str, pool_size: int = 16, token: str | None = None):
        self.rasa_url = rasa_url.rstrip("/")
        self.actions_url = actions_url.rstrip("/")
        self.token = token  # Rasa's --auth-token, for its HTTP API (/status); the webhook needs none
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def ask(self, sender: str, text: str, budget: float) -> Turn:
        """Send one message; never raises, a failure comes back as `Turn.error` with no replies."""
        started = time.monotonic()
        turn = Turn()
        try:
            response = self._post({"sender": sender, "message": text}, started + budget)
            response.raise_for_status()
            turn.replies = normalise(response.json())
            turn.info = parse_turn_info(response.headers.get(TURN_INFO_HEADER))
            if turn.info.get("error"):
                turn.error = "action_server"  # Rasa answered, but the action server failed
            elif not turn.replies:
                turn.error = "empty_reply"
        except requests.ConnectionError:  # includes ConnectTimeout
            turn.error = "rasa_unreachable"
        except requests.Timeout:
            turn.error = "rasa_timeout"
        except requests.HTTPError as exc:
            turn.error = f"rasa_http_{exc.response.status_code}"
        except (ValueError, TypeError):
            turn.error = "rasa_bad_reply"
        turn.latency_ms = round((time.monotonic() - started) * 1000)
        return turn

    def _post(self, body: dict, deadline: float) -> requests.Response:
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise requests.ConnectTimeout("the time budget was spent on connection attempts")
            try:
                return self.session.post(
                    self.rasa_url + WEBHOOK,
                    json=body,
                    headers={TURN_INFO_REQUEST: "1"},
                    timeout=(min(CONNECT_TIMEOUT, remaining), remaining),
                )
            except requests.ConnectionError as exc:
                if attempt >= RETRIES or not never_sent(exc):
                    raise
            time.sleep(max(0.0, min(BACKOFF * 2**attempt, deadline - time.monotonic())))
            attempt += 1

    def rasa_up(self) -> bool:
        """Rasa answers /status only once a model is loaded."""
        return self._answers(self.rasa_url + "/status", {"token": self.token} if self.token else None)

    def actions_up(self) -> bool:
        return self._answers(self.actions_url + "/health")

    def _answers(self, url: str, params: dict | None = None) -> bool:
        try:
            return self.session.get(url, params=params, timeout=HEALTH_TIMEOUT).status_code == 200
        except requests.RequestException:
            return False


def never_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection was never established, so the request cannot have reached Rasa."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    # urllib3's NewConnectionError (connection refused) is a ConnectTimeoutError subclass
    return isinstance(reason, ConnectTimeoutError)


def normalise(raw: object) -> list[dict]:
    """Rasa's REST replies as [{"text", "buttons"}]; images and custom payloads are not used by this bot."""
    if not isinstance(raw, list):
        raise ValueError("Rasa's reply is not a list")
    replies = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        buttons = [
            {"title": str(b.get("title") or ""), "payload": str(b.get("payload") or "")}
            for b in item.get("buttons") or []
            if isinstance(b, dict)
        ]
        text = item.get("text") if isinstance(item.get("text"), str) else ""
        if text or buttons:
            replies.append({"text": text, "buttons": buttons})
    return replies


def parse_turn_info(header: str | None) -> dict:
    """The X-Turn-Info header of our REST channel; missing or garbled gives empty values."""
    try:
        info = json.loads(header or "{}")
    except ValueError:
        info = {}
    info = info if isinstance(info, dict) else {}
    actions, checks = info.get("actions"), info.get("checks")
    return {
        "intent": info.get("intent"),
        "confidence": info.get("confidence"),
        "faq_key": info.get("faq_key"),
        "actions": actions if isinstance(actions, list) else [],
        "checks": [str(key) for key in checks] if isinstance(checks, list) else None,
        "error": bool(info.get("error")),
    }

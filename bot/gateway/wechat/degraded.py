"""WeChat while the database refuses writes: the worker is still answered (issue #13, item 2).

The normal flow keeps its state in SQLite (deliveries, owed answers, "更多" parts, signed query strings).
When that database fails, this module answers from memory instead: the replay check and the MsgId
dedupe of the last few minutes live in this process, Rasa is asked within the passive-reply budget,
and the first part of the answer goes back. The transcript goes to the spool like any other turn. What
is lost until the database is back: "更多" and the button numbers of that one reply.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from bot.gateway import messages, transcripts, turns
from bot.gateway.rasa_client import RasaClient
from bot.gateway.wechat import text as wechat_text
from bot.gateway.wechat.adapter import MAX_AGE_SECONDS, Incoming
from policy_kb import kb as policy

CHANNEL = "wechat"
REMEMBERED = 5000  # message ids and query strings kept; WeChat's retries come within 15 s


class Degraded:
    def __init__(self, store: transcripts.Store, rasa: RasaClient, budget: float):
        self.store = store
        self.rasa = rasa
        self.budget = budget
        self._lock = threading.Lock()
        self._queries: OrderedDict[tuple[int, str], tuple[str, float]] = OrderedDict()
        self._replies: OrderedDict[str, _Reply] = OrderedDict()

    def claim_query(self, timestamp: int, nonce: str, fingerprint: str) -> bool:
        """As wechat_state.claim_query, in memory: False when the pair came with another message."""
        now = time.time()
        with self._lock:
            while self._queries and next(iter(self._queries.values()))[1] < now - MAX_AGE_SECONDS:
                self._queries.popitem(last=False)
            first, _ = self._queries.setdefault((timestamp, nonce), (fingerprint, now))
            _bound(self._queries)
        return first == fingerprint

    def respond(self, incoming: Incoming) -> str | None:
        """The reply to one message; a copy of it (WeChat's retry) waits for, and gets, the same."""
        if incoming.kind == "event":
            return None
        with self._lock:
            reply = self._replies.get(incoming.msg_id)
            first = reply is None
            if first:
                reply = self._replies[incoming.msg_id] = _Reply()
                _bound(self._replies)
        if first:
            reply.text = self._answer(incoming)
            reply.ready.set()
        elif not reply.ready.wait(self.budget + 1.0):
            return messages.HOLDING
        return reply.text

    def _answer(self, incoming: Incoming) -> str:
        def note(text: str, action: str) -> None:
            turns.note_incoming(
                self.store, CHANNEL, incoming.openid, text, action=action, msg_id=incoming.msg_id
            )

        def say(text: str, action: str) -> str:
            turns.say(self.store, CHANNEL, incoming.openid, text, action=action, msg_id=incoming.msg_id)
            return text

        if incoming.kind == "subscribe":
            note("[关注]", "gateway_welcome")
            return say(policy.get().render("greet"), "gateway_welcome")
        if incoming.text is None:  # a picture, a voice message WeChat did not recognise…
            note(messages.NON_TEXT_LABELS.get(incoming.kind, messages.OTHER_LABEL), "gateway_please_type")
            return say(
                messages.please_type(incoming.kind),
                "gateway_please_type",
            )
        replies = turns.ask(
            self.store,
            self.rasa,
            CHANNEL,
            incoming.openid,
            incoming.text,
            budget=self.budget,
            msg_id=incoming.msg_id,
        )
        return wechat_text.parts(wechat_text.as_answer(replies).text)[0]


class _Reply:
    def __init__(self) -> None:
        self.ready = threading.Event()
        self.text = ""


def _bound(remembered: OrderedDict, limit: int = REMEMBERED) -> None:
    while len(remembered) > limit:
        remembered.popitem(last=False)

"""A WeChat user's turn: what to answer, within the few seconds WeChat waits for a passive reply.

- text (and voice with WeChat's recognition) goes to the bot; "1", "2"… pick a button of the last reply;
- the bot runs in a background thread: when it takes longer than the budget the user gets a holding
  message, and the answer is owed: it comes with the user's next message (or a retry), or at once by
  customer-service push when WECHAT_APPID + WECHAT_APPSECRET are set;
- a long answer is sent in parts, "更多" gives the next one;
- a new follower gets the greeting and the topic menu straight away, without waiting for Rasa.

Transcripts: Rasa's replies are stored when they are produced, the gateway's own replies (holding,
please type…) when they are sent. Handing over an owed answer or the next part stores the user's message
with `actions` saying so, not the same text a second time.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import sqlite_utils

from bot.gateway import messages, transcripts, turns
from bot.gateway.rasa_client import RasaClient
from bot.gateway.wechat import state as wechat_state
from bot.gateway.wechat import text as wechat_text
from bot.gateway.wechat.adapter import Incoming, WeChatAdapter
from bot.gateway.wechat.dedupe import Deliveries
from bot.gateway.wechat.degraded import Degraded
from bot.gateway.wechat.text import Answer
from policy_kb import kb as policy
from policy_kb import navigation as topics  # the greeting menu, as data

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
OWED_FOR = dt.timedelta(minutes=10)  # an older owed answer would only confuse: the next message is new
POLL_SECONDS = 0.1
# turns running at once in the background; more wait in line (and get the holding message), so a burst
# of WeChat messages cannot pile unbounded threads onto Rasa
MAX_BACKGROUND_TURNS = 16


@dataclass
class _Job:
    """A bot turn running in the background, handed over between the request thread and the worker."""

    incoming: Incoming
    text: str
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    answer: Answer | None = None
    late: bool = False  # the request thread gave up waiting and sent the holding message


class WeChatService:
    def __init__(
        self,
        adapter: WeChatAdapter,
        rasa: RasaClient,
        store: transcripts.Store,
        budget: float,
        background_budget: float,
    ):
        self.adapter = adapter
        self.rasa = rasa
        self.store = store
        self.degraded = Degraded(store, rasa, budget)  # the flow while the database refuses writes
        self.budget = budget
        self.background_budget = max(background_budget, budget)
        self.deliveries = Deliveries()
        self._pool = ThreadPoolExecutor(max_workers=MAX_BACKGROUND_TURNS, thread_name_prefix="wechat-turn")

    def respond(self, db: sqlite_utils.Database, incoming: Incoming) -> str | None:
        """The text to send back, or None for events that need no answer (unsubscribe, menu views…)."""
        if incoming.kind == "event":
            return None
        reply, first = self.deliveries.reply_once(
            db,
            incoming,
            lambda: self._reply(db, incoming),
            wait=self.budget + 1.0,  # the first copy decides after `budget`, plus its bookkeeping
            fallback=messages.HOLDING,
            failure=lambda: policy.get().render("error"),
        )
        return reply if first else self._for_a_copy(db, incoming, reply)

    def _for_a_copy(self, db: sqlite_utils.Database, incoming: Incoming, decided: str) -> str:
        """A retry of a message that got the holding message collects the answer once it is ready
        (WeChat retries only when the first reply did not reach it); otherwise the same reply again."""
        owed = wechat_state.user(db, incoming.account, incoming.openid).pending_msg_id == incoming.msg_id
        answer = wechat_state.answer_of(db, incoming.account, incoming.msg_id) if owed else None
        if decided != messages.HOLDING or answer is None:
            return decided
        first_part = self._deliver(db, incoming, answer)
        wechat_state.decide(db, incoming.account, incoming.msg_id, first_part)  # later copies: the same
        return first_part

    def _reply(self, db: sqlite_utils.Database, incoming: Incoming) -> str:
        if incoming.kind == "subscribe":
            return self._welcome(db, incoming)
        if incoming.text is None:
            return self._please_type(db, incoming)
        user = wechat_state.user(db, incoming.account, incoming.openid)
        if _owed(user):
            return self._hand_over_owed(db, incoming, user.pending_msg_id)
        if wechat_text.asks_for_more(incoming.text):
            return self._next_part(db, incoming, user.parts)
        text = wechat_text.chosen_payload(incoming.text, user.payloads) or incoming.text
        return self._ask(db, incoming, text)

    # -- replies the gateway gives itself ----------------------------------------------------------
    def _welcome(self, db: sqlite_utils.Database, incoming: Incoming) -> str:
        text, buttons = policy.get().render("greet"), topics.menu_buttons()
        _note(self.store, incoming, "[关注]", "gateway_welcome")
        turns.say(
            self.store,
            CHANNEL,
            incoming.openid,
            text,
            buttons=buttons,
            action="gateway_welcome",
            msg_id=incoming.msg_id,
        )
        return self._deliver(db, incoming, wechat_text.as_answer([{"text": text, "buttons": buttons}]))

    def _please_type(self, db: sqlite_utils.Database, incoming: Incoming) -> str:
        label = messages.NON_TEXT_LABELS.get(incoming.kind, messages.OTHER_LABEL)
        reply = messages.please_type(incoming.kind)
        _note(self.store, incoming, label, "gateway_please_type")
        return _say(self.store, incoming, reply, "gateway_please_type")

    def _next_part(self, db: sqlite_utils.Database, incoming: Incoming, parts: list[str]) -> str:
        _note(self.store, incoming, incoming.text, "gateway_next_part" if parts else "gateway_no_more")
        if not parts:
            return _say(self.store, incoming, messages.NO_MORE, "gateway_no_more")
        wechat_state.save_user(db, incoming.account, incoming.openid, parts=parts[1:])
        return parts[0]

    def _hand_over_owed(self, db: sqlite_utils.Database, incoming: Incoming, owed_msg_id: str) -> str:
        answer = self._wait_for_answer(db, incoming.account, owed_msg_id)
        _note(self.store, incoming, incoming.text, "gateway_owed_answer" if answer else "gateway_holding")
        return (
            self._deliver(db, incoming, answer)
            if answer
            else _say(self.store, incoming, messages.HOLDING, "gateway_holding")
        )

    # -- the bot turn ------------------------------------------------------------------------------
    def _ask(self, db: sqlite_utils.Database, incoming: Incoming, text: str) -> str:
        job = _Job(incoming, text)
        self._pool.submit(self._run, job)
        if not job.done.wait(self.budget):
            with job.lock:
                if job.answer is None:
                    job.late = True
                    since = transcripts.now()
                    wechat_state.save_user(
                        db,
                        incoming.account,
                        incoming.openid,
                        pending_msg_id=incoming.msg_id,
                        pending_since=since,
                    )
            if job.late:
                return _say(self.store, incoming, messages.HOLDING, "gateway_holding")
        return self._deliver(db, incoming, job.answer)

    def _run(self, job: _Job) -> None:
        """The background half of `_ask`, with the pool thread's own database connection."""
        try:
            db = self.store.db()
            answer = self._answer(db, job.incoming, job.text)
            with job.lock:
                job.answer, late = answer, job.late
            job.done.set()
            if late and self.adapter.can_push:
                self._push(db, job.incoming, answer)
        except Exception:  # noqa: BLE001 - nothing above catches it in a pool thread: log it
            logger.exception("WeChat turn %s failed", job.incoming.msg_id)

    def _answer(self, db: sqlite_utils.Database, incoming: Incoming, text: str) -> Answer:
        """Ask the bot; the answer is stored with the delivery, where a later message or retry finds it."""
        try:
            replies = turns.ask(
                self.store,
                self.rasa,
                CHANNEL,
                incoming.openid,
                text,
                budget=self.background_budget,
                msg_id=incoming.msg_id,
            )
        except Exception:  # noqa: BLE001 - e.g. the database: the worker still gets the phones
            logger.exception("WeChat turn %s failed", incoming.msg_id)
            replies = turns.failure_replies()
        answer = wechat_text.as_answer(replies)
        wechat_state.store_answer(db, incoming.account, incoming.msg_id, answer)
        return answer

    def _push(self, db: sqlite_utils.Database, incoming: Incoming, answer: Answer) -> None:
        parts = wechat_text.parts(answer.text)
        # nothing owed from the moment the push leaves: a reply typed right after it is a new question
        self._remember(db, incoming, answer.payloads, parts[1:])
        try:
            self.adapter.push_text(incoming.openid, parts[0])
        except Exception:  # noqa: BLE001 - the answer stays owed and comes with the next message
            logger.exception("customer-service push to a WeChat user failed")
            wechat_state.save_user(
                db,
                incoming.account,
                incoming.openid,
                pending_msg_id=incoming.msg_id,
                pending_since=transcripts.now(),
            )

    def _deliver(self, db: sqlite_utils.Database, incoming: Incoming, answer: Answer) -> str:
        """The first part of an answer; its buttons and remaining parts are kept for the next message."""
        parts = wechat_text.parts(answer.text)
        self._remember(db, incoming, answer.payloads, parts[1:])
        return parts[0]

    def _remember(
        self, db: sqlite_utils.Database, incoming: Incoming, payloads: list[str], parts: list[str]
    ) -> None:
        wechat_state.save_user(
            db,
            incoming.account,
            incoming.openid,
            payloads=payloads,
            parts=parts,
            pending_msg_id=None,
            pending_since=None,
        )

    def _wait_for_answer(self, db: sqlite_utils.Database, account: str, msg_id: str) -> Answer | None:
        """The owed answer, waiting up to the budget for it (it may be computed by another process)."""
        deadline = time.monotonic() + self.budget
        while True:
            answer = wechat_state.answer_of(db, account, msg_id)
            if answer is not None or time.monotonic() >= deadline:
                return answer
            time.sleep(POLL_SECONDS)


def _note(store: transcripts.Store, incoming: Incoming, text: str, action: str) -> None:
    """Store a user message the gateway answers itself; `action` says what it did."""
    turns.note_incoming(store, CHANNEL, incoming.openid, text, action=action, msg_id=incoming.msg_id)


def _say(store: transcripts.Store, incoming: Incoming, reply: str, action: str) -> str:
    """Store one of the gateway's own replies and return it."""
    turns.say(store, CHANNEL, incoming.openid, reply, action=action, msg_id=incoming.msg_id)
    return reply


def _owed(user: wechat_state.UserState) -> bool:
    if not user.pending_msg_id or not user.pending_since:
        return False
    since = dt.datetime.fromisoformat(user.pending_since)
    return dt.datetime.now(dt.timezone.utc) - since < OWED_FOR

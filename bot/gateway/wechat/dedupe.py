"""Reply to each WeChat message once, however many copies of it arrive.

WeChat delivers a message again when it has no answer after 5 s, up to three times, and the copies can
overlap with the first. The first copy claims (account, MsgId) in the database (a primary key, so the
claim also holds across worker processes) and produces the reply; every other copy waits for that reply
and returns it unchanged. The in-process Event only wakes waiters early; the database row is the truth.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import sqlite_utils

from bot.gateway.wechat import state as wechat_state
from bot.gateway.wechat.adapter import Incoming

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.1


class Deliveries:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[tuple[str, str], threading.Event] = {}

    def reply_once(
        self,
        db: sqlite_utils.Database,
        incoming: Incoming,
        produce: Callable[[], str],
        *,
        wait: float,
        fallback: str,
        failure: Callable[[], str],
    ) -> tuple[str, bool]:
        """(reply, is_first): `produce()` for the first copy; the first copy's reply for the others
        (`fallback` when it takes longer than `wait` seconds)."""
        key = (incoming.account, incoming.msg_id)
        if not wechat_state.claim(db, incoming.account, incoming.msg_id, incoming.openid):
            return self._await(db, key, wait) or fallback, False
        with self._lock:
            done = self._running[key] = threading.Event()
        reply = None
        try:
            reply = produce()
        except Exception:  # noqa: BLE001 - the worker must get an answer, the error goes to the log
            logger.exception("WeChat message %s failed", incoming.msg_id)
            reply = failure()
        finally:
            if reply is not None:
                wechat_state.decide(db, incoming.account, incoming.msg_id, reply)
            done.set()
            with self._lock:
                self._running.pop(key, None)
        return reply, True

    def _await(self, db: sqlite_utils.Database, key: tuple[str, str], wait: float) -> str | None:
        deadline = time.monotonic() + wait
        while True:
            reply = wechat_state.reply_of(db, *key)
            remaining = deadline - time.monotonic()
            if reply is not None or remaining <= 0:
                return reply
            with self._lock:
                done = self._running.get(key)
            if done is not None:
                done.wait(min(POLL_SECONDS * 3, remaining))
            else:  # the first copy is handled by another process, or has just finished
                time.sleep(min(POLL_SECONDS, remaining))

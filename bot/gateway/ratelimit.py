"""Rate limits for the chat API: token buckets in memory, per conversation and per address.

A limit is written "N/S": N requests, refilled evenly over S seconds (so a burst of N, then N per S);
"0" switches it off (the benchmarks do). Per address the limit is generous on purpose: a whole village
can reach us through one mobile carrier's NAT address. The buckets live in the gateway process: with
several gateway processes each counts its own share (README, Operations).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_KEYS = 50_000  # a flood of new keys must not grow the process without end


@dataclass(frozen=True)
class Limit:
    requests: float
    seconds: float

    @classmethod
    def parse(cls, text: str | None) -> Limit | None:
        """'20/60' → Limit(20, 60); empty or '0' → None (no limit)."""
        text = (text or "").strip()
        if text in ("", "0"):
            return None
        requests, _, seconds = text.partition("/")
        limit = cls(float(requests), float(seconds or 60))
        if limit.requests < 1 or limit.seconds <= 0:
            raise ValueError(f"a rate limit is N/S with N ≥ 1 and S > 0, not {text!r}")
        return limit


class Buckets:
    """Thread-safe token buckets, one per key, all with the same limit."""

    def __init__(self, limit: Limit | None, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, when)

    def take(self, key: str) -> float:
        """0 when the request may go ahead (one token taken), else the seconds until it could."""
        if self.limit is None:
            return 0.0
        rate = self.limit.requests / self.limit.seconds
        now = self._clock()
        with self._lock:
            tokens, when = self._buckets.get(key, (self.limit.requests, now))
            tokens = min(self.limit.requests, tokens + (now - when) * rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / rate
            if len(self._buckets) >= MAX_KEYS and key not in self._buckets:
                self._forget_full(now, rate)
            self._buckets[key] = (tokens - 1, now)
            return 0.0

    def _forget_full(self, now: float, rate: float) -> None:
        """Drop the buckets that have refilled: they hold nothing a fresh one would not."""
        full = [
            k
            for k, (tokens, when) in self._buckets.items()
            if tokens + (now - when) * rate >= self.limit.requests
        ]
        for key in full or list(self._buckets)[: MAX_KEYS // 10]:
            del self._buckets[key]


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))

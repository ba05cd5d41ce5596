"""Time for the console: transcripts store UTC ISO strings, staff think in local dates (Asia/Shanghai).

`now()` is the one place the console reads the clock, so tests can move time.
"""

from __future__ import annotations

import datetime as dt
import time
from functools import lru_cache

from flask import current_app

DEFAULT_ZONE = "Asia/Shanghai"


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def epoch() -> float:
    """Seconds, for the login delay (monotonic enough: stored in the DB and compared across processes)."""
    return time.time()


def iso(moment: dt.datetime) -> str:
    """The same shape as transcripts.now(), so stored timestamps compare as strings."""
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")


def now_iso() -> str:
    return iso(now())


@lru_cache(maxsize=8)
def _zone(name: str) -> dt.tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - no tz database on the host: China has had no DST since 1991
        return dt.timezone(dt.timedelta(hours=8), "CST")


def zone() -> dt.tzinfo:
    return _zone(current_app.config.get("ADMIN_TIMEZONE") or DEFAULT_ZONE)


def today() -> dt.date:
    return now().astimezone(zone()).date()


def day_start_utc(day: dt.date) -> str:
    """The UTC ISO string of local midnight at the start of `day`."""
    return iso(dt.datetime.combine(day, dt.time(), tzinfo=zone()))


def day_offset_modifier() -> str:
    """An SQLite date modifier turning a stored UTC time into local time ('+480 minutes')."""
    offset = now().astimezone(zone()).utcoffset() or dt.timedelta()
    return f"{int(offset.total_seconds() // 60):+d} minutes"


def parse(stamp: str | None) -> dt.datetime | None:
    if not stamp:
        return None
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def local(stamp: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    moment = parse(stamp)
    return moment.astimezone(zone()).strftime(fmt) if moment else ""


def waited(since: str | None, until: dt.datetime | None = None) -> str:
    """'3天2小时', '2小时5分', '4分钟' — how long a worker has been waiting."""
    moment = parse(since)
    if moment is None:
        return ""
    minutes = max(0, int(((until or now()) - moment).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{mins}分"
    return f"{mins}分钟"

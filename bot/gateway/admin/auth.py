"""Staff accounts, passwords, the login delay and the session.

- Passwords are hashed with werkzeug.security (scrypt); accounts are made with the CLI only.
- After a failed login the next attempt for that username, and from that address, is refused until a
  delay has passed: 0.5 s × 2^(n−1), capped (ADMIN_LOGIN_DELAY_BASE / _CAP), stored in the DB so every
  worker process sees it; failures older than ADMIN_LOGIN_FORGET_SECONDS are forgotten. Refusing
  (429 + Retry-After) instead of sleeping keeps server threads free while slowing guessing just as well.
  An address with no failures of its own waits for the username's delay ADMIN_LOGIN_NEW_ADDRESS_CAP
  seconds at most: guesses from elsewhere must not lock the real user out.
- The session lives in admin_sessions; the (signed) cookie only carries its random id. Logout deletes
  the row, a new password (CLI set-password) or a disabled account deletes all of the user's rows, and
  ADMIN_SESSION_HOURS after the login a row no longer counts: a copied cookie dies with its row.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass

import sqlite_utils
from flask import current_app, g, session
from werkzeug.security import check_password_hash, generate_password_hash

from bot.gateway import transcripts
from bot.gateway.admin import audit, clock

USERNAME = re.compile(r"^[\w.@-]{2,40}$")  # \w includes Chinese characters
MIN_PASSWORD = 10
SESSION_ID = "admin_session"


@dataclass(frozen=True)
class Staff:
    id: int
    username: str


# -- accounts -------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    # werkzeug's default (scrypt); tests may choose a cheaper method through ADMIN_PASSWORD_METHOD
    method = current_app.config.get("ADMIN_PASSWORD_METHOD") or "scrypt"
    return generate_password_hash(password, method=method)


def password_problem(username: str, password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 个字符"
    if password.strip().lower() == username.strip().lower():
        return "密码不能和用户名一样"
    return None


def create_user(db: sqlite_utils.Database, username: str, password: str) -> int:
    if not USERNAME.match(username):
        raise ValueError("用户名为 2–40 个字母、数字、汉字或 . _ - @，不含空格")
    problem = password_problem(username, password)
    if problem:
        raise ValueError(problem)
    with transcripts.writing(db):
        if find_user(db, username):
            raise ValueError(f"用户 {username} 已存在")
        user_id = (
            db["admin_users"]
            .insert(
                {
                    "username": username,
                    "password_hash": hash_password(password),
                    "active": 1,
                    "created_at": clock.now_iso(),
                }
            )
            .last_pk
        )
        audit.log(db, "cli", "user_created", username=username)
    return user_id


def set_password(db: sqlite_utils.Database, username: str, password: str) -> None:
    problem = password_problem(username, password)
    if problem:
        raise ValueError(problem)
    with transcripts.writing(db):
        user = find_user(db, username)
        if not user:
            raise ValueError(f"没有用户 {username}")
        db["admin_users"].update(user["id"], {"password_hash": hash_password(password), "active": 1})
        end_all_sessions(db, user["id"])
        audit.log(db, "cli", "password_set", username=user["username"])


def disable_user(db: sqlite_utils.Database, username: str) -> None:
    with transcripts.writing(db):
        user = find_user(db, username)
        if not user:
            raise ValueError(f"没有用户 {username}")
        db["admin_users"].update(user["id"], {"active": 0})
        end_all_sessions(db, user["id"])
        audit.log(db, "cli", "user_disabled", username=user["username"])


def find_user(db: sqlite_utils.Database, username: str) -> dict | None:
    rows = list(db.query("SELECT * FROM admin_users WHERE username = ? COLLATE NOCASE", [username]))
    return rows[0] if rows else None


def list_users(db: sqlite_utils.Database) -> list[dict]:
    return list(
        db.query("SELECT id, username, active, created_at, last_login_at FROM admin_users ORDER BY id")
    )


_DUMMY_HASHES: dict[str, str] = {}  # per hashing method: an unknown name costs what a known one does


def verify(db: sqlite_utils.Database, username: str, password: str) -> dict | None:
    """The active user when the password is right. Unknown names cost the same hashing time."""
    user = find_user(db, username) if username else None
    if user is None or not user["active"]:
        method = current_app.config.get("ADMIN_PASSWORD_METHOD") or "scrypt"
        if method not in _DUMMY_HASHES:
            _DUMMY_HASHES[method] = hash_password("not a password")
        check_password_hash(_DUMMY_HASHES[method], password)
        return None
    return user if check_password_hash(user["password_hash"], password) else None


# -- the login delay ---------------------------------------------------------------------------------


def throttle_keys(username: str, address: str | None) -> list[str]:
    return [f"user:{username.strip().lower()}", f"ip:{address or 'unknown'}"]


def delay_for(failures: int) -> float:
    """Seconds to wait after the n-th failure in a row: base × 2^(n−1), capped."""
    if failures <= 0:
        return 0.0
    config = current_app.config
    return min(config["ADMIN_LOGIN_DELAY_BASE"] * 2 ** (failures - 1), config["ADMIN_LOGIN_DELAY_CAP"])


def wait_seconds(db: sqlite_utils.Database, keys: list[str], moment: float) -> float:
    """How long until the next attempt for these keys may be checked (0 when it may be now). An address
    with no recent failures waits for the username's delay only ADMIN_LOGIN_NEW_ADDRESS_CAP at most after
    its last failure: the real user at her own desk is not locked out by guesses from elsewhere."""
    user_key, address_key = keys
    rows = {
        row[0]: (row[1], row[2])
        for row in db.execute(
            "SELECT key, last_failed_at, locked_until FROM admin_login_failures WHERE key IN (?, ?)", keys
        )
    }
    address = rows.get(address_key)
    until = address[1] if address else 0.0
    if user_key in rows:
        failed_at, locked_until = rows[user_key]
        if address is None or moment - address[0] > current_app.config["ADMIN_LOGIN_FORGET_SECONDS"]:
            locked_until = min(locked_until, failed_at + current_app.config["ADMIN_LOGIN_NEW_ADDRESS_CAP"])
        until = max(until, locked_until)
    return max(0.0, until - moment)


def retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def admit(db: sqlite_utils.Database, username: str, address: str | None) -> tuple[float, float]:
    """(wait, delay): a wait > 0 refuses this attempt unchecked (and audits the refusal); otherwise the
    attempt is counted as a failure before its password is checked, and delay is what a wrong one imposes.

    Reading the counts and counting happen in one write transaction: parallel guesses queue on the lock
    and each sees the ones admitted before it, instead of all being checked before the first fails.
    """
    keys = throttle_keys(username, address)
    moment = clock.epoch()
    forget = current_app.config["ADMIN_LOGIN_FORGET_SECONDS"]
    longest = 0.0
    with transcripts.writing(db):
        wait = wait_seconds(db, keys, moment)
        if wait > 0:
            audit.log(db, username or "?", "login_refused", address=address, retry_after=retry_after(wait))
            return wait, 0.0
        for key in keys:
            row = db.execute(
                "SELECT failures, last_failed_at FROM admin_login_failures WHERE key = ?", [key]
            ).fetchone()
            failures = 1 if row is None or moment - row[1] > forget else row[0] + 1
            delay = delay_for(failures)
            longest = max(longest, delay)
            db["admin_login_failures"].upsert(
                {"key": key, "failures": failures, "last_failed_at": moment, "locked_until": moment + delay},
                pk="key",
            )
    return 0.0, longest


def clear_failures(db: sqlite_utils.Database, username: str, address: str | None) -> None:
    """After the right password: the failure its own attempt was counted as goes with the earlier ones."""
    with transcripts.writing(db):
        db.execute("DELETE FROM admin_login_failures WHERE key IN (?, ?)", throttle_keys(username, address))


# -- the session ---------------------------------------------------------------------------------------


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _lifetime() -> float:
    return current_app.config["ADMIN_SESSION_HOURS"] * 3600


def start_session(db: sqlite_utils.Database, user: dict) -> None:
    session_id = secrets.token_urlsafe(32)
    moment = clock.epoch()
    with transcripts.writing(db):
        db.execute("DELETE FROM admin_sessions WHERE started_at <= ?", [moment - _lifetime()])  # expired
        db["admin_sessions"].insert({"id": _digest(session_id), "user_id": user["id"], "started_at": moment})
        db["admin_users"].update(user["id"], {"last_login_at": clock.now_iso()})
    session.clear()  # a fresh session at login: nothing chosen before it carries over
    session[SESSION_ID] = session_id


def end_session(db: sqlite_utils.Database, staff: str) -> None:
    """Logout: the row goes, so a copy of this cookie is worthless from now on."""
    with transcripts.writing(db):
        db.execute("DELETE FROM admin_sessions WHERE id = ?", [_digest(session[SESSION_ID])])
        audit.log(db, staff, "logout")
    session.clear()


def end_all_sessions(db: sqlite_utils.Database, user_id: int) -> None:
    """Every open session of the user, inside the caller's transaction."""
    db.execute("DELETE FROM admin_sessions WHERE user_id = ?", [user_id])


def current_staff() -> Staff | None:
    """The logged-in staff member of this request, or None (and a stale session is cleared)."""
    if "admin_staff" in g:
        return g.admin_staff
    staff = None
    session_id = session.get(SESSION_ID)
    if session_id is not None:
        row = (
            transcripts.get_db()
            .execute(
                "SELECT u.id, u.username FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id"
                " WHERE s.id = ? AND s.started_at > ? AND u.active",
                [_digest(session_id), clock.epoch() - _lifetime()],
            )
            .fetchone()
        )
        if row:
            staff = Staff(row[0], row[1])
        else:
            session.clear()
    g.admin_staff = staff
    return staff

"""Staff accounts, passwords, the login delay and the session.

- Passwords are hashed with werkzeug.security (scrypt); accounts are made with the CLI only.
- After a failed login the next attempt for that username, and from that address, is refused until a
  delay has passed: 0.5 s × 2^(n−1), capped (ADMIN_LOGIN_DELAY_BASE / _CAP), stored in the DB so every
  worker process sees it; failures older than ADMIN_LOGIN_FORGET_SECONDS are forgotten. Refusing
  (429 + Retry-After) instead of sleeping keeps server threads free while slowing guessing just as well.
- The session holds the staff id, the login time and a fingerprint of the password hash: a new password
  (CLI set-password) or a disabled account ends every open session; so does ADMIN_SESSION_HOURS.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

import sqlite_utils
from flask import current_app, g, session
from werkzeug.security import check_password_hash, generate_password_hash

from bot.gateway import transcripts
from bot.gateway.admin import audit, clock

USERNAME = re.compile(r"^[\w.@-]{2,40}$")  # \w includes Chinese characters
MIN_PASSWORD = 10
SESSION_USER = "admin_user"
SESSION_SINCE = "admin_since"
SESSION_FINGERPRINT = "admin_pw"


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
        audit.log(db, "cli", "password_set", username=user["username"])


def disable_user(db: sqlite_utils.Database, username: str) -> None:
    with transcripts.writing(db):
        user = find_user(db, username)
        if not user:
            raise ValueError(f"没有用户 {username}")
        db["admin_users"].update(user["id"], {"active": 0})
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


def wait_seconds(db: sqlite_utils.Database, keys: list[str]) -> float:
    """How long until the next attempt for these keys may be checked (0 when it may be now)."""
    placeholders = ", ".join("?" for _ in keys)
    row = db.execute(
        f"SELECT max(locked_until) FROM admin_login_failures WHERE key IN ({placeholders})", keys
    ).fetchone()
    return max(0.0, (row[0] or 0.0) - clock.epoch())


def retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def record_failure(db: sqlite_utils.Database, keys: list[str]) -> float:
    """Count one more failure for each key; returns the delay now imposed."""
    moment = clock.epoch()
    forget = current_app.config["ADMIN_LOGIN_FORGET_SECONDS"]
    longest = 0.0
    with transcripts.writing(db):
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
    return longest


def clear_failures(db: sqlite_utils.Database, keys: list[str]) -> None:
    with transcripts.writing(db):
        db.execute(
            f"DELETE FROM admin_login_failures WHERE key IN ({', '.join('?' for _ in keys)})",
            keys,
        )


# -- the session ---------------------------------------------------------------------------------------


def fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def start_session(db: sqlite_utils.Database, user: dict) -> None:
    session.clear()  # a fresh session at login: nothing chosen before it carries over
    session[SESSION_USER] = user["id"]
    session[SESSION_SINCE] = clock.epoch()
    session[SESSION_FINGERPRINT] = fingerprint(user["password_hash"])
    with transcripts.writing(db):
        db["admin_users"].update(user["id"], {"last_login_at": clock.now_iso()})


def current_staff() -> Staff | None:
    """The logged-in staff member of this request, or None (and a stale session is cleared)."""
    if "admin_staff" in g:
        return g.admin_staff
    staff = None
    user_id = session.get(SESSION_USER)
    if user_id is not None:
        rows = list(
            transcripts.get_db().query(
                "SELECT id, username, password_hash, active FROM admin_users WHERE id = ?", [user_id]
            )
        )
        user = rows[0] if rows else None
        max_age = current_app.config["ADMIN_SESSION_HOURS"] * 3600
        fresh = clock.epoch() - float(session.get(SESSION_SINCE) or 0) < max_age
        if (
            user
            and user["active"]
            and fresh
            and session.get(SESSION_FINGERPRINT) == fingerprint(user["password_hash"])
        ):
            staff = Staff(user["id"], user["username"])
        else:
            session.clear()
    g.admin_staff = staff
    return staff

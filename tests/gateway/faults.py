"""Storage faults for the gateway's tests: a database file nobody may write, and a held write lock.

Root is never refused by file permissions, so a "read-only file" is read-only for a thread whose file
accesses the kernel checks as user nobody (setfsuid: that thread only, the rest of pytest stays root).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

NOBODY = 65534
_libc = ctypes.CDLL(None, use_errno=True)


def _become_nobody_for_files() -> None:
    if os.geteuid() == 0:
        _libc.setfsgid(NOBODY)
        _libc.setfsuid(NOBODY)


@contextlib.contextmanager
def unprivileged_folder() -> Iterator[Path]:
    """A folder outside pytest's private tmp (which nobody cannot enter), owned by the test user."""
    folder = Path(tempfile.mkdtemp(prefix="huize-faults-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        os.chown(folder, NOBODY, NOBODY)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def own(folder: Path) -> None:
    """Give every file in the folder to the user the unprivileged threads act as."""
    if os.geteuid() == 0:
        for path in folder.iterdir():
            os.chown(path, NOBODY, NOBODY)


def unprivileged_threads(workers: int = 1) -> ThreadPoolExecutor:
    """Threads whose file accesses are checked as an ordinary user (so chmod 444 refuses their writes)."""
    return ThreadPoolExecutor(max_workers=workers, initializer=_become_nobody_for_files)


@contextlib.contextmanager
def read_only(db_path: Path) -> Iterator[None]:
    """The database file (and its WAL) write-protected, as a full disk's remount or a backup tool leaves it.

    Writable again afterwards with the -wal and -shm files, which SQLite creates with the database
    file's mode: an operator has to give all three back (README, Operations).
    """
    for path in _database_files(db_path):
        path.chmod(0o444)
    try:
        yield
    finally:
        for path in _database_files(db_path):
            path.chmod(0o644)


def _database_files(db_path: Path) -> list[Path]:
    return [p for p in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")) if p.exists()]


@contextlib.contextmanager
def write_lock_held(db_path: Path) -> Iterator[None]:
    """Another process's write transaction (a backup, a migration) holding the database's write lock."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()

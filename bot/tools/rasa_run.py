"""`rasa run`, as bot/tools/stack.py and the systemd unit start it: a token for its HTTP API, and no orphans.

- The API (`--enable-api`: /status, /conversations/<id>/tracker, /model/parse) needs the token in
  RASA_AUTH_TOKEN. It is passed on to Rasa's `--auth-token` here, inside the process, because a command
  line can be read by every user of the host (/proc/<pid>/cmdline) and the environment cannot.
- Sanic forks the workers from this process. Each worker is killed when this process dies, even by
  kill -9 (PR_SET_PDEATHSIG), so no worker lives on holding the port and a restart can bind it again.
- Sanic never replaces a worker that dies. When one does, this process ends the others and exits with
  WORKER_LOST, so whoever supervises Rasa (bot/tools/stack.py, systemd's Restart=on-failure) starts it afresh
  instead of leaving it at half its capacity without a word.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time

TOKEN_VARIABLE = "RASA_AUTH_TOKEN"
WORKER_LOST = 75  # EX_TEMPFAIL: try again
PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 1.0
STOP_GRACE_SECONDS = 5.0
CLEAN_EXITS = (0, -signal.SIGTERM, -signal.SIGINT)  # how a worker ends when Sanic stops it

_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send `sig` to this process when its parent (the forking thread) ends."""
    if _libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def watch_workers(expected: int, pause: float = WATCH_SECONDS, grace: float = STOP_GRACE_SECONDS) -> None:
    """Once all `expected` workers have started, exit with WORKER_LOST as soon as one of them is lost.

    A worker that was killed or crashed is lost at once. One that ended cleanly is lost only when the
    others are still running `grace` seconds later: on a normal stop Sanic ends all of them together.
    """
    seen: set = set()
    lone_since = None
    while True:
        alive = set(multiprocessing.active_children())
        seen |= alive
        dead = seen - alive
        if len(seen) >= expected and dead:
            killed = any(p.exitcode not in CLEAN_EXITS for p in dead)
            lone_since = lone_since or time.monotonic()
            if killed or (alive and time.monotonic() - lone_since > grace):
                print(
                    f"rasa_run: a Rasa worker died ({len(alive)} of {expected} left); exiting for a restart",
                    flush=True,
                )
                for process in alive:
                    process.kill()
                os._exit(WORKER_LOST)
        time.sleep(pause)


# TensorFlow's lite converter imports JAX if it is installed (TensorFlow 2.12 depends on it) for a
# conversion Rasa never does: 31 MB of shared-library pages in Rasa's main process alone (smaps, #15)
UNUSED_MODULES = ("jax", "jaxlib")


def skip_unused_imports() -> None:
    """Make `import jax` fail in this process, as if it were not installed: TensorFlow then goes on
    without it (tensorflow/lite/python/util.py catches the ImportError)."""
    for name in UNUSED_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def arguments(argv: list[str], token: str | None) -> list[str]:
    """Rasa's own command line, with the token added when there is one."""
    return ["rasa", *argv, *(["--auth-token", token] if token else [])]


def main(argv: list[str] | None = None) -> None:
    token = os.environ.pop(TOKEN_VARIABLE, None)  # the services Rasa starts do not need to see it
    os.register_at_fork(after_in_child=die_with_parent)
    workers = int(os.environ.get("SANIC_WORKERS", "1"))
    if workers > 1:
        threading.Thread(target=watch_workers, args=(workers,), daemon=True, name="watch-workers").start()
    sys.argv = arguments(sys.argv[1:] if argv is None else argv, token)
    skip_unused_imports()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()

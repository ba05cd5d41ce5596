"""Start the action server, the Rasa server and (optionally) the gateway, on loopback only.

One place for the three command lines and their environment, used by `make run` (`python -m bot.tools.stack`),
the test fixtures and the benchmarks.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot import paths
from bot.gateway import settings
from bot.tools import rasa_run

HOST = "127.0.0.1"
# Rasa's Sanic worker processes, forked after the imports: one per core of the county server (2).
# More than one needs the shared lock store of endpoints.yml. See README, "Performance".
RASA_WORKERS = 2
GATEWAY_THREADS = 16
# a service that exits is started again after BACKOFF_FIRST s, doubled per failure up to BACKOFF_MAX;
# one that ran STABLE_SECONDS before it failed starts again from BACKOFF_FIRST
WATCH_SECONDS = 0.5
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
STABLE_SECONDS = 120.0


def rasa_workers() -> int:
    """How many Rasa workers to start: RASA_WORKERS from the environment, else RASA_WORKERS above."""
    return int(os.environ.get("RASA_WORKERS", RASA_WORKERS))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def service_env(actions_port: int, tracker_db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ACTION_ENDPOINT_URL=f"http://{HOST}:{actions_port}/webhook",
        TRACKER_DIALECT="sqlite",
        TRACKER_HOST="",
        TRACKER_DB=str(tracker_db),
        LOCK_DB=str(tracker_db.with_name("locks.db")),
        SANIC_WORKERS=str(rasa_workers()),
        SANIC_HOST=HOST,  # rasa-sdk binds to 0.0.0.0 unless told otherwise
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        TF_CPP_MIN_LOG_LEVEL="2",
        RASA_TELEMETRY_ENABLED="false",
        PYTHONPATH=str(paths.REPO),
    )
    return env


def wait_until_ready(url: str, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with code {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (Rasa's Sanic workers are children of the Rasa process)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def _own_group_dying_with_parent() -> None:
    """In the child before exec: the service's process tree is its own group (stop() signals the whole
    group: Rasa's workers too), and it is ended when the stack dies, even by kill -9."""
    rasa_run.die_with_parent(signal.SIGTERM)


@dataclass
class Stack:
    """The running services (by name: actions, rasa, gateway), kept running: one that exits is started
    again alone, after a pause that doubles while it keeps failing. `stop()` ends every process tree."""

    rasa_port: int
    actions_port: int
    gateway_port: int | None = None
    rasa_token: str = ""
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    launchers: dict[str, Callable[[], subprocess.Popen]] = field(default_factory=dict, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _watcher: threading.Thread | None = field(default=None, repr=False)

    @property
    def rasa_url(self) -> str:
        return f"http://{HOST}:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://{HOST}:{self.actions_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{HOST}:{self.gateway_port}"

    @property
    def webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def launch(self, name: str) -> None:
        self.processes[name] = self.launchers[name]()

    def supervise(self) -> None:
        """Watch the services from a thread of their own until stop()."""
        self._watcher = threading.Thread(target=self._watch, name="stack-supervisor", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        failures = dict.fromkeys(self.processes, 0)
        started = dict.fromkeys(self.processes, time.monotonic())
        while not self._stopping.wait(WATCH_SECONDS):
            for name, process in list(self.processes.items()):
                if process.poll() is None:
                    continue
                _end_group(process, signal.SIGKILL)  # workers a crash left behind would hold the port
                if time.monotonic() - started[name] > STABLE_SECONDS:
                    failures[name] = 0
                pause = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** failures[name])
                failures[name] += 1
                print(
                    f"{name} exited with code {process.returncode}; restarting it in {pause:g} s",
                    file=sys.stderr,
                    flush=True,
                )
                if self._stopping.wait(pause):
                    return
                with self._lock:
                    if self._stopping.is_set():
                        return
                    self.launch(name)
                    self.restarts[name] = self.restarts.get(name, 0) + 1
                started[name] = time.monotonic()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:  # never while a restart is half done
            for process in reversed(list(self.processes.values())):
                if process.poll() is None:
                    _end_group(process, signal.SIGTERM)
            for process in self.processes.values():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=20)
                _end_group(process, signal.SIGKILL)  # whatever of the tree is left


def _end_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the whole group is gone already
        os.killpg(process.pid, sig)
    if sig == signal.SIGKILL:
        process.wait()


def launcher(
    command: list[str], env: dict[str, str], log: Path, preexec: Callable[[], None] | None = None
) -> Callable[[], subprocess.Popen]:
    """What starts one service (again, when the supervisor restarts it): its own process group, which
    ends when the stack dies, its output appended to `log`. `preexec`: run first in the child (a user
    change, say)."""

    def child_setup() -> None:
        if preexec:
            preexec()
        _own_group_dying_with_parent()  # after a user change: changing user clears the death signal

    def launch() -> subprocess.Popen:
        with log.open("ab") as out:
            return subprocess.Popen(
                command,
                cwd=paths.REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=child_setup,  # noqa: PLW1509 - no threads in the child yet
            )

    return launch


def commands(stack: Stack, model: Path, endpoints: Path | None = None) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    found = {
        "actions": [
            str(bin_dir / "rasa"),
            "run",
            "actions",
            "--actions",
            "actions",
            "--port",
            str(stack.actions_port),
        ],
        "rasa": [  # bot/tools/rasa_run.py: rasa run with the API token from the environment, workers tied to it
            sys.executable,
            "-m",
            "bot.tools.rasa_run",
            "run",
            "--enable-api",
            "--model",
            str(model),
            "--endpoints",
            str(endpoints or paths.endpoints()),
            "--credentials",
            str(paths.CREDENTIALS),
            "--interface",
            HOST,
            "--port",
            str(stack.rasa_port),
        ],
    }
    if stack.gateway_port:  # the chat page, chat API and WeChat endpoint under waitress
        found["gateway"] = [
            str(bin_dir / "waitress-serve"),
            f"--listen={HOST}:{stack.gateway_port}",
            f"--threads={GATEWAY_THREADS}",
            "bot.gateway.wsgi:app",
        ]
    return found


def rasa_token() -> str:
    """The instance's token for Rasa's HTTP API: the gateway of `make run` reads the same file."""
    return settings.secret_key(settings.INSTANCE, settings.RASA_TOKEN_FILE)


def start(
    model: Path,
    tracker_db: Path,
    rasa_port: int | None = None,
    actions_port: int | None = None,
    log_dir: Path | None = None,
    gateway_port: int | None = None,
    transcripts_db: Path | None = None,
    token: str | None = None,
) -> Stack:
    """Start the servers, wait until Rasa has loaded the model (and the gateway answers, if asked:
    `gateway_port=0` picks a free port), then keep them running. `token`: Rasa's API token (default:
    the instance's)."""
    stack = Stack(rasa_port or free_port(), actions_port or free_port(), rasa_token=token or rasa_token())
    if gateway_port is not None:
        stack.gateway_port = gateway_port or free_port()
    env = service_env(stack.actions_port, tracker_db)
    environments = {
        "actions": env,
        "rasa": dict(env, **{rasa_run.TOKEN_VARIABLE: stack.rasa_token}),
        "gateway": dict(
            env, RASA_URL=stack.rasa_url, ACTIONS_URL=stack.actions_url, RASA_TOKEN=stack.rasa_token
        ),
    }
    if transcripts_db:
        environments["gateway"]["TRANSCRIPTS_DB"] = str(transcripts_db)
    log_dir = log_dir or paths.VAR / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        for name, command in commands(stack, model).items():
            stack.launchers[name] = launcher(
                command, environments[name], log_dir / f"{name}-{stack.rasa_port}.log"
            )
            stack.launch(name)
        wait_until_ready(f"{stack.actions_url}/health", stack.processes["actions"])
        wait_until_ready(f"{stack.rasa_url}/status?token={stack.rasa_token}", stack.processes["rasa"])
        if stack.gateway_port:
            wait_until_ready(f"{stack.gateway_url}/healthz", stack.processes["gateway"])
    except BaseException:
        stack.stop()
        raise
    stack.supervise()
    return stack


BANNER = """
会泽务工助手 is running.
  Chat page:   {gateway}/   (open it in a phone-sized window)
  Chat API:    curl -s -XPOST {gateway}/api/messages \\
                 -H 'Content-Type: application/json' -d '{{"sender":"me","message":"老板拖欠工资怎么办"}}'
  Helpdesk:    {gateway}/admin/   (staff accounts: .venv/bin/flask --app bot admin create-user NAME)
  Rasa REST:   {webhook} (same JSON)
  Conversations: {tracker} (Rasa), {transcripts} (every turn, personal data masked)
  Logs: {logs}/   Ctrl-C stops everything.
"""


def main(argv: list[str] | None = None) -> int:
    """`make run`: the three services on fixed ports, each restarted when it fails, until Ctrl-C (or TERM)
    stops them all."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    parser.add_argument("--actions-port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055)))
    parser.add_argument("--gateway-port", type=int, default=int(os.environ.get("GATEWAY_PORT", 8000)))
    args = parser.parse_args(argv)

    from bot.tools.train import model_path

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # TERM stops everything, as Ctrl-C does
    logs = paths.VAR / "logs"
    tracker = Path(os.environ.get("TRACKER_DB") or paths.VAR / "tracker.db")
    transcripts = Path(os.environ.get("TRANSCRIPTS_DB") or paths.VAR / "transcripts.db")
    workers = rasa_workers()
    print(
        f"starting the action server (:{args.actions_port}), Rasa (:{args.rasa_port}, {workers} workers) "
        f"and the gateway (:{args.gateway_port}); logs in {logs}/",
        flush=True,
    )
    stack = None
    try:
        stack = start(
            model_path(),
            tracker_db=tracker,
            rasa_port=args.rasa_port,
            actions_port=args.actions_port,
            log_dir=logs,
            gateway_port=args.gateway_port,
            transcripts_db=transcripts,
        )
        print(
            BANNER.format(
                gateway=stack.gateway_url,
                webhook=stack.webhook,
                tracker=tracker,
                transcripts=transcripts,
                logs=logs,
            ),
            flush=True,
        )
        while True:  # the supervisor restarts a service that fails; this thread only waits for Ctrl-C
            time.sleep(3600)
    except KeyboardInterrupt:  # Ctrl-C is the normal way to stop: not an error
        return 0
    except (RuntimeError, TimeoutError) as error:
        print(f"a service failed to start ({error}); see {logs}/", file=sys.stderr)
        return 1
    finally:
        if stack:
            print("\nstopping…", flush=True)
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())

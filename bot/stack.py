"""Start the action server, the Rasa server and (optionally) the gateway, on loopback only.

One place for the three command lines and their environment, used by `make run` (`python -m bot.stack`),
the test fixtures and the benchmarks.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot import paths

HOST = "127.0.0.1"
# Rasa's Sanic worker processes, forked after the imports: one per core of the county server (2).
# More than one needs the shared lock store of endpoints.yml. See README, "Performance".
RASA_WORKERS = 2
GATEWAY_THREADS = 16


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


@dataclass
class Stack:
    """The running services (by name: actions, rasa, gateway); `stop()` ends them all."""

    rasa_port: int
    actions_port: int
    gateway_port: int | None = None
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

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

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def commands(stack: Stack, model: Path) -> dict[str, list[str]]:
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
        "rasa": [
            str(bin_dir / "rasa"),
            "run",
            "--enable-api",
            "--model",
            str(model),
            "--endpoints",
            str(paths.ENDPOINTS),
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


def start(
    model: Path,
    tracker_db: Path,
    rasa_port: int | None = None,
    actions_port: int | None = None,
    log_dir: Path | None = None,
    gateway_port: int | None = None,
    transcripts_db: Path | None = None,
) -> Stack:
    """Start the servers and wait until Rasa has loaded the model (and the gateway answers, if asked:
    `gateway_port=0` picks a free port)."""
    stack = Stack(rasa_port or free_port(), actions_port or free_port())
    if gateway_port is not None:
        stack.gateway_port = gateway_port or free_port()
    env = service_env(stack.actions_port, tracker_db)
    gateway_env = dict(env, RASA_URL=stack.rasa_url, ACTIONS_URL=stack.actions_url)
    if transcripts_db:
        gateway_env["TRANSCRIPTS_DB"] = str(transcripts_db)
    log_dir = log_dir or paths.VAR / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        for name, command in commands(stack, model).items():
            log = (log_dir / f"{name}-{stack.rasa_port}.log").open("wb")
            stack.processes[name] = subprocess.Popen(
                command,
                cwd=paths.REPO,
                env=gateway_env if name == "gateway" else env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_ready(f"{stack.actions_url}/health", stack.processes["actions"])
        wait_until_ready(f"{stack.rasa_url}/status", stack.processes["rasa"])
        if stack.gateway_port:
            wait_until_ready(f"{stack.gateway_url}/healthz", stack.processes["gateway"])
    except BaseException:
        stack.stop()
        raise
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
    """`make run`: the three services on fixed ports until Ctrl-C (or TERM) stops them all."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    parser.add_argument("--actions-port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055)))
    parser.add_argument("--gateway-port", type=int, default=int(os.environ.get("GATEWAY_PORT", 8000)))
    args = parser.parse_args(argv)

    from bot.train import model_path

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
        while True:
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    print(f"{name} stopped unexpectedly; see {logs}/", file=sys.stderr)
                    return 1
            time.sleep(0.5)
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

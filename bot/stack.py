"""Start the action server and the Rasa server as child processes, on loopback only.

Used by the test fixtures and the benchmarks; scripts/run.sh does the same from the shell.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot import paths

HOST = "127.0.0.1"


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


@dataclass
class Stack:
    """A running action server + Rasa server; `stop()` ends both."""

    rasa_port: int
    actions_port: int
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def rasa_url(self) -> str:
        return f"http://{HOST}:{self.rasa_port}"

    @property
    def webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def start(
    model: Path,
    tracker_db: Path,
    rasa_port: int | None = None,
    actions_port: int | None = None,
    log_dir: Path | None = None,
) -> Stack:
    """Start both servers and wait until Rasa has loaded the model."""
    stack = Stack(rasa_port or free_port(), actions_port or free_port())
    env = service_env(stack.actions_port, tracker_db)
    log_dir = log_dir or paths.VAR / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    commands = {
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
    try:
        for name, command in commands.items():
            log = (log_dir / f"{name}-{stack.rasa_port}.log").open("wb")
            stack.processes.append(
                subprocess.Popen(command, cwd=paths.REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
            )
        wait_until_ready(f"http://{HOST}:{stack.actions_port}/health", stack.processes[0])
        wait_until_ready(f"{stack.rasa_url}/status", stack.processes[1])
    except Exception:
        stack.stop()
        raise
    return stack

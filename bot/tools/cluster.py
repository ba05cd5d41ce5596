"""The multi-machine configuration, all on this machine: Redis, PostgreSQL, nginx, N Rasa replicas and N
action servers, for the scale test and `make bench`. Production runs the same pieces on several machines
(README, "Beyond one machine"); `python -m bot.tools.cluster nginx-conf` renders the balancer's configuration.

Every server binds 127.0.0.1 on a free port, keeps its files in one temporary folder, and is supervised
like the embedded stack (bot/tools/stack.py): one that exits is started again alone.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot import paths
from bot.tools import rasa_run
from bot.tools.stack import (
    HOST,
    Stack,
    commands,
    free_port,
    launcher,
    rasa_token,
    service_env,
    wait_until_ready,
)

NGINX_TEMPLATE = paths.REPO / "deploy" / "nginx" / "huize.conf.template"
PACKAGES = {"redis-server": "redis-server", "nginx": "nginx", "initdb": "postgresql"}
PG_USER = "huize"  # the database role and database the replicas use
REDIS_DB = 1


class Unavailable(RuntimeError):
    """A server this configuration needs is not installed and cannot be installed here."""


def postgres_bin(name: str) -> str | None:
    """Debian keeps PostgreSQL's server programs out of PATH, under /usr/lib/postgresql/<version>/bin."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else shutil.which(name)


def _program(name: str) -> str | None:
    if name == "initdb":
        return postgres_bin("initdb")
    return shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)


def ensure_servers(install: bool = True) -> dict[str, str]:
    """The paths of redis-server, nginx and PostgreSQL's initdb; installs Debian's packages for the missing
    ones when it can (as root, with apt-get). Raises Unavailable with the reason when it cannot."""
    missing = [package for name, package in PACKAGES.items() if not _program(name)]
    if missing and install:
        if os.geteuid() != 0:
            raise Unavailable(f"not installed: {', '.join(missing)}; installing needs root (apt-get)")
        if not shutil.which("apt-get"):
            raise Unavailable(f"not installed: {', '.join(missing)}; no apt-get on this machine")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        install_command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
        done = subprocess.run(install_command, env=env, capture_output=True, text=True)
        if done.returncode:  # the package lists may be stale: refresh them once and try again
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
            done = subprocess.run(install_command, env=env, capture_output=True, text=True)
        if done.returncode:
            raise Unavailable(f"apt-get could not install {', '.join(missing)}: {done.stderr[-400:]}")
        _stop_package_services()
    found = {name: _program(name) for name in PACKAGES}
    if not all(found.values()):
        raise Unavailable("not installed: " + ", ".join(PACKAGES[n] for n, p in found.items() if not p))
    return found  # type: ignore[return-value]


def _stop_package_services() -> None:
    """Debian's packages start their own servers on the default ports: not ours, and not wanted."""
    for service in ("redis-server", "nginx", "postgresql"):
        subprocess.run(["service", service, "stop"], capture_output=True)


def render_nginx(rasa: list[str], actions: list[str], rasa_listen: str, actions_listen: str) -> str:
    """deploy/nginx/huize.conf.template with the replicas' and action servers' addresses filled in."""

    def servers(addresses: list[str]) -> str:
        return "\n    ".join(f"server {address} max_fails=1 fail_timeout=10s;" for address in addresses)

    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    for key, value in {
        "@RASA_SERVERS@": servers(rasa),
        "@ACTIONS_SERVERS@": servers(actions),
        "@RASA_LISTEN@": rasa_listen,
        "@ACTIONS_LISTEN@": actions_listen,
    }.items():
        text = text.replace(key, value)
    return text


def redis_command(program: str, port: int, folder: Path) -> list[str]:
    """redis-server on loopback, in the foreground, keeping nothing on disk (locks live a minute)."""
    return [program, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"] + [
        "--dir",
        str(folder),
        "--daemonize",
        "no",
    ]


def _as_user(name: str) -> Callable[[], None] | None:
    """In the child: become `name` (PostgreSQL refuses to run as root); None when not root."""
    if os.geteuid() != 0:
        return None
    account = pwd.getpwnam(name)

    def become() -> None:
        os.setgid(account.pw_gid)
        os.setuid(account.pw_uid)

    return become


def _server_user() -> str:
    """The account PostgreSQL runs as when we are root: Debian's postgres, else nobody."""
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise Unavailable("no unprivileged account to run PostgreSQL as")


@dataclass
class Cluster(Stack):
    """The stack of the multi-machine configuration: `rasa_port` and `actions_port` are the balancer's."""

    replica_ports: list[int] = field(default_factory=list)
    action_ports: list[int] = field(default_factory=list)
    redis_port: int = 0
    postgres_port: int = 0
    base: Path | None = None
    postgres_dir: Path | None = None

    def replica_url(self, index: int) -> str:
        return f"http://{HOST}:{self.replica_ports[index]}"

    def kill_replica(self, index: int) -> int:
        """kill -9 one replica's whole process tree and wait until it is gone (the supervisor starts it
        again); its pid."""
        process = self.processes[f"rasa-{index + 1}"]
        os.killpg(process.pid, 9)
        process.wait(30)
        return process.pid

    def stop(self) -> None:
        super().stop()
        if self.postgres_dir:
            shutil.rmtree(self.postgres_dir, ignore_errors=True)


def _wait_for(check: Callable[[], bool], process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not come up within {timeout:.0f} s")


def start(
    model: Path,
    base: Path,
    replicas: int = 2,
    workers_per_replica: int = 1,
    gateway_port: int | None = None,
    transcripts_db: Path | None = None,
    token: str | None = None,
) -> Cluster:
    """Start Redis, PostgreSQL, `replicas` action servers and Rasa replicas behind nginx (and the gateway
    in front of nginx when `gateway_port` is given, 0 for a free one), with files under `base`."""
    import redis

    programs = ensure_servers()
    base.mkdir(parents=True, exist_ok=True)
    logs = base / "logs"
    logs.mkdir(exist_ok=True)
    cluster = Cluster(
        free_port(),
        free_port(),
        rasa_token=token or rasa_token(),
        replica_ports=[free_port() for _ in range(replicas)],
        action_ports=[free_port() for _ in range(replicas)],
        redis_port=free_port(),
        postgres_port=free_port(),
        base=base,
    )
    if gateway_port is not None:
        cluster.gateway_port = gateway_port or free_port()

    def add(name: str, command: list[str], env: dict[str, str], preexec: Callable[[], None] | None = None):
        cluster.launchers[name] = launcher(command, env, logs / f"{name}.log", preexec)
        cluster.launch(name)
        return cluster.processes[name]

    plain = dict(os.environ)
    try:
        # Redis: the conversation locks; nothing to keep on disk
        redis_dir = base / "redis"
        redis_dir.mkdir(exist_ok=True)
        server = add("redis", redis_command(programs["redis-server"], cluster.redis_port, redis_dir), plain)
        client = redis.Redis(host=HOST, port=cluster.redis_port, socket_timeout=2)
        _wait_for(client.ping, server, "redis-server")

        # PostgreSQL: the conversations, in a cluster of its own made by initdb as an unprivileged user
        database = _start_postgres(cluster, base, add)

        env = service_env(cluster.actions_port, base / "unused-tracker.db")
        for key in ("TRACKER_DB", "LOCK_DB", "TRACKER_DIALECT"):
            env.pop(key)
        env.update(
            ACTION_ENDPOINT_URL=f"http://{HOST}:{cluster.actions_port}/webhook",  # through nginx
            TRACKER_HOST=HOST,
            TRACKER_PORT=str(cluster.postgres_port),
            TRACKER_DB=database,
            TRACKER_USER=PG_USER,
            TRACKER_PASSWORD="",
            REDIS_HOST=HOST,
            REDIS_PORT=str(cluster.redis_port),
            REDIS_DB=str(REDIS_DB),
            REDIS_PASSWORD="",
            SANIC_WORKERS=str(workers_per_replica),
        )
        for index, port in enumerate(cluster.action_ports, 1):
            single = Stack(0, port)
            add(f"actions-{index}", commands(single, model)["actions"], env)
        for index, port in enumerate(cluster.replica_ports, 1):
            single = Stack(port, cluster.actions_port)
            command = commands(single, model, endpoints=paths.CLUSTER_ENDPOINTS)["rasa"]
            add(f"rasa-{index}", command, dict(env, **{rasa_run.TOKEN_VARIABLE: cluster.rasa_token}))

        _start_nginx(cluster, base, programs["nginx"], add)
        for index, port in enumerate(cluster.action_ports, 1):
            wait_until_ready(f"http://{HOST}:{port}/health", cluster.processes[f"actions-{index}"])
        for index in range(replicas):
            wait_until_ready(
                f"{cluster.replica_url(index)}/status?token={cluster.rasa_token}",
                cluster.processes[f"rasa-{index + 1}"],
            )
        wait_until_ready(f"{cluster.rasa_url}/status?token={cluster.rasa_token}", cluster.processes["nginx"])
        if cluster.gateway_port:
            gateway_env = dict(
                env,
                RASA_URL=cluster.rasa_url,
                ACTIONS_URL=cluster.actions_url,
                RASA_TOKEN=cluster.rasa_token,
                TRANSCRIPTS_DB=str(transcripts_db or base / "transcripts.db"),
            )
            add("gateway", commands(cluster, model)["gateway"], gateway_env)
            wait_until_ready(f"{cluster.gateway_url}/healthz", cluster.processes["gateway"])
    except BaseException:
        cluster.stop()
        raise
    cluster.supervise()
    return cluster


def _start_postgres(cluster: Cluster, base: Path, add: Callable) -> str:
    import psycopg2

    user = _server_user() if os.geteuid() == 0 else None
    become = _as_user(user) if user else None
    if cluster.postgres_dir is None:  # its own folder in /tmp: the test's folders are root's alone
        cluster.postgres_dir = Path(tempfile.mkdtemp(prefix="huize-pg-"))
    data = cluster.postgres_dir
    if not (data / "PG_VERSION").exists():
        if user:
            account = pwd.getpwnam(user)
            os.chown(data, account.pw_uid, account.pw_gid)
        done = subprocess.run(
            [
                postgres_bin("initdb"),
                "-D",
                str(data),
                "-U",
                PG_USER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
            ],
            preexec_fn=become,  # noqa: PLW1509 - no threads in the child yet
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr[-600:]}")
    server = add(
        "postgres",
        [postgres_bin("postgres"), "-D", str(data), "-p", str(cluster.postgres_port)]
        + ["-c", f"listen_addresses={HOST}", "-c", f"unix_socket_directories={data}"]
        # like SQLite's synchronous=NORMAL in the embedded store: a crash may lose the last moment's
        # writes, never consistency (README, "Beyond one machine")
        + ["-c", "synchronous_commit=off", "-c", "max_connections=200"],
        dict(os.environ),
        become,
    )

    def connect():
        return psycopg2.connect(host=HOST, port=cluster.postgres_port, user=PG_USER, dbname="postgres")

    _wait_for(lambda: connect().close() is None, server, "postgres")
    connection = connect()
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_USER,))
        if not cursor.fetchone():
            cursor.execute(f"CREATE DATABASE {PG_USER}")
    connection.close()
    return PG_USER


def _start_nginx(cluster: Cluster, base: Path, program: str, add: Callable) -> None:
    prefix = base / "nginx"
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    os.chmod(prefix / "tmp", 0o777)  # noqa: S103 - nginx's workers run as nobody when we are root
    site = render_nginx(
        rasa=[f"{HOST}:{port}" for port in cluster.replica_ports],
        actions=[f"{HOST}:{port}" for port in cluster.action_ports],
        rasa_listen=f"{HOST}:{cluster.rasa_port}",
        actions_listen=f"{HOST}:{cluster.actions_port}",
    )
    (prefix / "huize.conf").write_text(site, encoding="utf-8")
    tmp = prefix / "tmp"
    main = f"""worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {prefix}/huize.conf;
}}
"""
    (prefix / "nginx.conf").write_text(main, encoding="utf-8")
    add(
        "nginx",
        [program, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr", "-g", "daemon off;"],
        dict(os.environ),
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.tools.cluster nginx-conf --rasa A:5005,B:5005 --actions A:5055,B:5055 --listen 10.0.0.10`
    prints the balancer's site file for /etc/nginx/conf.d/huize.conf; `ensure` installs the servers."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    conf = sub.add_parser("nginx-conf", help="print the nginx site file for these replicas")
    conf.add_argument("--rasa", required=True, help="the Rasa replicas, host:port,host:port")
    conf.add_argument("--actions", required=True, help="the action servers, host:port,host:port")
    conf.add_argument("--listen", default="127.0.0.1", help="the balancer's own address")
    conf.add_argument("--rasa-port", type=int, default=5005)
    conf.add_argument("--actions-port", type=int, default=5055)
    sub.add_parser("ensure", help="install Debian's redis-server, nginx and postgresql when missing")
    args = parser.parse_args(argv)
    if args.command == "ensure":
        try:
            found = ensure_servers()
        except Unavailable as why:
            print(f"the multi-machine tests will be skipped: {why}", file=sys.stderr)
            return 0
        print("servers for the multi-machine configuration: " + ", ".join(found.values()))
        return 0
    sys.stdout.write(
        render_nginx(
            rasa=args.rasa.split(","),
            actions=args.actions.split(","),
            rasa_listen=f"{args.listen}:{args.rasa_port}",
            actions_listen=f"{args.listen}:{args.actions_port}",
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

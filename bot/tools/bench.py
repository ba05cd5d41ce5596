"""`make bench`: latency, throughput, CPU per message, memory, cold start and training time.

Two configurations in one run, one after the other on this machine:
- embedded: the action server, Rasa (2 workers) and the gateway with SQLite files (`make run`);
- cluster: the multi-machine configuration (bot/tools/cluster.py): 2 Rasa replicas of 1 worker and 2 action
  servers behind nginx, PostgreSQL and Redis, the gateway at nginx.
Each plays worker conversations (FAQ questions, multi-turn calculator forms, out-of-scope messages) at
1, 10 and 50 concurrent conversations, through the gateway and directly to Rasa (or nginx). Every level
is bounded in messages and seconds. The CPU each service used during the gateway level at 10 concurrent,
per message, is the capacity model's input (README, "Capacity"). Writes reports/bench.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from bot import paths
from bot.tools import stack as services

REPORTS = paths.REPO / "reports"
FAQ = [
    "老板拖欠工资怎么办",
    "外出务工交通补助标准是多少",
    "找工作怎么防止被骗",
    "咨询热线电话是多少",
    "县里哪个部门牵头组织外出务工",
    "雨露计划补助多少",
    "发现单位违法用工找哪个举报",
    "创业担保贷款能贷多少",
]
FORM = ["帮我算下交通补助", "是的", "克宣威", "干了4个月", "两百五", "自己出去的", "没领过"]
OUT_OF_SCOPE = ["明天会下雨吗", "给我讲个笑话", "身份证丢了在哪补办"]


def conversation(rng: random.Random) -> list[str]:
    """One worker's turns: mostly single questions, some forms, some out of scope."""
    roll = rng.random()
    if roll < 0.6:
        return [rng.choice(FAQ)]
    if roll < 0.85:
        return list(FORM)
    return [rng.choice(OUT_OF_SCOPE)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run_level(url: str, users: int, max_messages: int, max_seconds: float, seed: int) -> dict:
    """`users` concurrent conversations until max_messages were sent or max_seconds passed."""
    from policy_kb import kb as policy

    failure = policy.get().render("error")
    latencies: list[float] = []
    errors = 0
    sent = 0
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds

    def worker(index: int) -> None:
        nonlocal errors, sent
        rng = random.Random(seed * 1000 + index)
        session = requests.Session()
        while time.monotonic() < deadline:
            sender = f"bench-{uuid.uuid4().hex[:12]}"
            for message in conversation(rng):
                with lock:
                    if sent >= max_messages or time.monotonic() >= deadline:
                        return
                    sent += 1
                start = time.perf_counter()
                try:
                    reply = session.post(url, json={"sender": sender, "message": message}, timeout=30)
                    # the gateway's "service is busy, call these phones" reply is a failure, not an answer
                    ok = (
                        reply.status_code == 200
                        and bool(reply.json())
                        and reply.json()[0].get("text") != failure
                    )

                except requests.RequestException:
                    ok = False
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    errors += 0 if ok else 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(users)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + 60)
    wall = time.perf_counter() - began
    return {
        "users": users,
        "messages": len(latencies),
        "errors": errors,
        "seconds": round(wall, 2),
        "throughput_per_s": round(len(latencies) / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(latencies, 0.50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "mean_ms": round(statistics.mean(latencies), 1) if latencies else None,
    }


def memory_mb(pid: int) -> dict[str, float]:
    """Peak resident set (VmHWM) and proportional set (PSS: shared pages split between their users)."""
    values = {}
    for name, key in (("status", "VmHWM:"), ("smaps_rollup", "Pss:")):
        try:
            for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                if line.startswith(key):
                    values[key.rstrip(":")] = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            pass
    return {"peak_rss": values.get("VmHWM", 0.0), "pss": values.get("Pss", 0.0)}


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (and of its children it has waited for), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def cpu_by_service(stack: services.Stack) -> dict[str, float]:
    """CPU seconds used so far per kind of service (rasa-1 and rasa-2 count as rasa)."""
    used: dict[str, float] = {}
    for name, process in stack.processes.items():
        kind = name.split("-")[0]
        used[kind] = used.get(kind, 0.0) + sum(cpu_seconds(pid) for pid in services.process_tree(process.pid))
    return used


# py-spy samples whose innermost frame is one of these are a process waiting, not working
IDLE_FRAMES = ("poll (multiprocessing/popen_fork.py", "serve (sanic/server/runners.py", "watch_workers (bot/")


def profile_during(stack: services.Stack, seconds: float) -> list[tuple[Path, subprocess.Popen]]:
    """Start py-spy on every process of Rasa and the actions for `seconds` (raw folded stacks)."""
    spy = Path(sys.executable).with_name("py-spy")
    out = Path(tempfile.mkdtemp(prefix="profile-"))
    running = []
    for name, process in stack.processes.items():
        if not name.startswith(("rasa", "actions")):  # the gateway: 2-3 ms a message, threads mostly waiting
            continue
        for pid in services.process_tree(process.pid):
            path = out / f"{name}-{pid}.txt"
            command = [
                str(spy),
                "record",
                "-p",
                str(pid),
                "-f",
                "raw",
                "-o",
                str(path),
                "-d",
                str(int(seconds)),
            ]
            command += ["-r", "50", "--nonblocking"]
            running.append(
                (path, subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            )
    return running


def profile_summary(recorded: list[tuple[Path, subprocess.Popen]], top: int = 25) -> str:
    """Markdown: per service, the share of working samples in each function (inclusive), ours and Rasa's."""
    import re
    from collections import Counter

    by_service: dict[str, Counter] = {}
    totals: Counter = Counter()
    for path, process in recorded:
        process.wait()
        service = path.name.split("-")[0]
        counts = by_service.setdefault(service, Counter())
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            stack, _, count = line.rpartition(" ")
            frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
            if any(frames[-1].startswith(idle) for idle in IDLE_FRAMES):
                continue
            totals[service] += int(count)
            for frame in set(frames):
                if re.search(
                    r"\((rasa|bot|actions|policy_kb|sqlalchemy|tensorflow|jsonschema|aiohttp)/", frame
                ):
                    counts[frame] += int(count)
    lines = ["# Profile (py-spy, gateway at 10 concurrent)", ""]
    for service, counts in by_service.items():
        if not totals[service]:
            continue
        lines += [f"## {service}: {totals[service]} working samples", "", "| share | function |", "|---|---|"]
        # the entry points every sample passes through say nothing
        shown = [(frame, count) for frame, count in counts.most_common() if count < 0.8 * totals[service]]
        for frame, count in shown[:top]:
            lines.append(f"| {100 * count / totals[service]:.1f}% | `{frame}` |")
        lines.append("")
    return "\n".join(lines)


def memory(stack: services.Stack) -> dict:
    """Per service: its processes' summed peak RSS and summed PSS. Rasa's workers are forked after the
    imports, so TensorFlow's and Rasa's code pages are shared: peak RSS counts them once per process,
    PSS once in all."""
    services_mb = {}
    for name, process in stack.processes.items():
        pids = services.process_tree(process.pid)
        each = [memory_mb(pid) for pid in pids]
        services_mb[name] = {
            "processes": len(pids),
            "peak_rss_mb": round(sum(m["peak_rss"] for m in each), 1),
            "pss_mb": round(sum(m["pss"] for m in each), 1),
        }
    return {
        "services": services_mb,
        "peak_rss_total_mb": round(sum(v["peak_rss_mb"] for v in services_mb.values()), 1),
        "pss_total_mb": round(sum(v["pss_mb"] for v in services_mb.values()), 1),
    }


def first_answer(url: str, timeout: float = 180) -> float:
    """Seconds until the URL answers a first question (services still starting count as waiting)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            reply = requests.post(url, json={"sender": "cold", "message": "你好"}, timeout=30)
            if reply.status_code == 200 and reply.json():
                return time.monotonic() - start
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


def measure_training() -> float:
    """A full training from scratch (an empty Rasa cache) into a temporary folder, in seconds: the
    project's one training (bot.tools.train), in a process of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, RASA_CACHE_DIRECTORY=str(Path(tmp) / "cache"))
        start = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "bot.tools.train", "--out", tmp, "--name", "bench"],
            cwd=paths.REPO,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return time.monotonic() - start


def markdown(result: dict) -> str:
    runs = result["configurations"]
    lines = [
        "# Benchmark",
        "",
        f"Machine: {result['machine']}. Model: `{result['model']}`. "
        + "; ".join(f"{name}: {run['layout']}" for name, run in runs.items())
        + ".",
        "",
        "| configuration | target | concurrent | messages | errors | msg/s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, run in runs.items():
        for target in ("gateway", "direct"):
            for level in run["levels"][target]:
                lines.append(
                    f"| {name} | {target} | {level['users']} | {level['messages']} | {level['errors']} | "
                    f"{level['throughput_per_s']} | {level['p50_ms']} | {level['p95_ms']} | {level['p99_ms']} |"
                )
    lines += ["", "| configuration | | value |", "|---|---|---|"]
    for name, run in runs.items():
        cpu = run.get("cpu_ms_per_message") or {}
        if cpu:
            parts = ", ".join(f"{kind} {ms}" for kind, ms in cpu.items())
            lines.append(f"| {name} | CPU ms per message (gateway, 10 concurrent) | {parts} |")
        for level_g, level_d in zip(run["levels"]["gateway"], run["levels"]["direct"], strict=True):
            if level_g["p50_ms"] and level_d["p50_ms"]:
                lines.append(
                    f"| {name} | gateway / direct median at {level_g['users']} | "
                    f"{level_g['p50_ms'] / level_d['p50_ms']:.2f} (+{level_g['p50_ms'] - level_d['p50_ms']:.1f} ms) |"
                )
        used = run["memory"]
        for service, mb in used["services"].items():
            lines.append(
                f"| {name} | memory {service} ({mb['processes']} process{'es' if mb['processes'] > 1 else ''}) | "
                f"PSS {mb['pss_mb']} MB, peak RSS {mb['peak_rss_mb']} MB |"
            )
        lines.append(
            f"| {name} | memory all processes: PSS (shared pages counted once) | {used['pss_total_mb']} MB |"
        )
        lines.append(
            f"| {name} | memory all processes: sum of peak RSS (shared pages counted per process) | "
            f"{used['peak_rss_total_mb']} MB |"
        )
        lines.append(f"| {name} | cold start (processes start → first answer) | {run['cold_start_s']} s |")
    if result.get("training_s") is not None:
        lines.append(f"| | full training (no cache) | {result['training_s']} s |")
    return "\n".join(lines) + "\n"


def measure(name: str, model: Path, args: argparse.Namespace) -> dict:
    """Start one configuration, play every level at it, stop it."""
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    began = time.monotonic()
    if name == "cluster":
        from bot.tools import cluster

        stack = cluster.start(model, tmp, replicas=2, workers_per_replica=1, gateway_port=0)
        layout = "2 Rasa replicas × 1 worker and 2 action servers behind nginx, PostgreSQL, Redis"
    else:
        stack = services.start(
            model,
            tracker_db=tmp / "tracker.db",
            log_dir=tmp,
            gateway_port=0,
            transcripts_db=tmp / "transcripts.db",
        )
        layout = f"1 action server, Rasa with {services.rasa_workers()} workers, SQLite"
    gateway_url = f"{stack.gateway_url}/api/messages"
    cpu_ms: dict[str, float] = {}
    try:
        first_answer(gateway_url)
        cold_start = time.monotonic() - began
        levels: dict[str, list[dict]] = {"gateway": [], "direct": []}
        for users in (int(v) for v in args.levels.split(",")):
            for target, url in (("gateway", gateway_url), ("direct", stack.webhook)):
                before = cpu_by_service(stack)
                profiling = target == "gateway" and users == 10 and args.profile and name == "embedded"
                recorded = profile_during(stack, args.max_seconds) if profiling else []
                level = run_level(url, users, args.max_messages, args.max_seconds, seed=users)
                if recorded:
                    (REPORTS / "profile.md").write_text(profile_summary(recorded), encoding="utf-8")
                if target == "gateway" and users == 10 and level["messages"]:
                    after = cpu_by_service(stack)
                    cpu_ms = {
                        kind: round(1000 * (after[kind] - before.get(kind, 0.0)) / level["messages"], 2)
                        for kind in after
                    }
                    level["cpu_ms_per_message"] = cpu_ms
                levels[target].append(level)
                print(f"{name:8} {target:8} {users:3} users: {level}", flush=True)
        used = memory(stack)
    finally:
        stack.stop()
    return {
        "layout": layout,
        "levels": levels,
        "cpu_ms_per_message": cpu_ms,
        "memory": used,
        "cold_start_s": round(cold_start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--max-messages", type=int, default=600, help="per level and target")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="per level and target")
    parser.add_argument("--configurations", default="embedded,cluster", help="embedded, cluster or both")
    parser.add_argument("--skip-training", action="store_true", help="do not time a full training")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy on the embedded services at 10 concurrent -> reports/profile.md",
    )
    args = parser.parse_args()
    REPORTS.mkdir(exist_ok=True)

    from bot.tools.train import ensure_model

    model = ensure_model(quiet=True)
    # capacity, not policy: the chat API's rate limits (a person's pace) would refuse the load generator
    os.environ.update(CHAT_RATE_CONVERSATION="0", CHAT_RATE_ADDRESS="0")
    runs = {name: measure(name, model, args) for name in args.configurations.split(",")}
    result = {
        "machine": f"{os.cpu_count()} cores",
        "model": model.name,
        "configurations": runs,
        "training_s": None if args.skip_training else round(measure_training(), 1),
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    report = markdown(result)
    (REPORTS / "bench.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()

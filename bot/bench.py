"""`make bench`: latency, throughput, memory, cold start and training time of the whole stack.

Starts the action server, Rasa and the gateway itself on 127.0.0.1, then plays worker conversations
(FAQ questions, multi-turn calculator forms, out-of-scope messages) at 1, 10 and 50 concurrent
conversations, through the gateway and directly to Rasa in the same run. Every level is bounded in
messages and seconds. Writes reports/bench.{json,md}.
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
from bot import stack as services

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
    """A full training from scratch (no Rasa cache) into a temporary folder, in seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, RASA_CACHE_DIRECTORY=str(Path(tmp) / "cache"))
        start = time.monotonic()
        subprocess.run(
            [
                str(Path(sys.executable).with_name("rasa")),
                "train",
                "--config",
                str(paths.CONFIG),
                "--domain",
                str(paths.DOMAIN),
                "--data",
                str(paths.NLU_DATA),
                "--out",
                tmp,
                "--fixed-model-name",
                "bench",
            ],
            cwd=paths.REPO,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return time.monotonic() - start


def markdown(result: dict) -> str:
    lines = [
        "# Benchmark",
        "",
        f"Machine: {result['machine']}. Model: `{result['model']}`. Rasa workers: {result['rasa_workers']}.",
        "",
        "| target | concurrent | messages | errors | msg/s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for target in ("gateway", "direct"):
        for level in result["levels"][target]:
            lines.append(
                f"| {target} | {level['users']} | {level['messages']} | {level['errors']} | "
                f"{level['throughput_per_s']} | {level['p50_ms']} | {level['p95_ms']} | {level['p99_ms']} |"
            )
    lines += ["", "| | value |", "|---|---|"]
    for level_g, level_d in zip(result["levels"]["gateway"], result["levels"]["direct"], strict=True):
        if level_g["p50_ms"] and level_d["p50_ms"]:
            lines.append(
                f"| gateway / direct median at {level_g['users']} | "
                f"{level_g['p50_ms'] / level_d['p50_ms']:.2f} (+{level_g['p50_ms'] - level_d['p50_ms']:.1f} ms) |"
            )
    used = result["memory"]
    for name, mb in used["services"].items():
        lines.append(
            f"| memory {name} ({mb['processes']} process{'es' if mb['processes'] > 1 else ''}) | "
            f"PSS {mb['pss_mb']} MB, peak RSS {mb['peak_rss_mb']} MB |"
        )
    lines.append(f"| memory all processes: PSS (shared pages counted once) | {used['pss_total_mb']} MB |")
    lines.append(
        f"| memory all processes: sum of peak RSS (shared pages counted per process) | {used['peak_rss_total_mb']} MB |"
    )
    lines.append(f"| cold start (processes start → first answer) | {result['cold_start_s']} s |")
    if result.get("training_s") is not None:
        lines.append(f"| full training (no cache) | {result['training_s']} s |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--max-messages", type=int, default=600, help="per level and target")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="per level and target")
    parser.add_argument("--skip-training", action="store_true", help="do not time a full training")
    args = parser.parse_args()

    from bot.train import ensure_model

    model = ensure_model(quiet=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    # capacity, not policy: the chat API's rate limits (a person's pace) would refuse the load generator
    os.environ.update(CHAT_RATE_CONVERSATION="0", CHAT_RATE_ADDRESS="0")
    began = time.monotonic()
    stack = services.start(
        model,
        tracker_db=tmp / "tracker.db",
        log_dir=tmp,
        gateway_port=0,
        transcripts_db=tmp / "transcripts.db",
    )
    gateway_url = f"{stack.gateway_url}/api/messages"
    try:
        first_answer(gateway_url)
        cold_start = time.monotonic() - began
        levels: dict[str, list[dict]] = {"gateway": [], "direct": []}
        for users in (int(v) for v in args.levels.split(",")):
            for target, url in (("gateway", gateway_url), ("direct", stack.webhook)):
                level = run_level(url, users, args.max_messages, args.max_seconds, seed=users)
                levels[target].append(level)
                print(f"{target:8} {users:3} users: {level}", flush=True)
        used = memory(stack)
    finally:
        stack.stop()
    result = {
        "machine": f"{os.cpu_count()} cores",
        "model": model.name,
        "rasa_workers": services.rasa_workers(),
        "levels": levels,
        "memory": used,
        "cold_start_s": round(cold_start, 1),
        "training_s": None if args.skip_training else round(measure_training(), 1),
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    report = markdown(result)
    (REPORTS / "bench.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()

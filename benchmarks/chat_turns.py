"""Benchmark "chat turns": POST /chat on a served app (uvicorn, one worker, pool size 5),
with the chassis SessionStore and, as the baseline, the SDK's SQLAlchemySession in its place.

    uv run python -m benchmarks.chat_turns [--backends sqlite,postgresql] [--requests 256]
        [--rounds 3] [--floor] [--young-threshold N] [--workers N] [--timeline]

For each backend, memory and model latency (instant, and 1 s per model call), it serves the
rendered app, sends batches of 256 concurrent requests (one session each: a first turn,
then a second turn that reads the first back) and reports every request's outcome, the
wall time per batch and the server's CPU time per turn (from /proc/<pid>/stat, before
and after each batch). The memories alternate for ``--rounds`` rounds; the ratio
reported is the median of the rounds' ratios. The
baseline makes the store hand out the SDK's session (``_chat_server.py``); the service
has no setting for it. ``--floor`` adds a third case to each round: the same app with
no database work in the turn (history in process, no turn lock, owner check, metering
or limits), the part of a turn's cost the chassis' database plumbing cannot remove.
Every case also reports the garbage collector's CPU time per turn while serving, and its
longest pass (``_collector.py``); ``--young-threshold`` serves with another young-generation
GC threshold than Python's 700, to compare. ``--workers N`` adds a case served by the
service's own command, ``agent-service serve --workers N`` (CPU summed over its worker
processes; no GC columns). ``--timeline`` reports, per batch, when the first and the last
run's model call started and when the last one ended (``_timeline.py``; not for the
``serve`` case). Writes ``benchmarks/results/chat_turns.json``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._chat_report import CHASSIS, FLOOR, SDK, report
from benchmarks._common import (
    benchmark_parser,
    clean_environment,
    migrate,
    prepare_project,
    write_results,
)
from benchmarks._served_app import database, drive, server, service_command
from benchmarks._timeline import batch_timeline

MEMORIES = {CHASSIS: "store", SDK: "sdk"}
# Limits high enough never to refuse a request, so every turn pays for checking and
# counting them (one principal: the worst case, every request updates the same counters).
LIMITS = {
    "APP_RATE_LIMIT_REQUESTS_PER_MINUTE": str(10**9),
    "APP_RATE_LIMIT_TOKENS_PER_DAY": str(10**12),
}


def run_case(
    project: Path,
    backend: str,
    postgres_url: str,
    memory: str,
    delay: float,
    requests: int,
    *,
    limits: bool,
    young_threshold: int | None = None,
    workers: int = 1,
    timeline: bool = False,
) -> dict:
    with database(backend, postgres_url) as url, tempfile.TemporaryDirectory() as folder:
        env = clean_environment(
            {
                "APP_DATABASE_URL": url,
                "APP_DATABASE_POOL_SIZE": "5",
                "APP_AGENT_MODEL": "echo",
                "APP_AGENT_ECHO_DELAY_SECONDS": str(delay),
                "APP_AUTH_DISABLED": "true",
                "APP_LOG_LEVEL": "WARNING",
                "APP_USAGE_METERING": "false" if memory == "floor" else "true",
                **(LIMITS if limits and memory != "floor" else {}),
            }
        )
        migrate(project, env)
        gc_stats = Path(folder) / "gc.json"
        command: list[str] = []
        options = ["--gc-stats", str(gc_stats)]
        if memory == "serve":  # the service's own command: no collector clock, no GC columns
            command, options = service_command(project, workers), []
        elif young_threshold is not None:
            options += ["--young-threshold", str(young_threshold)]
        # The timeline needs the benchmark's own server, as the collector clock does.
        runs_file = Path(folder) / "timeline.json" if timeline and options else None
        if runs_file is not None:
            options += ["--timeline", str(runs_file)]
        with server(project, env, memory, options, command=command) as (pid, port):
            batches = asyncio.run(drive(port, pid, requests))
        collector = json.loads(gc_stats.read_text()) if options else None
        if runs_file is not None:
            runs = json.loads(runs_file.read_text())
            for b in batches:
                b["timeline"] = batch_timeline(runs, b["started_at"], b["started_at"] + b["wall_s"])
    served = requests * (len(batches) + 1)  # the measured batches and the warm-up
    return {
        "collector": collector,
        "collector_ms_per_turn": collector["total_s"] / served * 1000 if collector else None,
        "batches": batches,
        "all_ok": all(b["failed"] == 0 for b in batches),
        "wall_s": max(b["wall_s"] for b in batches),
        "server_cpu_ms_per_turn": statistics.mean(b["server_cpu_ms_per_turn"] for b in batches),
    }


def main() -> int:
    parser = benchmark_parser(__doc__.splitlines()[0], backends="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=256)
    parser.add_argument("--delays", default="0,1", help="model latencies in seconds")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per case")
    parser.add_argument(
        "--limits",
        choices=("on", "off"),
        default="on",
        help="rate limits per principal (metering and turn locks are always on)",
    )
    parser.add_argument(
        "--floor", action="store_true", help="also measure the app with no database work"
    )
    parser.add_argument(
        "--young-threshold",
        type=int,
        help="serve with this young-generation GC threshold instead of Python's 700",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="also measure the chassis through the service's own `serve --workers N`",
    )
    parser.add_argument(
        "--timeline", action="store_true", help="also report when the runs reached the model"
    )
    args = parser.parse_args()
    limits = args.limits == "on"
    served = f"chassis, serve --workers {args.workers}" if args.workers else None
    memories = {**MEMORIES, **({FLOOR: "floor"} if args.floor else {})}
    if served:
        memories[served] = "serve"

    project = prepare_project(args.project, args.reuse)
    results: list[dict[str, Any]] = []
    for backend in args.backends.split(","):
        for delay in (float(d) for d in args.delays.split(",")):
            # Rounds interleave the memories, so a slow spell of the machine hits both.
            for round_number in range(1, args.rounds + 1):
                for label, memory in memories.items():
                    print(f"== {backend}, model {delay:g} s, {label}, round {round_number} ...")
                    case = run_case(
                        project,
                        backend,
                        args.postgres_url,
                        memory,
                        delay,
                        args.requests,
                        limits=limits,
                        young_threshold=args.young_threshold,
                        timeline=args.timeline,
                        workers=args.workers or 1,
                    )
                    results.append(
                        {
                            "backend": backend,
                            "model_delay_s": delay,
                            "memory": label,
                            "round": round_number,
                            **case,
                        }
                    )

    ratios = report(results, args.backends.split(","), args.delays, args.timeline, served)
    write_results(
        "chat_turns",
        {
            "workload": f"{args.requests} concurrent POST /chat, one session each (turn 1, then turn 2)",
            "server": "uvicorn, 1 worker, pool size 5, echo model",
            "workers": args.workers,
            "metering": True,
            "limits": limits,
            "rounds": args.rounds,
            "floor": args.floor,
            "young_threshold": args.young_threshold or gc.get_threshold()[0],
            "timeline": args.timeline,
            "results": results,
            "ratios": ratios,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

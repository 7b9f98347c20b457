"""Benchmark "chat turns": POST /chat on a served app (uvicorn, one worker, pool size 5),
with the chassis SessionStore and, as the baseline, the SDK's SQLAlchemySession in its place.

    uv run python -m benchmarks.chat_turns [--backends sqlite,postgresql] [--requests 256]
        [--rounds 3] [--floor] [--young-threshold N] [--workers N]

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
processes; no GC columns). Writes ``benchmarks/results/chat_turns.json``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import (
    benchmark_parser,
    clean_environment,
    migrate,
    prepare_project,
    print_table,
    write_results,
)
from benchmarks._served_app import database, drive, server, service_command

MEMORIES = {"chassis SessionStore": "store", "SDK SQLAlchemySession": "sdk"}
FLOOR = "no database (floor)"
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
        with server(project, env, memory, options, command=command) as (pid, port):
            batches = asyncio.run(drive(port, pid, requests))
        collector = json.loads(gc_stats.read_text()) if options else None
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

    rows = [
        [
            r["backend"],
            f"{r['model_delay_s']:g} s",
            r["memory"],
            r["round"],
            f"{sum(b['ok'] for b in r['batches'])}/{sum(b['ok'] + b['failed'] for b in r['batches'])}",
            r["wall_s"],
            r["server_cpu_ms_per_turn"],
            "" if r["collector"] is None else r["collector_ms_per_turn"],
            "" if r["collector"] is None else r["collector"]["longest_s"] * 1000,
        ]
        for r in results
    ]
    print()
    print_table(
        [
            "backend",
            "model",
            "memory",
            "round",
            "ok",
            "batch wall s (max)",
            "server CPU ms/turn",
            "GC ms/turn",
            "longest GC pass ms",
        ],
        rows,
    )
    ratios = {}
    for backend in args.backends.split(","):
        for delay in (float(d) for d in args.delays.split(",")):
            cases = [r for r in results if r["backend"] == backend and r["model_delay_s"] == delay]
            chassis = [r for r in cases if r["memory"] == "chassis SessionStore"]
            sdk = [r for r in cases if r["memory"] == "SDK SQLAlchemySession"]
            per_round = [
                c["server_cpu_ms_per_turn"] / b["server_cpu_ms_per_turn"]
                for c, b in zip(chassis, sdk, strict=True)
            ]
            key = f"{backend}, model {delay:g} s"
            ratios[key] = {
                "cpu_chassis_over_sdk_per_round": per_round,
                "cpu_chassis_over_sdk": statistics.median(per_round),
                "chassis_all_ok": all(c["all_ok"] for c in chassis),
                "chassis_wall_s_per_round": [c["wall_s"] for c in chassis],
                "chassis_wall_s": statistics.median(c["wall_s"] for c in chassis),
            }
            found = ratios[key]
            print(
                f"{key}: chassis CPU/turn = {found['cpu_chassis_over_sdk']:.3f} of the SDK "
                f"baseline, median of {len(per_round)} rounds "
                f"({', '.join(f'{r:.3f}' for r in per_round)}; target <= 0.25); "
                f"all ok: {found['chassis_all_ok']}; batch {found['chassis_wall_s']:.2f} s"
                + (" (target <= 1.5 s)" if delay == 1 else "")
            )
            for label, name in ((FLOOR, "floor"), (served, "served")):
                extra = [r for r in cases if r["memory"] == label]
                if extra:
                    cpu = statistics.median(r["server_cpu_ms_per_turn"] for r in extra)
                    wall = statistics.median(r["wall_s"] for r in extra)
                    all_ok = all(r["all_ok"] for r in extra)
                    found |= {f"{name}_cpu_ms_per_turn": cpu, f"{name}_wall_s": wall}
                    found[f"{name}_all_ok"] = all_ok
                    print(
                        f"{key}: {label}: {cpu:.2f} ms of CPU per turn, batch {wall:.2f} s "
                        f"(medians), all ok: {all_ok}"
                    )
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
            "results": results,
            "ratios": ratios,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

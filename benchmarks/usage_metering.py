"""Benchmark "usage metering": the server CPU one agent turn costs with usage metering on,
off, and on with the limits per principal checked, side by side in one run.

    uv run python -m benchmarks.usage_metering [--backends sqlite,postgresql] [--requests 64]

For each backend, three servers (uvicorn, one worker, pool size 5, the echo model), each
on its own migrated database: metering off, metering on, and metering on with both limits set
high enough never to refuse. Rounds of ``--requests`` concurrent POST /chat (a new
session each) go to each server in turn, the order rotating every round, and each
server's CPU time (/proc/<pid>/stat) is read before and after its batch. The cost of
metering is the difference of the per-turn means (target: at most 1 ms of server CPU
per turn). Writes ``benchmarks/results/usage_metering.json``.
"""

from __future__ import annotations

import asyncio
import statistics
import uuid
from contextlib import ExitStack
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
from benchmarks._served_app import Connection, batch, cpu_seconds, database, server

CONFIGS: dict[str, dict[str, str]] = {
    "metering off": {"APP_USAGE_METERING": "false"},
    "metering on": {"APP_USAGE_METERING": "true"},
    "metering + limits": {
        "APP_USAGE_METERING": "true",
        # Never reached: every request pays for the checks and none is refused.
        "APP_RATE_LIMIT_REQUESTS_PER_MINUTE": "1000000000",
        "APP_RATE_LIMIT_TOKENS_PER_DAY": "1000000000000",
    },
}
TARGET_MS = 1.0


async def timed_batch(pid: int, port: int, sessions: list[str], message: str) -> float:
    """Server CPU ms per turn of one batch. Connections are opened per batch (uvicorn
    closes keep-alive connections idle for 5 s), before the CPU reading starts."""
    connections = [await Connection.open(port) for _ in sessions]
    try:
        before = cpu_seconds(pid)
        result = await batch(connections, sessions, message)
        spent = cpu_seconds(pid) - before
    finally:
        for connection in connections:
            connection.close()
    if result["failed"]:
        raise RuntimeError(f"{result['failed']} of {len(sessions)} requests failed")
    return spent / len(sessions) * 1000


async def rounds(
    servers: dict[str, tuple[int, int]], requests: int, count: int
) -> dict[str, list[float]]:
    """Server CPU ms per turn, per configuration and round."""
    per_turn: dict[str, list[float]] = {label: [] for label in servers}
    labels = list(servers)
    for pid, port in servers.values():  # warm-up: imports, first connections
        await timed_batch(pid, port, [f"warm-{n}" for n in range(requests)], "warm up")
    for number in range(count):
        order = labels[number % len(labels) :] + labels[: number % len(labels)]
        for label in order:
            pid, port = servers[label]
            sessions = [f"r{number}-{n}-{uuid.uuid4().hex[:6]}" for n in range(requests)]
            per_turn[label].append(
                await timed_batch(pid, port, sessions, "Hello, I am planning a trip.")
            )
    return per_turn


def run_backend(project: Path, backend: str, postgres_url: str, requests: int, count: int) -> dict:
    base = {
        "APP_DATABASE_POOL_SIZE": "5",
        "APP_AGENT_MODEL": "echo",
        "APP_AUTH_DISABLED": "true",
        "APP_LOG_LEVEL": "WARNING",
    }
    with ExitStack() as stack:
        servers = {}
        for label, extra in CONFIGS.items():
            # A database each: three servers on one SQLite file would measure lock waits.
            url = stack.enter_context(database(backend, postgres_url))
            env = clean_environment({**base, **extra, "APP_DATABASE_URL": url})
            migrate(project, env)
            servers[label] = stack.enter_context(server(project, env, "store"))
        per_turn = asyncio.run(rounds(servers, requests, count))
    means = {label: statistics.mean(values) for label, values in per_turn.items()}
    return {
        "server_cpu_ms_per_turn": per_turn,
        "mean_ms": means,
        "metering_cost_ms": means["metering on"] - means["metering off"],
        "limits_cost_ms": means["metering + limits"] - means["metering on"],
    }


def main() -> int:
    parser = benchmark_parser(__doc__.splitlines()[0], backends="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()

    project = prepare_project(args.project, args.reuse)
    results: dict[str, Any] = {}
    for backend in args.backends.split(","):
        print(f"== {backend} ...", flush=True)
        results[backend] = run_backend(
            project, backend, args.postgres_url, args.requests, args.rounds
        )
    rows = [
        [
            backend,
            *(r["mean_ms"][label] for label in CONFIGS),
            r["metering_cost_ms"],
            r["limits_cost_ms"],
        ]
        for backend, r in results.items()
    ]
    print()
    print_table(
        ["backend", *(f"{label} ms/turn" for label in CONFIGS), "metering +ms", "limits +ms"],
        rows,
    )
    for backend, r in results.items():
        verdict = "met" if r["metering_cost_ms"] <= TARGET_MS else "MISSED"
        print(
            f"{backend}: metering costs {r['metering_cost_ms']:.2f} ms of server CPU per turn "
            f"(target <= {TARGET_MS:g} ms: {verdict}); limits add {r['limits_cost_ms']:.2f} ms"
        )
    write_results(
        "usage_metering",
        {
            "workload": f"{args.rounds} rounds x {args.requests} concurrent POST /chat per server",
            "server": "uvicorn, 1 worker, pool size 5, echo model; three servers, a database each",
            "target_ms": TARGET_MS,
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

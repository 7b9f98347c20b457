"""Benchmark "chat turns": POST /chat on a served app (uvicorn, one worker, pool size 5),
with the chassis SessionStore and, as the baseline, the SDK's SQLAlchemySession in its place.

    uv run python -m benchmarks.chat_turns [--backends sqlite,postgresql] [--requests 256]
        [--rounds 3] [--floor]

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
Writes ``benchmarks/results/chat_turns.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, make_url, text

from benchmarks._common import (
    benchmark_parser,
    clean_environment,
    migrate,
    prepare_project,
    print_table,
    write_results,
)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CHAT_SERVER = Path(__file__).resolve().parent / "_chat_server.py"
MEMORIES = {"chassis SessionStore": "store", "SDK SQLAlchemySession": "sdk"}
FLOOR = "no database (floor)"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def database(backend: str, postgres_url: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{folder}/chat.db"
        return
    name = f"bench_chat_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        make_url(postgres_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(postgres_url).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def server(project: Path, env: dict[str, str], memory: str) -> Iterator[tuple[int, int]]:
    port = free_port()
    python = str(project / ".venv" / "bin" / "python")
    command = [python, str(CHAT_SERVER), "--port", str(port), "--memory", memory]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder, (Path(folder) / "server.log").open("w+") as log:
        process = subprocess.Popen(command, cwd=project, env=env, stdout=log, stderr=log)
        try:
            deadline, last = time.monotonic() + 60, "no answer"
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"server exited: {log.read()[-2000:]}")
                try:
                    answer = httpx.get(f"{url}/readyz", timeout=1)
                    if answer.status_code == 200:
                        break
                    last = f"{answer.status_code} {answer.text[:300]}"
                except httpx.TransportError as exc:
                    last = type(exc).__name__
                if time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(
                        f"server not ready in 60 s (/readyz: {last}): {log.read()[-2000:]}"
                    )
                time.sleep(0.2)
            yield process.pid, port
        finally:
            process.terminate()
            process.wait(timeout=30)


class Connection:
    """A minimal keep-alive HTTP/1.1 client connection.

    httpx spends milliseconds of CPU per request once hundreds of connections are open,
    which on a small machine would starve the server under test; this costs microseconds.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def post_json(self, path: str, payload: dict[str, Any]) -> tuple[int, bytes]:
        body = json.dumps(payload).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def batch(connections: list[Connection], session_ids: list[str], message: str) -> dict:
    async def one(connection: Connection, session_id: str) -> int:
        try:
            status, _ = await asyncio.wait_for(
                connection.post_json("/chat", {"session_id": session_id, "message": message}),
                timeout=120,
            )
        except (OSError, ValueError, IndexError, TimeoutError, asyncio.IncompleteReadError):
            return 0
        return status

    started, cpu = time.perf_counter(), time.process_time()
    statuses = await asyncio.gather(
        *(one(c, s) for c, s in zip(connections, session_ids, strict=True))
    )
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "wall_s": wall,
        "client_cpu_s": cpu,
        "ok": statuses.count(200),
        "failed": len(statuses) - statuses.count(200),
    }


async def drive(port: int, pid: int, requests: int) -> list[dict[str, Any]]:
    connections = [await Connection.open(port) for _ in range(requests)]
    try:
        # The warm-up also proves every connection works before anything is measured.
        await batch(connections, [f"warm-{n}" for n in range(requests)], "warm up")
        sessions = [f"s-{n}-{uuid.uuid4().hex[:6]}" for n in range(requests)]
        batches = []
        for turn, message in enumerate(["Hello, I am planning a trip.", "What did I say?"], 1):
            before = cpu_seconds(pid)
            result = await batch(connections, sessions, message)
            result["server_cpu_s"] = cpu_seconds(pid) - before
            result["server_cpu_ms_per_turn"] = result["server_cpu_s"] / requests * 1000
            result["turn"] = turn
            batches.append(result)
        return batches
    finally:
        for connection in connections:
            connection.close()


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
) -> dict:
    with database(backend, postgres_url) as url:
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
        with server(project, env, memory) as (pid, port):
            batches = asyncio.run(drive(port, pid, requests))
    return {
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
    args = parser.parse_args()
    limits = args.limits == "on"
    memories = {**MEMORIES, **({FLOOR: "floor"} if args.floor else {})}

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
        ]
        for r in results
    ]
    print()
    print_table(
        ["backend", "model", "memory", "round", "ok", "batch wall s (max)", "server CPU ms/turn"],
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
            floor = [r for r in cases if r["memory"] == FLOOR]
            if floor:
                ratios[key]["floor_cpu_ms_per_turn"] = statistics.median(
                    r["server_cpu_ms_per_turn"] for r in floor
                )
                ratios[key]["floor_wall_s"] = statistics.median(r["wall_s"] for r in floor)
            found = ratios[key]
            print(
                f"{key}: chassis CPU/turn = {found['cpu_chassis_over_sdk']:.3f} of the SDK "
                f"baseline, median of {len(per_round)} rounds "
                f"({', '.join(f'{r:.3f}' for r in per_round)}; target <= 0.25); "
                f"all ok: {found['chassis_all_ok']}; batch {found['chassis_wall_s']:.2f} s"
                + (" (target <= 1.5 s)" if delay == 1 else "")
            )
            if floor:
                print(
                    f"{key}: with no database work (floor) {found['floor_cpu_ms_per_turn']:.2f} "
                    f"ms of CPU per turn, batch {found['floor_wall_s']:.2f} s (medians)"
                )
    write_results(
        "chat_turns",
        {
            "workload": f"{args.requests} concurrent POST /chat, one session each (turn 1, then turn 2)",
            "server": "uvicorn, 1 worker, pool size 5, echo model",
            "metering": True,
            "limits": limits,
            "rounds": args.rounds,
            "floor": args.floor,
            "results": results,
            "ratios": ratios,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

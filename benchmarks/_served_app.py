"""Serving a rendered app for a benchmark and driving it, as chat_turns.py,
usage_metering.py and turn_reads.py do: a database per case, the server process, and a
cheap HTTP client."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, make_url, text

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CHAT_SERVER = Path(__file__).resolve().parent / "_chat_server.py"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live children (``serve --workers N``
    runs the workers as children of a supervisor), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except FileNotFoundError:  # exited since it was listed
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return own + sum(cpu_seconds(child) for child in children)


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


def service_command(project: Path, workers: int) -> list[str]:
    """The rendered service's own ``serve`` command (``server`` adds ``--port``)."""
    return [str(project / ".venv" / "bin" / "agent-service"), "serve", "--workers", str(workers)]


@contextmanager
def server(
    project: Path,
    env: dict[str, str],
    memory: str,
    options: Sequence[str] = (),
    *,
    command: Sequence[str] = (),
) -> Iterator[tuple[int, int]]:
    """Serve ``_chat_server.py`` with ``memory`` and ``options``, or ``command`` when
    given; yields the server's pid and port once /readyz answers 200."""
    port = free_port()
    python = str(project / ".venv" / "bin" / "python")
    served = list(command) or [python, str(CHAT_SERVER), "--memory", memory, *options]
    argv = [*served, "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder, (Path(folder) / "server.log").open("w+") as log:
        process = subprocess.Popen(argv, cwd=project, env=env, stdout=log, stderr=log)
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
        "started_at": started,  # perf_counter: the machine's monotonic clock (_timeline.py)
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

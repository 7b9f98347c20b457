"""Runs inside a rendered project's environment (see agent_turns.py): the measurement itself.

Workload "agent turns": 32 concurrent sessions; a turn is ``get_items(limit=50)`` then
``add_items`` of a user and an assistant message of realistic size. On the same database
in one run: the chassis SessionStore, the SDK's SQLAlchemySession, and (PostgreSQL,
SQLite) the same SQL on the raw driver (asyncpg; aiosqlite) as the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
from _raw_drivers import RawAiosqlite, RawAsyncpg
from _turn_items import ASSISTANT, USER
from agent_service.db.engine import _sqlite_pragmas as sqlite_pragmas
from agent_service.db.engine import create_database_engine
from agent_service.db.migrations import upgrade_to_head
from agent_service.memory import SessionStore
from agent_service.settings import Settings
from agents.extensions.memory import SQLAlchemySession
from sqlalchemy import create_engine, make_url, text

SESSIONS = 32
HISTORY_TURNS = 20  # each session starts with 40 items, so limit=50 reads a full window
Turn = Callable[[str], Awaitable[None]]


async def measure(turn: Turn, ids: list[str], turns: int) -> dict:
    async def worker(session_id: str) -> None:
        for _ in range(turns):
            await turn(session_id)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(session_id) for session_id in ids))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    total = len(ids) * turns
    return {
        "turns": total,
        "wall_s": wall,
        "turns_per_s": total / wall,
        "cpu_us_per_turn": cpu / total * 1e6,
    }


async def raw_driver(settings: Settings, backend: str, url: str) -> tuple[str, Any, list[Any]]:
    size = settings.database_pool_size
    if backend == "postgresql":
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        connections = [await asyncpg.connect(dsn) for _ in range(size)]
        return "raw asyncpg", RawAsyncpg(connections), connections
    connections = []
    for _ in range(size):
        connection = await aiosqlite.connect(make_url(url).database, isolation_level=None)
        # The engine's own pragmas (foreign keys on, cache size, ...): the same work per row.
        for pragma in [*sqlite_pragmas(settings), "PRAGMA journal_mode=WAL"]:
            await connection.execute(pragma)
        connections.append(connection)
    return "raw aiosqlite", RawAiosqlite(connections), connections


async def run_backend(backend: str, url: str, turns: int, rounds: int) -> dict[str, Any]:
    settings = Settings(database_url=url, auth_disabled=True)
    upgrade_to_head(settings)
    engine = create_database_engine(settings)
    store = SessionStore(engine)
    sdk_sessions: dict[str, SQLAlchemySession] = {}

    async def chassis_turn(session_id: str) -> None:
        session = store.session(session_id)
        await session.get_items(limit=50)
        await session.add_items([USER, ASSISTANT])

    async def sdk_turn(session_id: str) -> None:
        session = sdk_sessions[session_id]
        await session.get_items(limit=50)
        await session.add_items([USER, ASSISTANT])

    implementations: dict[str, Turn] = {
        "chassis SessionStore": chassis_turn,
        "SDK SQLAlchemySession": sdk_turn,
    }
    raw_connections: list[Any] = []
    if backend in ("postgresql", "sqlite"):
        raw_name, raw, raw_connections = await raw_driver(settings, backend, url)
        implementations[raw_name] = raw.turn
    results: dict[str, list[dict]] = {name: [] for name in implementations}
    failures: dict[str, str] = {}
    prepared: dict[str, tuple[Turn, list[str]]] = {}
    try:
        for name, turn in implementations.items():  # history and warm-up
            ids = [f"{name[:3]}-{n}-{uuid.uuid4().hex[:6]}" for n in range(SESSIONS)]
            for session_id in ids:
                sdk_sessions[session_id] = SQLAlchemySession(
                    session_id, engine=engine, create_tables=False
                )
            try:
                for session_id in ids:
                    await sdk_sessions[session_id].add_items([USER, ASSISTANT] * HISTORY_TURNS)
                await measure(turn, ids, 2)
            except Exception as exc:  # e.g. the old store on MariaDB: reported, not hidden
                failures[name] = "".join(traceback.format_exception_only(exc)).strip()[:300]
                continue
            prepared[name] = (turn, ids)
        for _ in range(rounds):  # interleaved, so machine noise hits everyone alike
            for name, (turn, ids) in prepared.items():
                results[name].append(await measure(turn, ids, turns))
    finally:
        for connection in raw_connections:
            await connection.close()
        await engine.dispose()
    summary: dict[str, Any] = {}
    for name, runs in results.items():
        if name in failures:
            summary[name] = {"failed": failures[name]}
            continue
        summary[name] = {
            "turns_per_s": statistics.median(r["turns_per_s"] for r in runs),
            "cpu_us_per_turn": statistics.median(r["cpu_us_per_turn"] for r in runs),
            "runs": runs,
        }
    summary["store_path"] = getattr(store, "path", "driver" if store.driver_fast_path else "core")
    return summary


def server_database(backend: str, admin_url: str) -> tuple[str, Callable[[], None]]:
    """A database of its own on the server, dropped afterwards."""
    name = f"bench_agent_turns_{uuid.uuid4().hex[:8]}"
    if backend == "postgresql":
        admin_driver, runtime_driver, quote = "postgresql+psycopg", "postgresql+asyncpg", '"'
    else:
        admin_driver, runtime_driver, quote = "mysql+pymysql", "mysql+aiomysql", "`"
    admin = create_engine(
        make_url(admin_url).set(drivername=admin_driver), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {quote}{name}{quote}"))

    def drop() -> None:
        force = " WITH (FORCE)" if backend == "postgresql" else ""
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}"))
        admin.dispose()

    url = make_url(admin_url).set(drivername=runtime_driver, database=name)
    return url.render_as_string(hide_password=False), drop


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "mariadb"], required=True)
    parser.add_argument("--server-url", help="PostgreSQL or MariaDB admin URL")
    parser.add_argument("--turns", type=int, default=20, help="turns per session per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    if args.backend == "sqlite":
        folder = tempfile.TemporaryDirectory()
        url = f"sqlite+aiosqlite:///{folder.name}/bench.db"
        cleanup = folder.cleanup
    else:
        url, cleanup = server_database(args.backend, args.server_url)
    try:
        summary = asyncio.run(run_backend(args.backend, url, args.turns, args.rounds))
    finally:
        cleanup()
    args.output.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Runs inside a rendered project's environment (see agent_turns.py): the measurement itself.

Workload "agent turns": 32 concurrent sessions; a turn is ``get_items(limit=50)`` then
``add_items`` of a user and an assistant message of realistic size. Three implementations
on the same database in one run: the chassis SessionStore, the SDK's SQLAlchemySession,
and the same SQL on the raw driver (asyncpg; aiosqlite) as the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
from agent_service.db.engine import create_database_engine
from agent_service.db.migrations import upgrade_to_head
from agent_service.memory import SessionStore, serialize_item
from agent_service.settings import Settings
from agents.extensions.memory import SQLAlchemySession
from sqlalchemy import create_engine, make_url, text

SESSIONS = 32
HISTORY_TURNS = 20  # each session starts with 40 items, so limit=50 reads a full window
USER = {
    "role": "user",
    "content": (
        "I'm planning a three-day trip to Lisbon in early May with my partner. We like food "
        "markets, viewpoints and a bit of history, but we don't want to rush. Could you "
        "suggest a relaxed itinerary, and tell me which days need advance bookings?"
    ),
}
ASSISTANT = {
    "id": "msg_0123456789abcdef0123456789abcdef",
    "type": "message",
    "role": "assistant",
    "status": "completed",
    "content": [
        {
            "type": "output_text",
            "annotations": [],
            "text": (
                "Here's a relaxed plan. Day 1: Alfama and the castle in the morning, lunch at "
                "the Time Out Market, then the Miradouro da Senhora do Monte at sunset. Day 2: "
                "Belém (the monastery opens at 9:30; book tickets online), pastéis de Belém, "
                "and the MAAT riverside walk; dinner in Cais do Sodré. Day 3: a day trip to "
                "Sintra: book Pena Palace for the first slot, take the 8:41 train from Rossio, "
                "and keep the afternoon for Quinta da Regaleira. Book ahead for Pena Palace "
                "and the Belém monastery; everything else can be decided on the day. "
            )
            * 2,
        }
    ],
}

READ_PG = """
SELECT message_data FROM agent_messages
WHERE session_id = $1
  AND EXISTS (SELECT 1 FROM agent_sessions WHERE session_id = $1 AND owner = $2)
ORDER BY created_at DESC, id DESC LIMIT $3
"""
APPEND_PG = """
WITH session_row AS (
    INSERT INTO agent_sessions (session_id, owner) VALUES ($1, $2)
    ON CONFLICT (session_id) DO UPDATE SET updated_at = CURRENT_TIMESTAMP
    WHERE agent_sessions.owner = EXCLUDED.owner
    RETURNING session_id
), inserted AS (
    INSERT INTO agent_messages (session_id, message_data)
    SELECT session_row.session_id, item.data FROM session_row
    CROSS JOIN unnest(CAST($3 AS TEXT[])) WITH ORDINALITY AS item(data, position)
    ORDER BY item.position
    RETURNING 1
)
SELECT count(*) FROM session_row
"""
READ_SQLITE = """
SELECT message_data FROM agent_messages
WHERE session_id = :session_id
  AND EXISTS (SELECT 1 FROM agent_sessions WHERE session_id = :session_id AND owner = :owner)
ORDER BY created_at DESC, id DESC LIMIT :limit
"""
UPSERT_SQLITE = """
INSERT INTO agent_sessions (session_id, owner) VALUES (:session_id, :owner)
ON CONFLICT (session_id) DO UPDATE SET updated_at = CURRENT_TIMESTAMP
WHERE agent_sessions.owner = excluded.owner
RETURNING session_id
"""
INSERT_SQLITE = "INSERT INTO agent_messages (session_id, message_data) VALUES (?, ?)"


class RawAsyncpg:
    """The same SQL on plain asyncpg connections: no pool logic, no ORM, no Core."""

    def __init__(self, connections: list[asyncpg.Connection]) -> None:
        self.idle: asyncio.Queue[asyncpg.Connection] = asyncio.Queue()
        for connection in connections:
            self.idle.put_nowait(connection)

    async def turn(self, session_id: str) -> None:
        connection = await self.idle.get()
        try:
            rows = await connection.fetch(READ_PG, session_id, "", 50)
            [json.loads(row[0]) for row in reversed(rows)]
        finally:
            self.idle.put_nowait(connection)
        payload = [serialize_item(USER), serialize_item(ASSISTANT)]
        connection = await self.idle.get()
        try:
            await connection.fetchval(APPEND_PG, session_id, "", payload)
        finally:
            self.idle.put_nowait(connection)


class RawAiosqlite:
    def __init__(self, connections: list[aiosqlite.Connection]) -> None:
        self.idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for connection in connections:
            self.idle.put_nowait(connection)
        self.writer = asyncio.Lock()

    async def turn(self, session_id: str) -> None:
        key = {"session_id": session_id, "owner": ""}
        connection = await self.idle.get()
        try:
            rows = await connection.execute_fetchall(READ_SQLITE, {**key, "limit": 50})
            [json.loads(row[0]) for row in reversed(list(rows))]
        finally:
            self.idle.put_nowait(connection)
        payload = [serialize_item(USER), serialize_item(ASSISTANT)]
        async with self.writer:
            connection = await self.idle.get()
            try:
                await connection.execute("BEGIN IMMEDIATE")
                await connection.execute_fetchall(UPSERT_SQLITE, key)
                await connection.executemany(INSERT_SQLITE, [(session_id, d) for d in payload])
                await connection.commit()
            finally:
                self.idle.put_nowait(connection)


async def measure(turn: Callable[[str], Awaitable[None]], ids: list[str], turns: int) -> dict:
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


async def run_backend(backend: str, url: str, turns: int, rounds: int) -> dict[str, Any]:
    settings = Settings(database_url=url)
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

    if backend == "postgresql":
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        raw_connections = [await asyncpg.connect(dsn) for _ in range(settings.database_pool_size)]
        raw = RawAsyncpg(raw_connections)
        raw_name = "raw asyncpg"
    else:
        path = make_url(url).database
        raw_connections = []
        for _ in range(settings.database_pool_size):
            connection = await aiosqlite.connect(path, isolation_level=None)
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA busy_timeout=5000")
            raw_connections.append(connection)
        raw = RawAiosqlite(raw_connections)
        raw_name = "raw aiosqlite"

    implementations: dict[str, Callable[[str], Awaitable[None]]] = {
        "chassis SessionStore": chassis_turn,
        "SDK SQLAlchemySession": sdk_turn,
        raw_name: raw.turn,
    }
    results: dict[str, list[dict]] = {name: [] for name in implementations}
    prepared: dict[str, tuple[Callable[[str], Awaitable[None]], list[str]]] = {}
    try:
        for name, turn in implementations.items():  # history and warm-up
            ids = [f"{name[:3]}-{n}-{uuid.uuid4().hex[:6]}" for n in range(SESSIONS)]
            for session_id in ids:
                sdk_sessions[session_id] = SQLAlchemySession(
                    session_id, engine=engine, create_tables=False
                )
            await store_history(store, ids)
            await measure(turn, ids, 2)
            prepared[name] = (turn, ids)
        for _ in range(rounds):  # interleaved, so machine noise hits everyone alike
            for name, (turn, ids) in prepared.items():
                results[name].append(await measure(turn, ids, turns))
    finally:
        for connection in raw_connections:
            await connection.close()
        await engine.dispose()
    summary = {}
    for name, runs in results.items():
        summary[name] = {
            "turns_per_s": statistics.median(r["turns_per_s"] for r in runs),
            "cpu_us_per_turn": statistics.median(r["cpu_us_per_turn"] for r in runs),
            "runs": runs,
        }
    return summary


async def store_history(store: SessionStore, ids: list[str]) -> None:
    for session_id in ids:
        await store.add_items(session_id, [USER, ASSISTANT] * HISTORY_TURNS)


def create_postgres_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"bench_agent_turns_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(admin_url).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False), drop


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], required=True)
    parser.add_argument(
        "--postgres-url", default="postgresql://postgres:postgres@localhost:5432/postgres"
    )
    parser.add_argument("--turns", type=int, default=20, help="turns per session per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    if args.backend == "postgresql":
        url, cleanup = create_postgres_database(args.postgres_url)
    else:
        folder = tempfile.TemporaryDirectory()
        url = f"sqlite+aiosqlite:///{folder.name}/bench.db"
        cleanup = folder.cleanup
    try:
        summary = asyncio.run(run_backend(args.backend, url, args.turns, args.rounds))
    finally:
        cleanup()
    args.output.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

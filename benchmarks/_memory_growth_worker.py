"""Runs inside a rendered project's environment (see memory_growth.py): the measurement.

How the store's cost grows with the data: ``get_items(limit=50)`` on a session of 100 vs
100,000 items, and ``list_sessions`` page 1 for an owner of 1,000 vs 100,000 sessions.
Sequential calls (latency, not throughput); the plans the database chose are recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _agent_turns_worker import server_database
from _turn_items import USER
from agent_service.db.engine import create_database_engine
from agent_service.db.migrations import upgrade_to_head
from agent_service.memory import SessionStore, serialize_item
from agent_service.memory import statements as sql
from agent_service.settings import Settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

CALLS = 300
ITEM = serialize_item(USER).replace("'", "''")

SERIES = {
    "postgresql": "SELECT i FROM generate_series(1, {n}) AS s(i)",
    "sqlite": "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
    "SELECT i FROM s",
}
AGO = {
    "postgresql": "CURRENT_TIMESTAMP - i * INTERVAL '1 second'",
    "sqlite": "datetime('now', '-' || i || ' seconds')",
}


async def fill(engine: AsyncEngine, backend: str) -> None:
    # Built from this module's constants only (S608 does not apply): bulk rows server-side.
    async with engine.begin() as connection:
        for session_id, items in (("small", 100), ("big", 100_000)):
            await connection.execute(
                text("INSERT INTO agent_sessions (session_id, owner) VALUES (:s, 'reader')"),
                {"s": session_id},
            )
            await connection.execute(
                text(
                    "INSERT INTO agent_messages (session_id, message_data) "  # noqa: S608
                    f"SELECT '{session_id}', '{ITEM}' "
                    f"FROM ({SERIES[backend].format(n=items)}) AS n"
                )
            )
        for owner, sessions in (("few", 1_000), ("many", 100_000)):
            await connection.execute(
                text(
                    "INSERT INTO agent_sessions (session_id, owner, created_at, updated_at) "  # noqa: S608
                    f"SELECT '{owner}-' || i, '{owner}', {AGO[backend]}, {AGO[backend]} "
                    f"FROM ({SERIES[backend].format(n=sessions)}) AS n"
                )
            )
    if backend == "postgresql":
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE"))


async def latency_us(call: Any) -> float:
    for _ in range(20):  # warm-up: caches, prepared statements
        await call()
    samples = []
    for _ in range(CALLS):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples)


async def plan(engine: AsyncEngine, backend: str, statement: Any, **params: Any) -> list[str]:
    literal = statement.params(**params).compile(
        dialect=engine.dialect, compile_kwargs={"literal_binds": True}
    )
    prefix = "EXPLAIN" if backend == "postgresql" else "EXPLAIN QUERY PLAN"
    async with engine.connect() as connection:
        rows = (await connection.execute(text(f"{prefix} {literal}"))).all()
    return [str(row[0] if backend == "postgresql" else row[-1]) for row in rows]


async def run(backend: str, url: str) -> dict[str, Any]:
    settings = Settings(database_url=url, auth_disabled=True)
    upgrade_to_head(settings)
    engine = create_database_engine(settings)
    try:
        await fill(engine, backend)
        store = SessionStore(engine)
        reads = {
            n: await latency_us(lambda s=s: store.read_items(s, owner="reader", limit=50))
            for n, s in ((100, "small"), (100_000, "big"))
        }
        lists = {
            n: await latency_us(lambda o=o: store.list_sessions(owner=o, limit=50))
            for n, o in ((1_000, "few"), (100_000, "many"))
        }
        return {
            "store_path": store.path,
            "get_items_limit_50_us": reads,
            "get_items_growth": reads[100_000] / reads[100],
            "list_sessions_page_1_us": lists,
            "list_sessions_growth": lists[100_000] / lists[1_000],
            "plans": {
                "read_latest": await plan(
                    engine, backend, sql.READ_LATEST, session_id="big", owner="reader", limit=50
                ),
                "list_sessions": await plan(
                    engine, backend, sql.LIST_SESSIONS, owner="many", limit=50, offset=0
                ),
            },
        }
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], required=True)
    parser.add_argument("--server-url")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    if args.backend == "sqlite":
        folder = tempfile.TemporaryDirectory()
        url, cleanup = f"sqlite+aiosqlite:///{folder.name}/growth.db", folder.cleanup
    else:
        url, cleanup = server_database(args.backend, args.server_url)
    try:
        result = asyncio.run(run(args.backend, url))
    finally:
        cleanup()
    args.output.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

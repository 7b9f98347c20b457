"""Concurrent writes to the memory tables through one engine; prints a JSON summary.

Run inside a rendered project (default package name) with the database URL and a
label (which keeps the session ids of several runs apart) as arguments. Each unit of work is one transaction of three statements, the shape of a
chat turn; many run at once so a transaction pooler hands each client connection
different server connections, which is where named prepared statements break.
"""

from __future__ import annotations

import asyncio
import collections
import json
import sys

from agent_service.db.engine import create_database_engine
from agent_service.memory.tables import agent_messages, agent_sessions
from agent_service.settings import Settings
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

WORKERS = 16
ROUNDS = 12


async def worker(
    engine: AsyncEngine, label: str, number: int, errors: collections.Counter, done: list
) -> None:
    for round_ in range(ROUNDS):
        session_id = f"{label}-worker{number}-round{round_}"
        try:
            async with engine.begin() as connection:
                await connection.execute(insert(agent_sessions).values(session_id=session_id))
                await connection.execute(
                    insert(agent_messages).values(session_id=session_id, message_data="{}")
                )
                await connection.execute(
                    select(func.count())
                    .select_from(agent_messages)
                    .where(agent_messages.c.session_id == session_id)
                )
            done.append(session_id)
        except Exception as exc:
            reason = getattr(exc, "orig", None) or exc
            errors[f"{type(reason).__name__}: {str(reason).splitlines()[0]}"] += 1


async def main(url: str, label: str) -> None:
    settings = Settings(database_url=url, database_pool_size=8, database_max_overflow=8)
    engine = create_database_engine(settings)
    errors: collections.Counter = collections.Counter()
    done: list[str] = []
    try:
        await asyncio.gather(*(worker(engine, label, n, errors, done) for n in range(WORKERS)))
    finally:
        await engine.dispose()
    summary = {
        "pooler_mode": settings.database_postgres_pgbouncer,
        "attempted": WORKERS * ROUNDS,
        "acknowledged": len(done),
        "errors": dict(errors),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

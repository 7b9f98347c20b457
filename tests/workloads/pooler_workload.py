"""Writes to the memory tables through one engine; prints a JSON summary.

Run inside a rendered project (default package name) with the database URL and a
label (which keeps the session ids of several runs apart) as arguments. Each unit
of work is one transaction of three statements, the shape of a chat turn.

Two phases. First one connection works while another holds a transaction open on
the server connection the first one's statements were prepared on, so the pooler must
hand the first one a different server connection, where its named prepared statements
do not exist: without pooler mode this breaks on the first round by construction, not
by luck (a fresh database has a fresh pool, so at first there is only one server
connection to pin). Then many units run at once, as a busy service would.
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
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

WORKERS = 16
ROUNDS = 12


async def unit_of_work(connection: AsyncConnection, session_id: str) -> None:
    await connection.execute(insert(agent_sessions).values(session_id=session_id))
    await connection.execute(
        insert(agent_messages).values(session_id=session_id, message_data="{}")
    )
    await connection.execute(
        select(func.count())
        .select_from(agent_messages)
        .where(agent_messages.c.session_id == session_id)
    )


def record(errors: collections.Counter, exc: Exception) -> None:
    reason = getattr(exc, "orig", None) or exc
    errors[f"{type(reason).__name__}: {str(reason).splitlines()[0]}"] += 1


async def attempt(
    connection: AsyncConnection, session_id: str, errors: collections.Counter, done: list
) -> None:
    try:
        await unit_of_work(connection, session_id)
        await connection.commit()
        done.append(session_id)
    except Exception as exc:
        await connection.rollback()
        record(errors, exc)


async def work_beside_a_pinned_server(
    engine: AsyncEngine, label: str, errors: collections.Counter, done: list
) -> None:
    async with engine.connect() as worker, engine.connect() as pinner:
        for round_ in range(ROUNDS):
            await attempt(worker, f"{label}-alone-round{round_}", errors, done)
            try:
                await pinner.execute(select(1))  # opens a transaction: one server is taken
            except Exception as exc:  # the pinner's own prepared statements break too
                record(errors, exc)
            await attempt(worker, f"{label}-beside-round{round_}", errors, done)
            await pinner.rollback()


async def worker(
    engine: AsyncEngine, label: str, number: int, errors: collections.Counter, done: list
) -> None:
    for round_ in range(ROUNDS):
        async with engine.connect() as connection:
            await attempt(connection, f"{label}-worker{number}-round{round_}", errors, done)


async def main(url: str, label: str) -> None:
    settings = Settings(database_url=url, database_pool_size=8, database_max_overflow=8)
    engine = create_database_engine(settings)
    errors: collections.Counter = collections.Counter()
    done: list[str] = []
    try:
        await work_beside_a_pinned_server(engine, label, errors, done)
        await asyncio.gather(*(worker(engine, label, n, errors, done) for n in range(WORKERS)))
    finally:
        await engine.dispose()
    summary = {
        "pooler_mode": settings.database_postgres_pgbouncer,
        "attempted": (WORKERS + 2) * ROUNDS,
        "acknowledged": len(done),
        "errors": dict(errors),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

"""Runs inside a rendered project's environment (see turn_reads.py): times a turn's first
read both ways on the database of ``APP_DATABASE_URL`` and prints the medians as JSON."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import uvloop
from agent_service.db.engine import create_database_engine
from agent_service.memory import SessionStore
from agent_service.settings import Settings

OWNER = "reader"
LIMIT = 100


async def main(sessions: int, rounds: int) -> None:
    engine = create_database_engine(Settings(database_pool_size=5, auth_disabled=True))
    store = SessionStore(engine)
    ids = [f"turn-read-{n}" for n in range(sessions)]
    for session_id in ids:
        items = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
        await store.add_items(session_id, items, owner=OWNER)

    async def two_statements(session_id: str) -> list[object]:
        # What a turn did before open_turn: the owner check, then the history read.
        assert await store.owner_of(session_id) == OWNER
        return await store.read_items(session_id, owner=OWNER, limit=LIMIT)

    async def one_statement(session_id: str) -> list[object]:
        return await store.open_turn(session_id, owner=OWNER, limit=LIMIT)

    ways: dict[str, Callable[[str], Awaitable[list[object]]]] = {
        "owner_of + read_items": two_statements,
        "open_turn": one_statement,
    }
    samples: dict[str, list[float]] = {name: [] for name in ways}
    for round_number in range(rounds):
        order = list(ways) if round_number % 2 == 0 else list(ways)[::-1]
        for name in order:
            started = time.process_time()
            results = await asyncio.gather(*(ways[name](session_id) for session_id in ids))
            elapsed = time.process_time() - started
            assert all(len(items) == 2 for items in results), name
            samples[name].append(elapsed / sessions * 1e6)
    await engine.dispose()
    print(json.dumps({name: statistics.median(values) for name, values in samples.items()}))


if __name__ == "__main__":
    uvloop.run(main(int(sys.argv[1]), int(sys.argv[2])))

"""The agent-turn workload on the raw drivers (asyncpg, aiosqlite): the limit to compare with.

Imported by _agent_turns_worker.py inside a rendered project's environment. The SQL is
what the store runs, written out by hand: no pool logic, no Core, no ORM.
"""

from __future__ import annotations

import asyncio
import json

import aiosqlite
import asyncpg
from _turn_items import ASSISTANT, USER
from agent_service.memory import serialize_item

READ_PG = """
SELECT message_data FROM agent_messages
WHERE session_id = $1
  AND EXISTS (SELECT 1 FROM agent_sessions WHERE session_id = $1 AND owner = $2)
ORDER BY id DESC LIMIT $3
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
ORDER BY id DESC LIMIT :limit
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

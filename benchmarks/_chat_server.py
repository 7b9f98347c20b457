"""Runs inside a rendered project's environment (see chat_turns.py): serves the app.

    python _chat_server.py --port N --memory store|sdk|floor [--gc-stats PATH]
        [--young-threshold N] [--timeline PATH]

``sdk`` makes the memory store hand out the SDK's own SQLAlchemySession on the same
tables, the benchmark's baseline (the SDK's sessions have no owner, so a turn checks
none: api/buffered_session.py); ``floor`` gives the agent a history kept in this process
and takes the turn lock off the database too (chat_turns.py switches metering and limits
off for it): what a turn costs with no database at all. The service itself has no
setting for either.

Not through ``app.dependency_overrides``: while any override is set, FastAPI rebuilds
every sub-dependency of every request (``get_dependant`` in ``solve_dependencies``),
about 1 ms of CPU per request here, which would slow the baseline down with a cost
the SDK does not have (docs/performance.md, "The baseline without overrides").

``--gc-stats`` writes the garbage collector's CPU time while serving to PATH when the
server stops; ``--young-threshold`` serves with another young-generation threshold than
Python's 700 (set once the app has started), for comparisons; ``--timeline`` writes
when each agent run reached its model (``_timeline.py``).
"""

from __future__ import annotations

import argparse
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

import uvicorn
from _collector import CollectorClock
from _timeline import Timeline
from agent_service.app import create_app
from agent_service.db.turn_locks import TurnLocks
from agent_service.memory.store import SessionStore
from agents import Session
from agents.extensions.memory import SQLAlchemySession
from fastapi import FastAPI


def sdk_session(store: SessionStore, session_id: str, *, owner: str | None = None) -> Session:
    # No owners in the SDK's session: a baseline with authentication disabled only.
    return SQLAlchemySession(session_id, engine=store.engine, create_tables=False)


def sdk_ready(lifespan: Any) -> Any:
    """The app's lifespan, then one SDK session before any request: the first one adds
    an engine "connect" listener, and added while the first requests open connections
    it fails some of them ("deque mutated during iteration") in the baseline's warm-up,
    leaving their client connections broken."""

    @asynccontextmanager
    async def started(app: FastAPI) -> AsyncIterator[Any]:
        async with lifespan(app) as state:
            SQLAlchemySession("warm-up", engine=app.state.session_store.engine, create_tables=False)
            yield state

    return started


class InProcessHistory:
    """The floor's memory: each session's items in a list of this process."""

    histories: ClassVar[dict[str, list[Any]]] = {}
    session_settings = None

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id

    async def get_items(self, limit: int | None = None) -> list[Any]:
        items = self.histories.get(self.session_id, [])
        return items[-limit:] if limit else list(items)

    async def add_items(self, items: list[Any]) -> None:
        self.histories.setdefault(self.session_id, []).extend(items)

    async def pop_item(self) -> Any:
        items = self.histories.get(self.session_id)
        return items.pop() if items else None

    async def clear_session(self) -> None:
        self.histories.pop(self.session_id, None)


class FreeLease:
    """The floor's turn lock: always held, nothing to release."""

    async def confirm(self) -> bool:
        return True

    async def release(self) -> None:
        return None


def serving(
    lifespan: Any, *, young: int | None, gc_stats: Path | None, timeline: Path | None
) -> Any:
    """The app's lifespan, then the collector's threshold and clock, and the runs'
    timeline, for the time it serves; the clock writes ``gc_stats`` and the timeline
    ``timeline`` at shutdown (uvicorn re-raises SIGTERM after the shutdown, so nothing
    after ``uvicorn.run`` runs)."""

    @asynccontextmanager
    async def started(app: FastAPI) -> AsyncIterator[Any]:
        async with lifespan(app) as state:
            if young is not None:
                gc.set_threshold(young, *gc.get_threshold()[1:])
            clock, runs = CollectorClock(), Timeline()
            if gc_stats is not None:
                clock.install()
            if timeline is not None:
                runs.install()
            yield state
            if gc_stats is not None:
                clock.write(gc_stats)
            if timeline is not None:
                runs.write(timeline)

    return started


async def free_lease(_locks: TurnLocks, _owner: str, _session_id: str) -> FreeLease:
    return FreeLease()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--memory", choices=["store", "sdk", "floor"], default="store")
    parser.add_argument("--gc-stats", type=Path)
    parser.add_argument("--young-threshold", type=int)
    parser.add_argument("--timeline", type=Path)
    args = parser.parse_args()
    # The chat routes ask the store for the turn's session (api/chat.py).
    if args.memory == "sdk":
        SessionStore.session = sdk_session  # type: ignore[method-assign,assignment]
    if args.memory == "floor":
        SessionStore.session = lambda _store, session_id, **_: InProcessHistory(session_id)  # type: ignore[method-assign,assignment,misc]
        TurnLocks.acquire = free_lease  # type: ignore[method-assign,assignment]
    app = create_app()
    if args.memory == "sdk":
        app.router.lifespan_context = sdk_ready(app.router.lifespan_context)
    app.router.lifespan_context = serving(
        app.router.lifespan_context,
        young=args.young_threshold,
        gc_stats=args.gc_stats,
        timeline=args.timeline,
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()

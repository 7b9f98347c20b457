"""Runs inside a rendered project's environment (see chat_turns.py): serves the app.

    python _chat_server.py --port N --memory store|sdk [--workers N]

``sdk`` makes the memory store hand out the SDK's own SQLAlchemySession on the same
tables, the benchmark's baseline; the service itself has no setting for it.

Not through ``app.dependency_overrides``: while any override is set, FastAPI rebuilds
every sub-dependency of every request (``get_dependant`` in ``solve_dependencies``),
about 1.5 ms of CPU per request here, which would slow the baseline down with a cost
the SDK does not have (docs/performance.md, "The baseline without overrides").
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from agent_service.app import create_app
from agent_service.memory.store import SessionStore
from agents import Session
from agents.extensions.memory import SQLAlchemySession
from fastapi import FastAPI


def sdk_session(store: SessionStore, session_id: str, *, owner: str | None = None) -> Session:
    # No owners in the SDK's session: a baseline with authentication disabled only.
    return SQLAlchemySession(session_id, engine=store.engine, create_tables=False)


def build_app() -> FastAPI:
    """The app of one worker; the memory comes through the environment, so that
    uvicorn's worker processes (which import this module anew) get it too."""
    app = create_app()
    if os.environ["CHAT_BENCH_MEMORY"] == "sdk":
        # The chat routes ask the store for the turn's session (api/chat.py).
        SessionStore.session = sdk_session  # type: ignore[method-assign,assignment]
        app.router.lifespan_context = sdk_ready(app.router.lifespan_context)
    return app


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--memory", choices=["store", "sdk"], default="store")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    os.environ["CHAT_BENCH_MEMORY"] = args.memory
    uvicorn.run(
        "_chat_server:build_app",
        factory=True,
        workers=args.workers,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()

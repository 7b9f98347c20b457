"""Runs inside a rendered project's environment (see chat_turns.py): serves the app.

    python _chat_server.py --port N --memory store|sdk

``sdk`` swaps the chat routes' memory dependency for the SDK's own SQLAlchemySession on
the same tables, the benchmark's baseline; the service itself has no setting for it.
"""

from __future__ import annotations

import argparse

import uvicorn
from agent_service.api.chat import ChatMemory, get_chat_memory
from agent_service.api.deps import SessionStoreDep
from agent_service.app import create_app
from agents.extensions.memory import SQLAlchemySession


async def sdk_memory(store: SessionStoreDep) -> ChatMemory:
    # No owners in the SDK's session: a baseline with authentication disabled only.
    return lambda session_id, _owner: SQLAlchemySession(
        session_id, engine=store.engine, create_tables=False
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--memory", choices=["store", "sdk"], default="store")
    args = parser.parse_args()
    app = create_app()
    if args.memory == "sdk":
        app.dependency_overrides[get_chat_memory] = sdk_memory
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()

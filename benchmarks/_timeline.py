"""When each agent run reached its model: imported by ``_chat_server.py`` (``--timeline``).

Wraps the SDK's ``Runner.run`` in the served process and records, for every run, when
it started, when its first model call started and when its last one ended. The times are ``time.perf_counter()``, the system's monotonic clock on Linux,
so they compare with the client's batch times in ``chat_turns.py``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


class Timeline:
    def __init__(self) -> None:
        # Per run: started, first model call started, last model call ended.
        self.runs: list[list[float]] = []

    def install(self) -> None:
        # Imported here: chat_turns.py reads timelines where the SDK is not installed.
        from agents import RunHooks, Runner

        class ModelCalls(RunHooks[Any]):
            def __init__(self, record: list[float]) -> None:
                self.record = record

            async def on_llm_start(self, *_args: Any) -> None:
                if not self.record[1]:
                    self.record[1] = time.perf_counter()

            async def on_llm_end(self, *_args: Any) -> None:
                self.record[2] = time.perf_counter()

        original = Runner.run

        async def run(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("hooks") is not None:
                raise RuntimeError("the timeline cannot wrap a run that has its own hooks")
            record = [time.perf_counter(), 0.0, 0.0]
            self.runs.append(record)
            return await original(*args, hooks=ModelCalls(record), **kwargs)

        Runner.run = run  # type: ignore[method-assign]

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.runs))


def batch_timeline(runs: list[list[float]], started: float, ended: float) -> dict[str, float]:
    """What the runs of one client batch (``started`` to ``ended``) did, in seconds after
    its first request was sent: when the first and the last model call started, when the
    last one ended."""
    inside = [r for r in runs if started <= r[0] <= ended and r[1]]
    if not inside:
        raise ValueError("no run of this batch reached its model")
    return {
        "runs": len(inside),
        "first_model_start_s": min(r[1] for r in inside) - started,
        "last_model_start_s": max(r[1] for r in inside) - started,
        "last_model_end_s": max(r[2] for r in inside) - started,
    }

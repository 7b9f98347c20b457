"""The garbage collector's share of a served app's CPU: imported by ``_chat_server.py``.

``gc.callbacks`` brackets every collector pass; the clock adds up the process CPU time
between the two calls, per generation, from ``install`` to ``write``.
"""

from __future__ import annotations

import gc
import json
import time
from pathlib import Path


class CollectorClock:
    def __init__(self) -> None:
        self.passes = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.longest_s = 0.0
        self._started = 0.0

    def install(self) -> None:
        gc.callbacks.append(self._on_pass)

    def _on_pass(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
            return
        spent = time.process_time() - self._started
        generation = info["generation"]
        self.passes[generation] += 1
        self.seconds[generation] += spent
        self.longest_s = max(self.longest_s, spent)

    def write(self, path: Path) -> None:
        gc.callbacks.remove(self._on_pass)
        path.write_text(
            json.dumps(
                {
                    "passes": self.passes,
                    "seconds": self.seconds,
                    "total_s": sum(self.seconds),
                    "longest_s": self.longest_s,
                }
            )
        )

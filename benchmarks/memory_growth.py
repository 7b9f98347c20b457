"""Benchmark "memory growth": how the store's read costs grow with the data, and the plans.

    uv run python -m benchmarks.memory_growth [--backends sqlite,postgresql]

``get_items(limit=50)`` on a session of 100 vs 100,000 items (target: <= 1.5x apart) and
``list_sessions`` page 1 (``GET /sessions``) for an owner of 1,000 vs 100,000 sessions
(target: <= 2x apart), median latency of sequential calls, with the EXPLAIN plans.
Writes ``benchmarks/results/memory_growth.json``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from benchmarks._common import (
    benchmark_parser,
    prepare_project,
    print_table,
    run_in_project,
    write_results,
)

WORKER = Path(__file__).resolve().parent / "_memory_growth_worker.py"
TARGETS = {"get_items_growth": 1.5, "list_sessions_growth": 2.0}


def main() -> int:
    parser = benchmark_parser(__doc__.splitlines()[0], backends="sqlite,postgresql")
    args = parser.parse_args()
    project = prepare_project(args.project, args.reuse)
    results = {}
    for backend in args.backends.split(","):
        print(f"\n== memory growth on {backend} ==", flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json") as output:
            server = ("--server-url", args.postgres_url) if backend == "postgresql" else ()
            run_in_project(
                project, str(WORKER), "--backend", backend, *server, "--output", output.name
            )
            results[backend] = json.loads(Path(output.name).read_text())
    rows = []
    for backend, data in results.items():
        reads, lists = data["get_items_limit_50_us"], data["list_sessions_page_1_us"]
        rows.append([backend, "get_items(limit=50)", "100 items", reads["100"], ""])
        rows.append([backend, "", "100,000 items", reads["100000"], data["get_items_growth"]])
        rows.append([backend, "list_sessions page 1", "1,000 sessions", lists["1000"], ""])
        rows.append(
            [backend, "", "100,000 sessions", lists["100000"], data["list_sessions_growth"]]
        )
    print()
    print_table(["backend", "operation", "data", "median µs", "growth"], rows)
    for backend, data in results.items():
        for name, limit in TARGETS.items():
            verdict = "ok" if data[name] <= limit else "MISSED"
            print(f"{backend}: {name} {data[name]:.2f}x (target <= {limit}x): {verdict}")
        for name, lines in data["plans"].items():
            print(f"{backend} plan {name}:\n    " + "\n    ".join(lines))
    write_results("memory_growth", {"results": results, "targets": TARGETS})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark "agent turns": the chassis SessionStore vs the SDK's SQLAlchemySession vs the raw
driver, on SQLite and PostgreSQL, in one run on the same database.

    uv run python -m benchmarks.agent_turns [--backends sqlite,postgresql] [--rounds 3]

A turn is ``get_items(limit=50)`` then ``add_items`` of a user and an assistant message,
for 32 concurrent sessions that already hold 40 items each. Prints a table and writes
``benchmarks/results/agent_turns.json``. PostgreSQL comes from CHASSIS_TEST_POSTGRES_URL
(default: postgres:postgres@localhost:5432); the benchmark creates and drops its own
database there.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from benchmarks._common import (
    DEFAULT_POSTGRES_URL,
    REPO_ROOT,
    prepare_project,
    print_table,
    run_in_project,
    write_results,
)

WORKER = Path(__file__).resolve().parent / "_agent_turns_worker.py"
TARGETS = {"postgresql": {"sdk": 2.5, "raw": 0.6}, "sqlite": {"sdk": 3.0, "raw": None}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--project", type=Path, default=REPO_ROOT / "build" / "bench-project")
    parser.add_argument("--reuse", action="store_true", help="reuse an already rendered project")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--turns", type=int, default=20, help="turns per session per round")
    args = parser.parse_args()

    project = prepare_project(args.project, args.reuse)
    results: dict[str, dict] = {}
    for backend in args.backends.split(","):
        print(f"\n== agent turns on {backend} ==", flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json") as output:
            run_in_project(
                project,
                str(WORKER),
                "--backend",
                backend,
                "--postgres-url",
                args.postgres_url,
                "--rounds",
                str(args.rounds),
                "--turns",
                str(args.turns),
                "--output",
                output.name,
            )
            results[backend] = json.loads(Path(output.name).read_text())

    rows, ratios = [], {}
    for backend, implementations in results.items():
        names = list(implementations)
        chassis, sdk, raw = (implementations[name] for name in names)
        ratios[backend] = {
            "chassis_vs_sdk": chassis["turns_per_s"] / sdk["turns_per_s"],
            "chassis_vs_raw": chassis["turns_per_s"] / raw["turns_per_s"],
            "targets": TARGETS[backend],
        }
        for name in names:
            data = implementations[name]
            rows.append([backend, name, data["turns_per_s"], data["cpu_us_per_turn"]])
    print()
    print_table(["backend", "implementation", "turns/s (median)", "client CPU µs/turn"], rows)
    print()
    for backend, ratio in ratios.items():
        target = ratio["targets"]
        line = (
            f"{backend}: chassis = {ratio['chassis_vs_sdk']:.2f}x SDK (target >= {target['sdk']}x)"
        )
        line += f", {ratio['chassis_vs_raw']:.0%} of raw"
        if target["raw"]:
            line += f" (target >= {target['raw']:.0%})"
        print(line)
    write_results(
        "agent_turns",
        {
            "workload": "32 concurrent sessions (40 items each); turn = get_items(limit=50) + add_items(2)",
            "rounds": args.rounds,
            "turns_per_session_per_round": args.turns,
            "results": results,
            "ratios": ratios,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark "turn reads": the CPU of a chat turn's first read, the owner check and the
history in one statement (``SessionStore.open_turn``) against the two a turn used to run
(``owner_of``, then ``read_items``).

    uv run python -m benchmarks.turn_reads [--backends sqlite,postgresql] [--sessions 256]
        [--rounds 20]

For each backend, ``--sessions`` sessions of two items each are read concurrently, as
256 chats arriving together read them, both ways in turn (the order alternating every
round), in one process on a migrated database; reports the median process CPU per read
of each way and their ratio. Writes ``benchmarks/results/turn_reads.json``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from benchmarks._common import (
    benchmark_parser,
    clean_environment,
    migrate,
    prepare_project,
    print_table,
    write_results,
)
from benchmarks._served_app import database

WORKER = Path(__file__).resolve().parent / "_turn_reads_worker.py"


def main() -> int:
    parser = benchmark_parser(__doc__.splitlines()[0], backends="sqlite,postgresql")
    parser.add_argument("--sessions", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    project = prepare_project(args.project, args.reuse)
    rows: list[list[Any]] = []
    summary: dict[str, dict[str, float]] = {}
    for backend in args.backends.split(","):
        with database(backend, args.postgres_url) as url:
            env = clean_environment({"APP_DATABASE_URL": url, "APP_LOG_LEVEL": "WARNING"})
            migrate(project, env)
            python = str(project / ".venv" / "bin" / "python")
            command = [python, str(WORKER), str(args.sessions), str(args.rounds)]
            output = subprocess.run(
                command, cwd=project, env=env, check=True, capture_output=True, text=True
            )
        medians = json.loads(output.stdout.strip().splitlines()[-1])
        before, after = medians["owner_of + read_items"], medians["open_turn"]
        summary[backend] = {
            "two_statements_us": before,
            "open_turn_us": after,
            "ratio": after / before,
        }
        rows.append([backend, before, after, after / before])
    print_table(["backend", "owner_of + read_items µs", "open_turn µs", "ratio"], rows)
    write_results(
        "turn_reads",
        {
            "workload": f"{args.sessions} concurrent first reads of a turn (2 items, limit 100), "
            "process CPU per read, median of the rounds",
            "rounds": args.rounds,
            "summary": summary,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

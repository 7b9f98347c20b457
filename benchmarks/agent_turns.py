"""Benchmark "agent turns": the chassis SessionStore vs the SDK's SQLAlchemySession vs the raw
driver, on SQLite, PostgreSQL and MariaDB, in one run on the same database.

    uv run python -m benchmarks.agent_turns [--backends sqlite,postgresql,mariadb] [--rounds 3]
        [--baseline /path/to/an/older/checkout]

A turn is ``get_items(limit=50)`` then ``add_items`` of a user and an assistant message,
for 32 concurrent sessions that already hold 40 items each. ``--baseline`` renders a
second checkout of the template (e.g. the previous release) and runs the same workload
on it in the same run, so "before" and "after" sit side by side. Prints a table and
writes ``benchmarks/results/agent_turns.json``. PostgreSQL comes from
CHASSIS_TEST_POSTGRES_URL, MariaDB from CHASSIS_TEST_MYSQL_URL (defaults: the local
servers); the benchmark creates and drops its own databases there.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from benchmarks._common import (
    benchmark_parser,
    prepare_project,
    print_table,
    run_in_project,
    write_results,
)

WORKER = Path(__file__).resolve().parent / "_agent_turns_worker.py"
DEFAULT_MYSQL_URL = os.environ.get(
    "CHASSIS_TEST_MYSQL_URL", "mysql+pymysql://root:mariadb@127.0.0.1:3306/mysql"
)
TARGETS = {
    "postgresql": {"sdk": 4.0, "raw": 0.8},
    "sqlite": {"sdk": 4.0, "raw": 0.7},
    "mariadb": {"sdk": 2.0, "raw": None},
}


def run_project(project: Path, backends: list[str], args: argparse.Namespace) -> dict[str, dict]:
    results: dict[str, dict] = {}
    for backend in backends:
        print(f"\n== agent turns on {backend} ({project.name}) ==", flush=True)
        server = {"postgresql": args.postgres_url, "mariadb": args.mysql_url}.get(backend, "")
        with tempfile.NamedTemporaryFile(suffix=".json") as output:
            run_in_project(
                project,
                str(WORKER),
                *("--backend", backend, "--server-url", server, "--output", output.name),
                *("--rounds", str(args.rounds), "--turns", str(args.turns)),
            )
            results[backend] = json.loads(Path(output.name).read_text())
    return results


def ratios(implementations: dict[str, dict]) -> dict[str, float | None]:
    def rate(name: str) -> float | None:
        return implementations.get(name, {}).get("turns_per_s")

    chassis, sdk = rate("chassis SessionStore"), rate("SDK SQLAlchemySession")
    raw = rate("raw asyncpg") or rate("raw aiosqlite")
    return {
        "chassis_vs_sdk": chassis / sdk if chassis and sdk else None,
        "chassis_vs_raw": chassis / raw if chassis and raw else None,
    }


def main() -> int:
    parser = benchmark_parser(__doc__.splitlines()[0], backends="sqlite,postgresql,mariadb")
    parser.add_argument("--mysql-url", default=DEFAULT_MYSQL_URL)
    parser.add_argument("--baseline", type=Path, help="another template checkout ('before')")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--turns", type=int, default=20, help="turns per session per round")
    args = parser.parse_args()
    backends = args.backends.split(",")

    projects = {}
    if args.baseline:
        baseline = args.project.with_name(args.project.name + "-baseline")
        projects["before"] = prepare_project(baseline, args.reuse, template=args.baseline)
    projects["after"] = prepare_project(args.project, args.reuse)
    results = {label: run_project(project, backends, args) for label, project in projects.items()}

    rows, summary = [], {}
    for label, per_backend in results.items():
        for backend, implementations in per_backend.items():
            summary.setdefault(backend, {})[label] = ratios(implementations)
            for name, data in implementations.items():
                if not isinstance(data, dict):
                    continue
                if "failed" in data:
                    rows.append([label, backend, name, "failed", data["failed"][:70]])
                else:
                    rows.append(
                        [label, backend, name, data["turns_per_s"], data["cpu_us_per_turn"]]
                    )
    print()
    print_table(["code", "backend", "implementation", "turns/s (median)", "CPU µs/turn"], rows)
    print()
    for backend, by_label in summary.items():
        target = TARGETS[backend]
        for label, ratio in by_label.items():
            sdk, raw = ratio["chassis_vs_sdk"], ratio["chassis_vs_raw"]
            line = f"{backend} ({label}): chassis = "
            line += f"{sdk:.2f}x SDK" if sdk else "n/a x SDK"
            line += f" (target >= {target['sdk']}x)"
            if raw:
                line += f", {raw:.0%} of raw"
            if target["raw"]:
                line += f" (target >= {target['raw']:.0%})"
            print(line)
    write_results(
        "agent_turns",
        {
            "workload": "32 concurrent sessions (40 items each); turn = get_items(limit=50) + add_items(2)",
            "rounds": args.rounds,
            "turns_per_session_per_round": args.turns,
            "baseline": str(args.baseline) if args.baseline else None,
            "results": results,
            "ratios": summary,
            "targets": TARGETS,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

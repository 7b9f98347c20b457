"""The flake budget: run a rendered project's whole suite N times in a row on one backend,
each run in a fresh random order, and count the runs that failed.

    uv run python -m scripts.flake_runs --backend sqlite --runs 20
    uv run python -m scripts.flake_runs --backend postgresql --runs 5
    uv run python -m scripts.flake_runs --backend mariadb --runs 5

The project is rendered once per backend (``database_backend`` sqlite, postgres or
custom) and synced with every extra, so the trace, metrics and MySQL tests run too.
Each run's seed, duration, summary line and failing tests go to
``benchmarks/results/<project folder>.json`` (``flake-<backend>``; two loops on one
backend at once each name their own ``--project``); a failure's whole output is kept in the
project (``flake-runN.log``), so the flake can be replayed with ``-p randomly --randomly-seed=SEED``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

from benchmarks._common import prepare_project, write_results
from tests.helpers import (
    DEFAULT_MYSQL_URL,
    DEFAULT_POSTGRES_URL,
    REPO_ROOT,
    clean_environment,
    mysql_environment,
)

ANSWERS = {"sqlite": "sqlite", "postgresql": "postgres", "mariadb": "custom"}
# One run of ~500 tests takes 4-10 min on two shared cores; an hour means it hangs.
RUN_TIMEOUT_SECONDS = 3600
SUMMARY = re.compile(r"^=+ (.*(passed|failed|error).*) =+$", re.MULTILINE)
FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=sorted(ANSWERS), required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--project", type=Path, help="default: build/flake-<backend>")
    parser.add_argument("--reuse", action="store_true", help="reuse an already rendered project")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("CHASSIS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    )
    parser.add_argument(
        "--mysql-url", default=os.environ.get("CHASSIS_TEST_MYSQL_URL", DEFAULT_MYSQL_URL)
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def suite_environment(args: argparse.Namespace) -> dict[str, str]:
    """What the rendered conftest needs to reach the backend's server (nothing for SQLite)."""
    env = {"TEST_OTEL": "required"}
    if args.backend == "postgresql":
        return {**env, "TEST_DATABASE_URL": args.postgres_url}
    if args.backend == "mariadb":
        return {**env, **mysql_environment(args.mysql_url)}
    return env


def prepare(args: argparse.Namespace) -> Path:
    return prepare_project(
        args.project or REPO_ROOT / "build" / f"flake-{args.backend}",
        args.reuse,
        answers={"database_backend": ANSWERS[args.backend]},
        extras=("--all-extras",),
    )


def outcome(output: str, returncode: int) -> dict[str, object]:
    """pytest's verdict, its last summary line and the node ids it reported failing,
    from pytest's standard output (stderr holds interpreter-exit noise, kept in the log)."""
    summaries = SUMMARY.findall(output)
    last_line = output.strip().splitlines()[-1] if output.strip() else ""
    return {
        "ok": returncode == 0,
        "summary": summaries[-1][0] if summaries else last_line,
        "failed": FAILED.findall(output),
    }


def _text(captured: bytes | str | None) -> str:
    if isinstance(captured, bytes):
        return captured.decode(errors="replace")
    return captured or ""


def run_once(project: Path, env: dict[str, str], number: int) -> dict[str, object]:
    """One whole suite in a fresh random order; a failed run's output is kept in full."""
    seed = random.randrange(1 << 32)  # noqa: S311 (a test order, not a secret)
    command = ["uv", "run", "pytest", "-p", "no:cacheprovider", "-q"]
    command += ["-p", "randomly", f"--randomly-seed={seed}"]
    started = time.monotonic()
    try:
        completed = subprocess.run(
            command,
            cwd=project,
            env=clean_environment(env),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SECONDS,
            check=False,
        )
        output, errors, returncode = completed.stdout, completed.stderr, completed.returncode
    except subprocess.TimeoutExpired as timeout:
        # subprocess.run leaves what it read as bytes here, even with text=True.
        output = f"{_text(timeout.stdout)}\nTIMED OUT after {RUN_TIMEOUT_SECONDS} s"
        errors, returncode = _text(timeout.stderr), -1
    seconds = round(time.monotonic() - started, 1)
    run = {"run": number, "seed": seed, "seconds": seconds, **outcome(output, returncode)}
    if not run["ok"]:
        (project / f"flake-run{number}.log").write_text(f"{output}\n--- stderr ---\n{errors}")
    return run


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    project = prepare(args)
    env = suite_environment(args)
    runs: list[dict[str, object]] = []
    for number in range(1, args.runs + 1):
        run = run_once(project, env, number)
        runs.append(run)
        verdict = "ok" if run["ok"] else f"FAILED {run['failed']}"
        print(f"run {number}/{args.runs}: seed {run['seed']}, {run['seconds']} s, {verdict}")
        print(f"   {run['summary']}", flush=True)
        # After every run, so the runs so far survive a loop that is stopped.
        # flake-<backend>, unless --project names another folder.
        write_results(project.name, {"backend": args.backend, "runs": runs})
    failed = [r for r in runs if not r["ok"]]
    print(f"\n{args.backend}: {len(runs) - len(failed)} of {len(runs)} runs passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or None))

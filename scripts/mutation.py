"""`make mutation`: mutation-test the security- and memory-critical modules of a rendered
default project, on SQLite and PostgreSQL, and write docs/quality.md.

    uv run python -m scripts.mutation [--backends sqlite,postgresql] [--groups memory,auth]

Each module group runs mutmut (3.x, installed into the rendered project's environment)
with only the tests that cover it, so a run stays within ~30 minutes on two cores. A
mutant killed on any backend counts as killed, so a group's second backend re-checks only
the mutants its first did not kill, in the modules whose code differs there.
mutmut mutates code inside functions only; the memory store's SQL is built at import
(memory/statements.py), so its tenant conditions and locks are mutated by hand instead
(scripts/mutation_plants.py), one planted bug at a time, against the same tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from scripts.mutation_groups import (
    BACKENDS,
    GROUPS,
    PACKAGE,
    PER_TEST_TIMEOUT,
    Group,
    dotted,
    module_of,
)
from scripts.mutation_plants import run_plants
from scripts.mutation_report import RESULTS_DIR, GroupResult, ResultStore
from tests.helpers import DEFAULT_POSTGRES_URL, REPO_ROOT, clean_environment, render

MUTMUT = "mutmut>=3.8,<4"
KILLED = ("killed", "timeout")  # a hang is a failing test
# mutmut's exit codes per mutant (mutmut/stats.py): 1 and 3 mean a test failed.
MUTMUT_STATUS: dict[int | None, str] = {
    0: "survived",
    1: "killed",
    3: "killed",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    None: "not checked",
}


@dataclass
class Run:
    project: Path
    postgres_url: str
    max_children: int
    results: list[GroupResult] = field(default_factory=list)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--groups", default=",".join(GROUPS))
    parser.add_argument(
        "--postgres-url", default=os.environ.get("CHASSIS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    )
    parser.add_argument("--project", type=Path, default=REPO_ROOT / "build" / "mutation-project")
    parser.add_argument("--reuse", action="store_true", help="reuse an already rendered project")
    # The tests mostly wait (timers, SQLite's threads, the server): two workers kept two
    # cores under half busy (load average 0.9 over a whole memory group).
    parser.add_argument("--max-children", type=int, default=4, help="mutmut worker processes")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "docs" / "quality.md")
    parser.add_argument("--no-plants", action="store_true", help="skip the hand-planted SQL bugs")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the report from saved results"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="forget the results of earlier runs (build/mutation)"
    )
    args = parser.parse_args(argv)
    for name, given, known in (
        ("backend", args.backends, BACKENDS),
        ("group", args.groups, GROUPS),
    ):
        unknown = [value for value in given.split(",") if value not in known]
        if unknown:
            parser.error(f"unknown {name} {unknown}; choose from {', '.join(known)}")
    return args


def mutmut_config(group: Group, backend: str = "sqlite") -> str:
    """The ``[tool.mutmut]`` table for one group (mutmut reads it from pyproject.toml)."""
    only = [f"src/{PACKAGE}/{module}" for module in group.modules_for(backend)]
    tests = [f"tests/{test}" for test in group.tests]
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["src/"]\n'
        # The tests migrate their databases: Alembic's files must be in mutants/ too.
        'also_copy = ["alembic.ini", "migrations/"]\n'
        f"only_mutate = {json.dumps(only)}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
        # pytest-timeout's thread method ends the run of a hung test with exit code 1
        # (killed), even where the hang would also stall the test's teardown.
        f'pytest_add_cli_args = ["-p", "no:cacheprovider", "--timeout", '
        f'"{PER_TEST_TIMEOUT}", "--timeout-method", "thread"]\n'
        # mutmut's own limit, for a hang outside any test: a CPU limit of multiplier x
        # the tests' time + constant, and half that in wall time.
        "timeout_multiplier = 6.0\n"
        "timeout_constant = 20.0\n"
    )


def prepare(project: Path, reuse: bool) -> Path:
    project = project.resolve()
    if not (reuse and (project / "pyproject.toml").exists()):
        if project.exists():
            shutil.rmtree(project)
        print(f"rendering the template into {project} ...", flush=True)
        render(project)
        (project / "pyproject.toml.orig").write_text((project / "pyproject.toml").read_text())
    env = clean_environment()
    subprocess.run(["uv", "sync", "--quiet"], cwd=project, env=env, check=True)
    subprocess.run(["uv", "pip", "install", "--quiet", MUTMUT], cwd=project, env=env, check=True)
    return project


def backend_env(backend: str, postgres_url: str) -> dict[str, str]:
    return clean_environment({"TEST_DATABASE_URL": postgres_url} if backend == "postgresql" else {})


def run_group(run: Run, group: Group, backend: str, only: list[str] | None = None) -> GroupResult:
    """mutmut over the group's modules on ``backend``; ``only``: just these mutants."""
    project = run.project
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        (project / "pyproject.toml.orig").read_text() + mutmut_config(group, backend)
    )
    shutil.rmtree(project / "mutants", ignore_errors=True)
    env = backend_env(backend, run.postgres_url)
    mutmut = str(project / ".venv" / "bin" / "mutmut")
    print(f"\n== {group.name} on {backend} ==", flush=True)
    started = time.monotonic()
    log = project / f"mutmut-{group.name}-{backend}.log"
    with log.open("w") as out:
        completed = subprocess.run(
            [mutmut, "run", "--max-children", str(run.max_children), *(only or [])],
            cwd=project,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        sys.exit(f"mutmut failed for {group.name} on {backend}; see {log}")
    statuses = collect_statuses(project)
    if only is not None:
        statuses = {name: statuses.get(name, "not checked") for name in only}
    survivors = [name for name, status in statuses.items() if status == "survived"]

    def diff(name: str) -> str:  # one mutmut process (about 1.3 s) per reported diff
        shown = subprocess.run(
            [mutmut, "show", name],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        return shown.stdout.strip()

    with ThreadPoolExecutor(max_workers=run.max_children) as pool:
        diffs = dict(zip(survivors, pool.map(diff, survivors), strict=True))
    modules = group.modules_for(backend)
    label = backend if only is None else f"{backend} (re-checks {len(only)} not killed before)"
    result = GroupResult(group.name, label, modules, group.tests, statuses, diffs, seconds)
    print(f"   {result.summary()}", flush=True)
    return result


def still_to_check(group: Group, backend: str, not_killed: set[str]) -> list[str]:
    """A mutant killed on any backend counts as killed, so a later backend runs only the
    ones the earlier backends did not kill, in the modules it mutates."""
    modules = {dotted(module) for module in group.modules_for(backend)}
    return sorted(mutant for mutant in not_killed if module_of(mutant) in modules)


def collect_statuses(project: Path) -> dict[str, str]:
    """Mutant name -> killed / survived / no tests / timeout, from mutmut's .meta files."""
    statuses: dict[str, str] = {}
    for meta in sorted((project / "mutants").rglob("*.meta")):
        data = json.loads(meta.read_text())
        for name, code in data.get("exit_code_by_key", {}).items():
            statuses[name] = MUTMUT_STATUS.get(code, "suspicious")
    return statuses


def main(argv: list[str] | None = None) -> None:
    """Run the groups; after each one, rewrite the report from every group's latest result
    (a group re-run alone replaces only its own rows, kept in build/mutation/)."""
    args = parse_args(argv)
    store = ResultStore(RESULTS_DIR, fresh=args.fresh)
    if args.report_only:
        store.write(args.output)
        print(f"wrote {args.output}")
        return
    command = " ".join(["uv run python -m scripts.mutation", *(argv or [])])
    run = Run(prepare(args.project, args.reuse), args.postgres_url, args.max_children)
    backends = args.backends.split(",")
    if not args.no_plants:
        store.save_plants(
            run_plants(run.project, backends, args.postgres_url, run.max_children), command
        )
        store.write(args.output)
    for name in args.groups.split(","):
        group = GROUPS[name]
        not_killed: set[str] | None = None  # after the group's first backend
        for backend in (b for b in group.backends if b in backends):
            only = None if not_killed is None else still_to_check(group, backend, not_killed)
            result = run_group(run, group, backend, only)
            store.save(result, command, backend)
            store.write(args.output)
            killed = {m for m, status in result.statuses.items() if status in KILLED}
            not_killed = (set(result.statuses) if not_killed is None else not_killed) - killed
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main(sys.argv[1:] or None)

"""Hand-planted bugs for what mutmut cannot mutate: SQL built at import time.

mutmut mutates code inside functions only, and the memory store's statements
(memory/statements.py) are module-level constants, so the tenant conditions, the row
lock and the SQLite specifics are planted here, one at a time, each against the tests
that must catch it. A planted bug is "killed" when at least one of those tests fails.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from scripts.mutation_groups import PACKAGE
from tests.helpers import clean_environment

SRC = f"src/{PACKAGE}/"
# What a plant's copy of the project needs to run its tests.
COPIED = ("src", "tests", "migrations", "alembic.ini", "pyproject.toml")


@dataclass(frozen=True)
class Plant:
    name: str
    what: str  # the realistic bug, in words
    file: str
    old: str
    new: str
    tests: tuple[str, ...]
    backends: tuple[str, ...] = ("sqlite", "postgresql")


MEMORY_TESTS = ("tests/test_memory_isolation.py", "tests/test_memory_store.py")
STATEMENTS = SRC + "memory/statements.py"
PLANTS = (
    Plant(
        "read-latest-owner",
        "the limited read (get_items(limit=N)) no longer checks the owner",
        STATEMENTS,
        "    select(_messages.message_data)\n    .where(_messages.session_id == SESSION_ID, OWNED)\n    .order_by(_newest_first)",
        "    select(_messages.message_data)\n    .where(_messages.session_id == SESSION_ID)\n    .order_by(_newest_first)",
        MEMORY_TESTS,
    ),
    Plant(
        "read-all-owner",
        "the unlimited read no longer checks the owner",
        STATEMENTS,
        "    .where(_messages.session_id == SESSION_ID, OWNED)\n    .order_by(_messages.id)",
        "    .where(_messages.session_id == SESSION_ID)\n    .order_by(_messages.id)",
        MEMORY_TESTS,
    ),
    Plant(
        "turn-read-owner",
        "a turn's first read joins the history when another owner holds the session, "
        "not the caller",
        STATEMENTS,
        "agent_sessions.outerjoin(latest, _sessions.owner == OWNER)",
        "agent_sessions.outerjoin(latest, _sessions.owner != OWNER)",
        MEMORY_TESTS,
    ),
    Plant(
        "list-owner",
        "list_sessions lists every owner's sessions",
        STATEMENTS,
        "    .where(_sessions.owner == OWNER)\n    .order_by(_sessions.updated_at.desc()",
        "    .where(true())\n    .order_by(_sessions.updated_at.desc()",
        MEMORY_TESTS,
    ),
    Plant(
        "pop-owner",
        "pop_item pops from another owner's session",
        STATEMENTS,
        "_tail_id = select(_messages.id).where(_messages.session_id == SESSION_ID, OWNED)",
        "_tail_id = select(_messages.id).where(_messages.session_id == SESSION_ID)",
        MEMORY_TESTS,
    ),
    Plant(
        "clear-owner",
        "clear_session clears another owner's session",
        STATEMENTS,
        "    .where(_sessions.session_id == SESSION_ID, _sessions.owner == OWNER)\n    .returning(_sessions.session_id)\n)\n\n#",
        "    .where(_sessions.session_id == SESSION_ID)\n    .returning(_sessions.session_id)\n)\n\n#",
        MEMORY_TESTS,
    ),
    Plant(
        "pg-pop-row-lock",
        "PostgreSQL's pop without its row lock (FOR UPDATE)",
        STATEMENTS,
        "_tail_id.with_for_update().scalar_subquery()",
        "_tail_id.scalar_subquery()",
        MEMORY_TESTS,
        ("postgresql",),
    ),
    Plant(
        "sqlite-clear-cascade",
        "SQLite's clear relies on ON DELETE CASCADE (orphans with foreign keys off)",
        SRC + "memory/backends/sqlite.py",
        "            await executor.execute_many(sql.DELETE_SESSION_MESSAGES, [key])\n            return True",
        "            return True",
        ("tests/test_memory_isolation.py",),
        ("sqlite",),
    ),
    Plant(
        "sqlite-deferred-core",
        "SQLite Core writers start with a deferred BEGIN",
        SRC + "memory/backends/sqlite.py",
        'SQLITE_BEGIN_OPTION: "IMMEDIATE"',
        'SQLITE_BEGIN_OPTION: "DEFERRED"',
        ("tests/test_sqlite_writers.py",),
        ("sqlite",),
    ),
    Plant(
        "sqlite-deferred-driver",
        "SQLite driver-path writers start with a deferred BEGIN",
        SRC + "memory/sqlite_units.py",
        'connection.execute("BEGIN IMMEDIATE")',
        'connection.execute("BEGIN")',
        ("tests/test_sqlite_writers.py",),
        ("sqlite",),
    ),
    Plant(
        "sqlite-busy-500",
        "SQLITE_BUSY / SQLITE_LOCKED no longer mean 'unavailable' (a 500, not a 503)",
        SRC + "db/connectivity.py",
        "frozenset({5, 6, 10, 13, 14})",
        "frozenset({10, 13, 14})",
        ("tests/test_sqlite_writers.py",),
        ("sqlite",),
    ),
)


def run_plants(
    project: Path, backends: list[str], postgres_url: str, workers: int
) -> list[dict[str, str]]:
    """Each plant on each of its backends, ``workers`` at a time; one row per run."""
    runs = [
        (plant, backend) for plant in PLANTS for backend in plant.backends if backend in backends
    ]
    with (
        tempfile.TemporaryDirectory(prefix="plants-") as scratch,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):
        return list(
            pool.map(lambda run: _run_plant(project, Path(scratch), *run, postgres_url), runs)
        )


def _run_plant(
    project: Path, scratch: Path, plant: Plant, backend: str, postgres_url: str
) -> dict[str, str]:
    """Plant the bug in a copy of the project (its own src/ first on the path, as mutmut
    does with mutants/), so plants run side by side; the project itself stays intact."""
    copy = scratch / f"{plant.name}-{backend}"
    for part in COPIED:
        source = project / part
        if source.is_dir():
            shutil.copytree(source, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            copy.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy / part)
    path = copy / plant.file
    original = path.read_text()
    if original.count(plant.old) != 1:
        raise SystemExit(f"plant {plant.name}: its code is not in {plant.file} once")
    path.write_text(original.replace(plant.old, plant.new))
    env = clean_environment(
        {"PYTHONPATH": str(copy / "src")}
        | ({"TEST_DATABASE_URL": postgres_url} if backend == "postgresql" else {})
    )
    python = str(project / ".venv/bin/python")
    imported = subprocess.run(
        [python, "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if not imported.startswith(str(copy / "src")):  # else the plant would not be tested
        raise SystemExit(f"plant {plant.name}: the tests would import {imported.strip()}")
    completed = subprocess.run(
        [
            python,
            "-m",
            "pytest",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            *plant.tests,
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    # Exit code 1: a test failed (killed); 0: all passed (survived); else broken.
    status = {0: "survived", 1: "killed"}.get(completed.returncode, "error")
    print(f"   plant {plant.name} on {backend}: {status}", flush=True)
    return {
        "name": plant.name,
        "what": plant.what,
        "backend": backend,
        "status": status,
        "tests": ", ".join(plant.tests),
    }

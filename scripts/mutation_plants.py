"""Hand-planted bugs for what mutmut cannot mutate: SQL built at import time.

mutmut mutates code inside functions only, and the memory store's statements
(memory/statements.py) are module-level constants, so the tenant conditions, the row
lock and the SQLite specifics are planted here, one at a time, each against the tests
that must catch it. A planted bug is "killed" when at least one of those tests fails.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import clean_environment

SRC = "src/agent_service/"


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
        "    select(_messages.message_data)\n    .where(_messages.session_id == SESSION_ID, OWNED)\n    .order_by(*_newest_first)",
        "    select(_messages.message_data)\n    .where(_messages.session_id == SESSION_ID)\n    .order_by(*_newest_first)",
        MEMORY_TESTS,
    ),
    Plant(
        "read-all-owner",
        "the unlimited read no longer checks the owner",
        STATEMENTS,
        "    .where(_messages.session_id == SESSION_ID, OWNED)\n    .order_by(_messages.created_at, _messages.id)",
        "    .where(_messages.session_id == SESSION_ID)\n    .order_by(_messages.created_at, _messages.id)",
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
        SRC + "memory/executors.py",
        'await self.driver.execute("BEGIN IMMEDIATE")',
        'await self.driver.execute("BEGIN")',
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


def run_plants(project: Path, backends: list[str], postgres_url: str) -> list[dict[str, str]]:
    """Plant each bug, run its tests, restore the file; one row per plant and backend."""
    rows = []
    for plant in PLANTS:
        for backend in (b for b in plant.backends if b in backends):
            path = project / plant.file
            original = path.read_text()
            if original.count(plant.old) != 1:
                raise SystemExit(f"plant {plant.name}: its code is not in {plant.file} once")
            env = clean_environment(
                {"TEST_DATABASE_URL": postgres_url} if backend == "postgresql" else {}
            )
            path.write_text(original.replace(plant.old, plant.new))
            try:
                completed = subprocess.run(
                    [
                        str(project / ".venv/bin/pytest"),
                        "-x",
                        "-q",
                        "-p",
                        "no:cacheprovider",
                        *plant.tests,
                    ],
                    cwd=project,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=900,
                )
            finally:
                path.write_text(original)
            # Exit code 1: a test failed (killed); 0: all passed (survived); else broken.
            status = {0: "survived", 1: "killed"}.get(completed.returncode, "error")
            print(f"   plant {plant.name} on {backend}: {status}", flush=True)
            rows.append(
                {
                    "name": plant.name,
                    "what": plant.what,
                    "backend": backend,
                    "status": status,
                    "tests": ", ".join(plant.tests),
                }
            )
    return rows

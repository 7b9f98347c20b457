"""Migrations on start with many replicas, a stuck lock, and a failing migration.

Each scenario runs the rendered service's real start-up path (``docker/entrypoint.sh``
with ``RUN_DB_MIGRATIONS=true``, run directly: no Docker engine needed) against an
empty database on PostgreSQL, with test-only revisions added to a copy of the project's migrations:

* a revision that records every run in a table and holds the lock until the other
  replicas are queued on it, so four replicas started together really contend;
* a revision that creates a table and then fails, to prove transactional DDL.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.helpers import (
    Project,
    clean_environment,
    fresh_postgres_database,
    synced_project,
    with_driver,
)

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("hardening")]

REPLICAS = 4
# env.py derives the lock key from the package name, so every replica of one service
# (and only that service) contends for it.
MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"agent_service:alembic").digest()[:8], "big", signed=True
)

COUNTING_REVISION = '''"""Test-only: records each time it runs, and holds the migration lock until
the other replicas are queued on it."""

from alembic import op

revision = "hardening_count"
down_revision = None
branch_labels = ("hardening",)
depends_on = "chassis_0001"

# Replicas reach the lock seconds apart on a busy machine (each imports the service
# twice first), so a fixed pause can end before the last one asks for it. Held until
# the others wait (bounded: a replica that never arrives fails the test, not hangs it),
# and the count it saw is recorded for the test. Only this database's waiters count:
# other tests on the same server migrate their own databases meanwhile.
HOLD_UNTIL_QUEUED = """
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '30 seconds';
    waiting integer;
BEGIN
    LOOP
        SELECT count(*) INTO waiting FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database());
        EXIT WHEN waiting >= OTHER_REPLICAS OR clock_timestamp() >= deadline;
        PERFORM pg_sleep(0.05);
    END LOOP;
    UPDATE migration_runs SET queued = waiting;
END $$
"""


def upgrade() -> None:
    op.execute("CREATE TABLE migration_runs (pid integer NOT NULL, queued integer)")
    op.execute("INSERT INTO migration_runs (pid) VALUES (pg_backend_pid())")
    op.execute(HOLD_UNTIL_QUEUED)


def downgrade() -> None:
    op.execute("DROP TABLE migration_runs")
'''.replace("OTHER_REPLICAS", str(REPLICAS - 1))

FAILING_REVISION = '''"""Test-only: creates a table, then fails."""

from alembic import op

revision = "hardening_broken"
down_revision = None
branch_labels = ("hardening",)
depends_on = "chassis_0001"


def upgrade() -> None:
    op.execute("CREATE TABLE must_be_rolled_back (id integer)")
    op.execute("INSERT INTO table_that_does_not_exist VALUES (1)")


def downgrade() -> None:
    pass
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return synced_project(tmp_path_factory.mktemp("migrations") / "service")


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """The async URL of a fresh, empty database (dropped afterwards)."""
    with fresh_postgres_database(postgres_url, "replicas") as name:
        yield with_driver(postgres_url, "postgresql+asyncpg", name)


def sync_url(url: str) -> str:
    return with_driver(url, "postgresql")


def migrations_with(project: Project, folder: Path, revisions: dict[str, str]) -> Path:
    """A copy of the project's alembic.ini and migrations plus extra revision files."""
    shutil.copytree(project.path / "migrations", folder / "migrations")
    shutil.copy(project.path / "alembic.ini", folder / "alembic.ini")
    for name, source in revisions.items():
        (folder / "migrations" / "versions" / name).write_text(source)
    return folder / "alembic.ini"


def start_replica(project: Project, env: dict[str, str], marker: Path) -> subprocess.Popen[str]:
    """One container start: ``docker/entrypoint.sh`` with migrations on, then a command.

    The command only records that it ran (in ``marker``): the entrypoint must hand over
    to it after a successful migration and never after a failed one.
    """
    command = ["python", "-c", f"open({str(marker)!r}, 'w').write('started')"]
    venv_bin = project.path / ".venv" / "bin"
    return subprocess.Popen(
        ["sh", str(project.path / "docker" / "entrypoint.sh"), *command],
        cwd=project.path,
        env=clean_environment(
            {
                "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
                "RUN_DB_MIGRATIONS": "true",
                "DB_WAIT_TIMEOUT_SECONDS": "30",
                **env,
            }
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def fetch(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(sync_url(url), autocommit=True) as connection:
        return connection.execute(sql).fetchall()  # type: ignore[arg-type]


def public_tables(url: str) -> set[str]:
    rows = fetch(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {str(row[0]) for row in rows}


def test_replicas_starting_together_migrate_exactly_once(
    project: Project, database: str, tmp_path: Path
) -> None:
    ini = migrations_with(project, tmp_path, {"hardening_count.py": COUNTING_REVISION})
    revisions = len(list((tmp_path / "migrations" / "versions").glob("*.py")))
    env = {"APP_DATABASE_URL": database, "APP_ALEMBIC_CONFIG": str(ini)}

    markers = [tmp_path / f"replica-{number}.started" for number in range(REPLICAS)]
    replicas = [start_replica(project, env, marker) for marker in markers]
    # Watch the lock while they run: replicas queued behind the one migrating.
    most_waiting = 0
    while any(replica.poll() is None for replica in replicas):
        waiting = fetch(
            database,
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
        )[0][0]
        most_waiting = max(most_waiting, int(waiting))  # type: ignore[call-overload]
        time.sleep(0.05)
    outputs = [replica.communicate(timeout=60)[0] for replica in replicas]

    for output, replica, marker in zip(outputs, replicas, markers, strict=True):
        assert replica.returncode == 0, output
        assert marker.exists(), output  # the command started after the migration
    applied = [output.count("Running upgrade") for output in outputs]
    # Every revision ran once in total, all in one replica; the others found the head.
    assert sum(applied) == revisions, outputs
    assert sorted(applied) == [0] * (REPLICAS - 1) + [revisions], outputs
    assert fetch(database, "SELECT count(*) FROM migration_runs")[0][0] == 1
    # The replica that migrated saw every other one queued behind it on the lock.
    assert fetch(database, "SELECT queued FROM migration_runs")[0][0] == REPLICAS - 1
    versions = {str(row[0]) for row in fetch(database, "SELECT version_num FROM alembic_version")}
    assert "hardening_count" in versions
    # The test only proves something if replicas really overlapped.
    assert most_waiting >= 1, "no replica ever waited for the migration lock"
    print(
        f"{REPLICAS} replicas started, {sum(applied)} migrations applied by one of them "
        f"({revisions} revisions), up to {most_waiting} replicas queued on the lock"
    )


def test_migration_lock_wait_is_bounded(project: Project, database: str, tmp_path: Path) -> None:
    env = {"APP_DATABASE_URL": database, "APP_MIGRATION_LOCK_TIMEOUT_SECONDS": "1"}
    # Someone else (a stuck replica) holds the lock.
    with psycopg.connect(sync_url(database), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        stuck = start_replica(project, env, tmp_path / "stuck.started")
        output = stuck.communicate(timeout=120)[0]
    assert stuck.returncode != 0, output
    assert not (tmp_path / "stuck.started").exists(), output
    assert "migration lock" in output and "APP_MIGRATION_LOCK_TIMEOUT_SECONDS" in output, output
    assert "Traceback" not in output, output
    assert public_tables(database) == set()

    # Once the holder is gone, the same start-up succeeds.
    retry = start_replica(project, env, tmp_path / "retry.started")
    output = retry.communicate(timeout=120)[0]
    assert retry.returncode == 0, output
    assert (tmp_path / "retry.started").exists(), output
    assert {"agent_sessions", "agent_messages"} <= public_tables(database)


def test_failing_migration_leaves_the_schema_unchanged(
    project: Project, database: str, tmp_path: Path
) -> None:
    ini = migrations_with(project, tmp_path, {"hardening_broken.py": FAILING_REVISION})
    env = {"APP_DATABASE_URL": database, "APP_ALEMBIC_CONFIG": str(ini)}

    replica = start_replica(project, env, tmp_path / "broken.started")
    output = replica.communicate(timeout=120)[0]

    assert replica.returncode != 0, output
    assert not (tmp_path / "broken.started").exists(), output  # never handed over
    # The Alembic/driver error is shown, naming what failed.
    assert "table_that_does_not_exist" in output, output
    # Transactional DDL: the chassis tables created earlier in the same upgrade, the
    # broken revision's own table and alembic_version are all rolled back.
    assert public_tables(database) == set()

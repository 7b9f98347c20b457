"""The rendered service behind a real PgBouncer in transaction mode.

A transaction pooler hands each transaction to whichever server connection is free,
so named prepared statements (asyncpg's statement cache, psycopg's automatic
preparation) break: "prepared statement ... does not exist / already exists".
Pooler mode (``?pgbouncer=true`` or ``APP_DATABASE_POSTGRES_PGBOUNCER=true``) must
avoid that. These tests prove both halves: the same workload fails without pooler
mode and passes with it, and the rendered suite passes through the pooler.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.helpers import Project, render
from tests.servers import PgBouncer, pgbouncer

pytestmark = [pytest.mark.postgres, pytest.mark.pgbouncer, pytest.mark.xdist_group("pgbouncer")]

WORKLOAD = Path(__file__).parent / "workloads" / "pooler_workload.py"
# Fewer server connections than concurrent clients, so transactions of one client
# land on different server connections.
SERVER_POOL_SIZE = 2


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = Project(render(tmp_path_factory.mktemp("pgbouncer") / "service"))
    project.sync()
    shutil.copy(WORKLOAD, project.path / "pooler_workload.py")
    return project


@pytest.fixture(scope="module")
def bouncer(pgbouncer_binary: str, postgres_url: str) -> Iterator[PgBouncer]:
    with pgbouncer(pgbouncer_binary, postgres_url, pool_size=SERVER_POOL_SIZE) as running:
        yield running


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """A fresh database on the server, created and dropped over the direct connection."""
    name = f"pgbouncer_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def direct_url(postgres_url: str, database: str, driver: str = "postgresql+psycopg") -> str:
    return (
        make_url(postgres_url)
        .set(drivername=driver, database=database)
        .render_as_string(hide_password=False)
    )


def run_workload(project: Project, url: str, label: str) -> dict[str, Any]:
    result = project.run("uv", "run", "--no-sync", "python", "pooler_workload.py", url, label)
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("driver", ["postgresql+asyncpg", "postgresql+psycopg"])
def test_pooler_mode_is_what_makes_pgbouncer_work(
    driver: str, project: Project, bouncer: PgBouncer, database: str, postgres_url: str
) -> None:
    # Migrations go over the direct connection, as APP_ALEMBIC_DATABASE_URL would send them.
    project.run(
        "uv", "run", "--no-sync", "agent-service", "migrate",
        env={"APP_DATABASE_URL": direct_url(postgres_url, database)},
    )  # fmt: skip
    through_pooler = bouncer.url(database, driver)

    default = run_workload(project, through_pooler, "default")
    assert default["pooler_mode"] is False
    prepared_statement_errors = sum(
        count for reason, count in default["errors"].items() if "prepared statement" in reason
    )
    # Without pooler mode the workload must break, and only for this reason;
    # otherwise the passing run below would prove nothing.
    assert prepared_statement_errors > 0, default
    assert prepared_statement_errors == sum(default["errors"].values()), default

    pooled = run_workload(project, f"{through_pooler}?pgbouncer=true", "pooler")
    assert pooled["pooler_mode"] is True
    assert pooled["errors"] == {}, pooled
    assert pooled["acknowledged"] == pooled["attempted"], pooled
    # Every acknowledged unit of work is stored (counted over the direct connection).
    with psycopg.connect(direct_url(postgres_url, database, "postgresql")) as connection:
        stored = dict(
            connection.execute(
                "SELECT split_part(session_id, '-', 1), count(*) FROM agent_messages GROUP BY 1"
            ).fetchall()
        )
    assert stored == {"default": default["acknowledged"], "pooler": pooled["acknowledged"]}
    print(
        f"{driver}: default settings {default['acknowledged']}/{default['attempted']} "
        f"({prepared_statement_errors} prepared-statement errors); pooler mode "
        f"{pooled['acknowledged']}/{pooled['attempted']}, 0 errors"
    )


def test_rendered_suite_passes_through_pgbouncer(
    project: Project, bouncer: PgBouncer, postgres_url: str
) -> None:
    """The service's own suite, every test on a database reached through PgBouncer."""
    env = {
        "TEST_DATABASE_URL": f"{bouncer.url('postgres', 'postgresql+asyncpg')}?pgbouncer=true",
        # Databases are created, and migrations run, over the direct connection.
        "TEST_ALEMBIC_DATABASE_URL": direct_url(postgres_url, "postgres"),
    }
    logins_before = bouncer.log_text().count("login attempt: db=test_")
    output = project.pytest(env=env)

    assert "database under test: postgresql (through a transaction pooler)" in output
    assert " passed" in output and " failed" not in output and " error" not in output
    assert "prepared statement" not in output
    # The suite's databases really were reached through this PgBouncer.
    assert bouncer.log_text().count("login attempt: db=test_") > logins_before

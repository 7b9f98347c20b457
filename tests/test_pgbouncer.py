"""The rendered service behind a real PgBouncer in transaction mode.

A transaction pooler hands each transaction to whichever server connection is free,
so named prepared statements (asyncpg's statement cache, psycopg's automatic
preparation) break: "prepared statement ... does not exist / already exists".
Pooler mode (``?pgbouncer=true`` or ``APP_DATABASE_POSTGRES_PGBOUNCER=true``) must
avoid that. These tests prove both halves: the same workload fails without pooler
mode and passes with it. The whole rendered suite through the pooler is the
``custom-pgbouncer`` render of tests/test_render.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.helpers import Project, fresh_postgres_database, synced_project, with_driver
from tests.servers import PgBouncer, pgbouncer

pytestmark = [pytest.mark.postgres, pytest.mark.pgbouncer, pytest.mark.xdist_group("pgbouncer")]

WORKLOAD = Path(__file__).parent / "workloads" / "pooler_workload.py"
# Fewer server connections than concurrent clients, so transactions of one client
# land on different server connections.
SERVER_POOL_SIZE = 2


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = synced_project(tmp_path_factory.mktemp("pgbouncer") / "service")
    shutil.copy(WORKLOAD, project.path / "pooler_workload.py")
    return project


@pytest.fixture(scope="module")
def bouncer(pgbouncer_binary: str, postgres_url: str) -> Iterator[PgBouncer]:
    with pgbouncer(pgbouncer_binary, postgres_url, pool_size=SERVER_POOL_SIZE) as running:
        yield running


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """A fresh database on the server, created and dropped over the direct connection."""
    with fresh_postgres_database(postgres_url, "pgbouncer") as name:
        yield name


def direct_url(postgres_url: str, database: str, driver: str = "postgresql+psycopg") -> str:
    return with_driver(postgres_url, driver, database)


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

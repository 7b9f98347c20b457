"""Fixtures for the template tests: real servers, found or reported.

A server that cannot be reached is a skip locally and a failure under ``CI=true``:
CI must prove every backend, never pass by skipping one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pymysql
import pytest
from sqlalchemy.engine import make_url

from tests.helpers import DEFAULT_MYSQL_URL, DEFAULT_POSTGRES_URL

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Skip locally; fail in CI, where a missing server means the run proved nothing."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing server is a failure)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """Admin URL of a PostgreSQL server the tests may create databases on."""
    url = os.environ.get("CHASSIS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        with psycopg.connect(url, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        unavailable(f"PostgreSQL is not reachable at CHASSIS_TEST_POSTGRES_URL: {exc}")
    return url


@pytest.fixture(scope="session")
def mysql_url() -> str:
    """Admin URL (``mysql://root:...@127.0.0.1:3307/mysql``) of a MySQL/MariaDB server the
    tests may create databases on; ``.ci/run`` starts one (scripts/start-mariadb.sh)."""
    url = os.environ.get("CHASSIS_TEST_MYSQL_URL", DEFAULT_MYSQL_URL)
    server = make_url(url)
    try:
        connection = pymysql.connect(
            host=server.host or "127.0.0.1",
            port=server.port or 3306,
            user=server.username or "root",
            password=server.password or "",  # type: ignore[arg-type]
            database=server.database or "mysql",
            connect_timeout=3,
            read_timeout=10,  # PyMySQL's connect timeout does not cover the handshake
        )
        with connection, connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except pymysql.MySQLError as exc:
        unavailable(f"MySQL/MariaDB is not reachable at CHASSIS_TEST_MYSQL_URL: {exc}")
    return url


@pytest.fixture(scope="session")
def postgres_bin() -> Path:
    """Folder with the PostgreSQL server binaries (initdb, pg_ctl)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists():
            return candidate
    unavailable("PostgreSQL server binaries (initdb) are not installed")
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def pgbouncer_binary() -> str:
    path = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    if path is None:
        unavailable("pgbouncer is not installed")
    assert path is not None
    return path


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path

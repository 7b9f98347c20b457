"""Render the template for each backend and optional part, then lint and test the result.

Each rendered project runs its own suite against the real database its answers
choose. Five renders cover every backend, every optional part and both ends of the
supported Python range, each full suite run once:

- ``sqlite-full``: SQLite, every part (the Kubernetes manifests too), on the newest Python,
  in random order;
- ``postgres-full``: PostgreSQL through asyncpg, settings assembled from their parts;
- ``custom-pgbouncer``: the custom backend on PostgreSQL, ``APP_DATABASE_URL`` through a
  real PgBouncer in transaction mode (``?pgbouncer=true``), migrations on the direct
  ``APP_ALEMBIC_DATABASE_URL``: the production pooler set-up;
- ``custom-mariadb``: the custom backend that must work, MySQL/MariaDB (``uv sync
  --extra mysql``, a database per test on the server of ``CHASSIS_TEST_MYSQL_URL``);
- ``sqlite-minimal-renamed``: no optional parts, another name and variable prefix, on the
  oldest supported Python.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import unavailable
from tests.helpers import (
    Project,
    clean_environment,
    leftover_jinja,
    mysql_environment,
    render,
    with_driver,
)
from tests.servers import pgbouncer

MINIMAL = {"include_agents_sdk": False, "include_docker": False, "include_github_actions": False}

VARIANTS: dict[str, dict[str, Any]] = {
    "sqlite-full": {"database_backend": "sqlite", "include_kubernetes": True},
    "postgres-full": {"database_backend": "postgres"},
    "custom-pgbouncer": {"database_backend": "custom"},
    "custom-mariadb": {"database_backend": "custom"},
    "sqlite-minimal-renamed": {
        "database_backend": "sqlite",
        "project_name": "Support Desk",
        "env_prefix": "DESK",
        **MINIMAL,
    },
}

# Variants whose rendered suite runs on MySQL/MariaDB, with the project's mysql extra.
MYSQL_VARIANTS = frozenset({"custom-mariadb"})
# Variants whose service reaches PostgreSQL through PgBouncer.
PGBOUNCER_VARIANTS = frozenset({"custom-pgbouncer"})
# Variants synced with the project's otel extra: their trace tests must run, and fail
# rather than skip when the extra is missing (TEST_OTEL=required, as the project's CI).
OTEL_VARIANTS = frozenset({"sqlite-full", "postgres-full"})
# The variant whose suite runs on the newest supported Python (the others on the oldest).
NEWEST_PYTHON = "3.13"
NEWEST_PYTHON_VARIANT = "sqlite-full"


def pgbouncer_environment(bouncer_url: str, postgres_url: str) -> dict[str, str]:
    """The custom backend's two URLs: the service through the pooler in pooler mode,
    migrations (and the suite's CREATE/DROP DATABASE) over the direct connection."""
    return {
        "APP_DATABASE_URL": f"{bouncer_url}?pgbouncer=true",
        "APP_ALEMBIC_DATABASE_URL": with_driver(postgres_url, "postgresql+psycopg", "postgres"),
    }


# The sqlite-full suite runs in an explicitly random order (pytest-randomly, a dev
# dependency of every render), so a test that depends on another's leftovers fails
# here. The seed is logged; CHASSIS_TEST_RANDOMLY_SEED=N replays that order.
RANDOM_ORDER_VARIANT = "sqlite-full"


def random_order_arguments(variant: str) -> tuple[str, ...]:
    if variant != RANDOM_ORDER_VARIANT:
        return ()
    seed = os.environ.get("CHASSIS_TEST_RANDOMLY_SEED") or str(random.randrange(1 << 32))  # noqa: S311 (test order, not a secret)
    print(f"{variant}: rendered suite in random order, CHASSIS_TEST_RANDOMLY_SEED={seed}")
    return ("-p", "randomly", f"--randomly-seed={seed}")


def backend_environment(answers: dict[str, Any], postgres_url: str | None) -> dict[str, str]:
    """The environment a rendered suite needs to reach PostgreSQL (none for SQLite)."""
    if answers["database_backend"] == "sqlite":
        return {}
    assert postgres_url is not None
    return {"TEST_DATABASE_URL": make_url(postgres_url).render_as_string(hide_password=False)}


def variant_marks(variant: str) -> list[pytest.MarkDecorator]:
    if variant in MYSQL_VARIANTS:
        return [pytest.mark.mysql]
    if variant in PGBOUNCER_VARIANTS:
        return [pytest.mark.postgres, pytest.mark.pgbouncer]
    if VARIANTS[variant]["database_backend"] == "postgres":
        return [pytest.mark.postgres]
    return []


@pytest.mark.slow
@pytest.mark.parametrize(
    "variant", [pytest.param(variant, marks=variant_marks(variant)) for variant in VARIANTS]
)
def test_rendered_project_passes_its_own_lint_and_tests(
    variant: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    answers = dict(VARIANTS[variant])
    # CI's matrix renders each Python version it tests; locally the default answer.
    if os.environ.get("CHASSIS_TEST_PYTHON"):
        answers["python_version"] = os.environ["CHASSIS_TEST_PYTHON"]
    project = Project(render(tmp_path / variant, **answers))

    assert leftover_jinja(project.files()) == []
    answers_file = (project.path / ".copier-answers.yml").read_text()
    assert "_commit" in answers_file and "_src_path" in answers_file

    on_mysql = variant in MYSQL_VARIANTS
    otel = {"TEST_OTEL": "required"} if variant in OTEL_VARIANTS else {}
    extras = [*(["mysql"] if on_mysql else []), *(["otel"] if otel else [])]
    if variant == NEWEST_PYTHON_VARIANT and not os.environ.get("CHASSIS_TEST_PYTHON"):
        project.run(
            "uv", "sync", "--quiet", "--python", newest_python(), *(f"--extra={e}" for e in extras)
        )
    else:
        project.sync(*extras)
    project.lint()
    order = random_order_arguments(variant)
    if on_mysql:
        output = project.pytest(*order, env=mysql_environment(request.getfixturevalue("mysql_url")))
    elif variant in PGBOUNCER_VARIANTS:
        postgres_url = request.getfixturevalue("postgres_url")
        binary = request.getfixturevalue("pgbouncer_binary")
        with pgbouncer(binary, postgres_url) as bouncer:
            logins_before = bouncer.log_text().count("login attempt: db=test_")
            output = project.pytest(
                env=pgbouncer_environment(
                    bouncer.url("postgres", "postgresql+asyncpg"), postgres_url
                )
            )
            # The suite's databases really were reached through this PgBouncer.
            assert bouncer.log_text().count("login attempt: db=test_") > logins_before
        assert "(through a transaction pooler)" in output
        assert "prepared statement" not in output
    else:
        postgres_url = (
            request.getfixturevalue("postgres_url")
            if answers["database_backend"] != "sqlite"
            else None
        )
        output = project.pytest(*order, env={**backend_environment(answers, postgres_url), **otel})
    if order:
        assert f"Using {order[-1]}" in output  # the order really was shuffled, with this seed
    if variant == NEWEST_PYTHON_VARIANT and not os.environ.get("CHASSIS_TEST_PYTHON"):
        assert f"Python {NEWEST_PYTHON}." in output, output[:500]
    expected_backend = (
        "mysql"
        if on_mysql
        else "sqlite"
        if answers["database_backend"] == "sqlite"
        else "postgresql"
    )
    # The suite must really have run on the chosen server, not fallen back to SQLite.
    assert f"database under test: {expected_backend}" in output
    assert_suite_passed(output)


def assert_suite_passed(output: str) -> None:
    """pytest's summary line: something passed, nothing failed or errored."""
    summary = output.strip().splitlines()[-1]
    assert " passed" in summary, summary
    assert not re.search(r"\d+ (failed|errors?)\b", summary), summary


@pytest.mark.parametrize("python_version", ["3.12", "3.13"])
def test_rendered_project_lints_for_every_supported_python(
    python_version: str, tmp_path: Path
) -> None:
    """Ruff's rules follow the target version (e.g. PEP 695 generics from 3.12 on): the
    one code base must lint clean for each answer. Ruff needs no interpreter of that
    version, so this runs everywhere; CI's matrix also runs the suites on each version."""
    project = Project(
        render(tmp_path / python_version, python_version=python_version, database_backend="sqlite")
    )
    ruff = str(Path(sys.executable).with_name("ruff"))
    project.run(ruff, "check", ".")
    project.run(ruff, "format", "--check", ".")


def newest_python() -> str:
    """An interpreter of the newest supported Python: uv's (CI installs it with `uv python
    install`), else pyenv's (its shims only answer when the version is selected)."""
    found = subprocess.run(
        ["uv", "python", "find", NEWEST_PYTHON],
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if found.returncode == 0 and found.stdout.strip():
        return found.stdout.strip()
    for candidate in sorted(Path.home().glob(f".pyenv/versions/{NEWEST_PYTHON}*/bin/python3")):
        return str(candidate)
    unavailable(f"no Python {NEWEST_PYTHON} interpreter (uv python install {NEWEST_PYTHON})")
    raise AssertionError("unreachable")

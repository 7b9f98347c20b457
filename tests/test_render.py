"""Render the template for each backend and optional part, then lint and test the result.

Each rendered project runs its own suite against the real database its answers
choose: SQLite; PostgreSQL; for ``custom``, PostgreSQL reached through explicit
``APP_DATABASE_URL`` and ``APP_ALEMBIC_DATABASE_URL``; and ``custom-mariadb``, the
custom backend that must work, MySQL/MariaDB (``uv sync --extra mysql``, a database per
test on the server of ``CHASSIS_TEST_MYSQL_URL``).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import unavailable
from tests.helpers import Project, clean_environment, leftover_jinja, render

VARIANTS: dict[str, dict[str, Any]] = {
    "sqlite-full": {"database_backend": "sqlite"},
    "postgres-full": {"database_backend": "postgres"},
    "custom-full": {"database_backend": "custom"},
    "custom-mariadb": {"database_backend": "custom"},
    "sqlite-minimal": {
        "database_backend": "sqlite",
        "include_agents_sdk": False,
        "include_docker": False,
        "include_github_actions": False,
    },
    "postgres-minimal-renamed": {
        "database_backend": "postgres",
        "project_name": "Support Desk",
        "env_prefix": "DESK",
        "include_agents_sdk": False,
        "include_docker": False,
        "include_github_actions": False,
    },
}


# Variants whose rendered suite runs on MySQL/MariaDB, with the project's mysql extra.
MYSQL_VARIANTS = frozenset({"custom-mariadb"})


def mysql_environment(mysql_url: str) -> dict[str, str]:
    """TEST_DATABASE_URL for the rendered conftest: a database per test on that server."""
    server = make_url(mysql_url).set(drivername="mysql+aiomysql")
    return {"TEST_DATABASE_URL": server.render_as_string(hide_password=False)}


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
    """The environment a rendered suite needs to reach its backend."""
    backend = answers["database_backend"]
    prefix = answers.get("env_prefix", "APP")
    if backend == "sqlite":
        return {}
    assert postgres_url is not None
    server = make_url(postgres_url)
    if backend == "postgres":
        return {"TEST_DATABASE_URL": server.render_as_string(hide_password=False)}
    return {
        f"{prefix}_DATABASE_URL": server.set(drivername="postgresql+asyncpg").render_as_string(
            hide_password=False
        ),
        f"{prefix}_ALEMBIC_DATABASE_URL": server.set(
            drivername="postgresql+psycopg"
        ).render_as_string(hide_password=False),
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(variant, marks=[pytest.mark.mysql] if variant in MYSQL_VARIANTS else [])
        for variant in VARIANTS
    ],
)
def test_rendered_project_passes_its_own_lint_and_tests(
    variant: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    answers = dict(VARIANTS[variant])
    # CI's matrix renders each Python version it tests; locally the default answer.
    if os.environ.get("CHASSIS_TEST_PYTHON"):
        answers["python_version"] = os.environ["CHASSIS_TEST_PYTHON"]
    on_mysql = variant in MYSQL_VARIANTS
    if on_mysql:
        environment = mysql_environment(request.getfixturevalue("mysql_url"))
    elif answers["database_backend"] != "sqlite":
        environment = backend_environment(answers, request.getfixturevalue("postgres_url"))
    else:
        environment = backend_environment(answers, None)
    project = Project(render(tmp_path / variant, **answers))

    assert leftover_jinja(project.files()) == []
    answers_file = (project.path / ".copier-answers.yml").read_text()
    assert "_commit" in answers_file and "_src_path" in answers_file

    project.sync(*(["mysql"] if on_mysql else []))
    project.lint()
    order = random_order_arguments(variant)
    output = project.pytest(*order, env=environment)
    if order:
        assert f"Using {order[-1]}" in output  # the order really was shuffled, with this seed
    expected_backend = (
        "mysql"
        if on_mysql
        else "sqlite"
        if answers["database_backend"] == "sqlite"
        else "postgresql"
    )
    # The suite must really have run on the chosen server, not fallen back to SQLite.
    assert f"database under test: {expected_backend}" in output
    assert " passed" in output and " failed" not in output


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


NEWEST_PYTHON = "3.13"


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


@pytest.mark.slow
def test_rendered_suite_passes_on_the_newest_python(tmp_path: Path) -> None:
    """Not only its lint: the whole suite of one render (SQLite) on the newest Python."""
    interpreter = newest_python()
    project = Project(render(tmp_path / "newest", database_backend="sqlite"))
    project.run("uv", "sync", "--quiet", "--python", interpreter)
    output = project.pytest()
    assert f"Python {NEWEST_PYTHON}." in output, output[:500]
    assert " passed" in output and " failed" not in output

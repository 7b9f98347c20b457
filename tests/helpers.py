"""Render the template from the working tree and drive the rendered project."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import psycopg
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES_URL = "postgresql://postgres:postgres@localhost:5432/postgres"
# What .ci/run starts (scripts/start-mariadb.sh): port 3307, beside any server on 3306.
DEFAULT_MYSQL_URL = "mysql://root:chassis@127.0.0.1:3307/mysql"
# Variables of the outer environment that must not leak into a rendered project's run.
LEAKY_PREFIXES = ("APP_", "TEST_", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH")


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The outer environment for a rendered project's commands: nothing of ours leaks
    in, and no OpenAI key, so everything runs on the offline model."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(LEAKY_PREFIXES)}
    env.pop("OPENAI_API_KEY", None)
    env["UV_NO_PROGRESS"] = "1"
    env.update(extra or {})
    return env


def render(destination: Path, template: Path = REPO_ROOT, **answers: Any) -> Path:
    """Render the template (the working tree, uncommitted changes included)."""
    copier.run_copy(
        str(template),
        str(destination),
        data=answers,
        defaults=True,
        unsafe=True,
        vcs_ref="HEAD",
        quiet=True,
    )
    return destination


@dataclass
class Project:
    """A rendered project on disk, with helpers to run commands inside it."""

    path: Path

    def run(
        self,
        *command: str,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        timeout: float = 900,
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            command,
            cwd=self.path,
            env=clean_environment(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} exited {result.returncode}\n"
                f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
            )
        return result

    def sync(self, *extras: str) -> None:
        self.run("uv", "sync", "--quiet", *(f"--extra={extra}" for extra in extras))

    def files(self) -> list[Path]:
        skip = {".venv", ".git", ".pytest_cache", ".ruff_cache", "__pycache__"}
        return [p for p in self.path.rglob("*") if p.is_file() and not skip.intersection(p.parts)]

    def lint(self) -> None:
        self.run("uv", "run", "ruff", "check", ".")
        self.run("uv", "run", "ruff", "format", "--check", ".")

    def pytest(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        # A whole rendered suite (~460 tests, real servers) takes 3-5 min alone; two at
        # once on a loaded 2-core machine took over 15 min: bounded, with room.
        result = self.run(
            "uv", "run", "pytest", "-p", "no:cacheprovider", *args, env=env, timeout=2700
        )
        return result.stdout


def synced_project(destination: Path, **answers: Any) -> Project:
    """Render the template into ``destination`` and install the project's environment."""
    project = Project(render(destination, **answers))
    project.sync()
    return project


@contextmanager
def fresh_postgres_database(server_url: str, prefix: str) -> Iterator[str]:
    """Create a uniquely named, empty database on the server; drop it afterwards.

    Yields its name. ``WITH (FORCE)``: a service under test may still hold connections.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def with_driver(url: str, driver: str, database: str | None = None) -> str:
    """``url`` with another driver (and database), password kept: for the service's env."""
    changed = make_url(url).set(drivername=driver)
    if database is not None:
        changed = changed.set(database=database)
    return changed.render_as_string(hide_password=False)


def mysql_environment(mysql_url: str) -> dict[str, str]:
    """TEST_DATABASE_URL for the rendered conftest: a database per test on that server."""
    return {"TEST_DATABASE_URL": with_driver(mysql_url, "mysql+aiomysql")}


def leftover_jinja(files: Sequence[Path]) -> list[str]:
    """Files that still contain template syntax after rendering."""
    found = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if "{{" in text or "{%" in text:
            found.append(str(path))
    return found

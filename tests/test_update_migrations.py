"""Alembic after `copier update`: one head, Alembic's tutorial commands, data kept.

v1 renders a service, which writes its own revision; v2 ships a chassis revision on
top of v1's head. The update's Copier task joins the two heads with `alembic merge`,
and `upgrade head`, `current`, `downgrade -1`, `history` and the next `revision
--autogenerate` behave as in Alembic's tutorial. A second scenario starts from the
0.1.0 layout (two branches) to prove that databases migrated then upgrade in place.

Backends: one entry per backend in SERVICE_BACKENDS (MariaDB: add its URL builder).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.helpers import fresh_postgres_database, with_driver
from tests.update_support import (
    MINIMAL,
    V1,
    V2,
    WIDGET_MIGRATION,
    WIDGET_MODELS,
    ServiceProject,
    TemplateRepo,
    copy_project,
)

SERVICE_0000 = "template/migrations/versions/service_0000_base.py"
AUDIT_TABLE = '''\
"""A chassis table shipped by v2 (test fixture)."""

from sqlalchemy import Column, Integer, String, Table

from {{ package_name }}.db.base import Base

chassis_audit = Table(
    "chassis_audit",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("event", String(100), nullable=False),
)
'''
AUDIT_MIGRATION = '''\
"""Chassis audit table (shipped by v2 of the update test).

Revision ID: chassis_9000
Revises: {down}
"""

import sqlalchemy as sa
from alembic import op

revision = "chassis_9000"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chassis_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chassis_audit")),
    )


def downgrade() -> None:
    op.drop_table("chassis_audit")
'''
# The 0.1.0 header of service_0000: a second branch that depends on chassis_0001.
LAYOUT_010 = (
    'down_revision: str | Sequence[str] | None = "chassis_0001"\n',
    "down_revision: str | Sequence[str] | None = None\n",
    "depends_on: str | Sequence[str] | None = None\n",
    'depends_on: str | Sequence[str] | None = ("chassis_0001",)\n',
)
RENDERED_MIGRATION_TESTS = (
    "tests/test_migrations.py",
    "tests/test_migration_branches.py",
    "tests/test_health.py",
)


@contextmanager
def sqlite_database(_request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    yield {"APP_DATABASE_SQLITE_PATH": str(tmp_path / "service.db")}


@contextmanager
def postgres_database(request: pytest.FixtureRequest, _tmp_path: Path) -> Iterator[dict[str, str]]:
    server = request.getfixturevalue("postgres_url")
    with fresh_postgres_database(server, "update") as name:
        yield {"APP_DATABASE_URL": with_driver(server, "postgresql+asyncpg", name)}


SERVICE_BACKENDS: dict[
    str, Callable[[pytest.FixtureRequest, Path], AbstractContextManager[dict[str, str]]]
] = {"sqlite": sqlite_database, "postgres": postgres_database}


def sync_url(environment: dict[str, str]) -> str:
    if "APP_DATABASE_URL" in environment:
        return with_driver(environment["APP_DATABASE_URL"], "postgresql+psycopg")
    return f"sqlite:///{environment['APP_DATABASE_SQLITE_PATH']}"


def query(environment: dict[str, str], sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(sync_url(environment))
    try:
        with engine.begin() as connection:
            result = connection.execute(text(sql))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def alembic(project: ServiceProject, env: dict[str, str], *args: str) -> str:
    result = project.run("uv", "run", "alembic", *args, env=env)
    return result.stdout + result.stderr


def heads(project: ServiceProject, env: dict[str, str]) -> list[str]:
    return [line.split()[0] for line in alembic(project, env, "heads").splitlines() if line]


def recorded(env: dict[str, str]) -> set[str]:
    return {row[0] for row in query(env, "SELECT version_num FROM alembic_version")}


def revision_of(script: Path) -> str:
    found = re.search(r'^revision(?:: str)? = "(\w+)"', script.read_text(), re.MULTILINE)
    assert found, script.read_text()
    return found.group(1)


def ship_chassis_revision(template: TemplateRepo, down: str) -> None:
    """v2: a chassis table, its model import and its revision on top of v1's head."""
    template.write("template/src/{{package_name}}/db/chassis_audit.py.jinja", AUDIT_TABLE)
    template.replace(
        "template/src/{{package_name}}/db/models.py.jinja",
        "from {{ package_name }}.db.base import Base\n",
        "from {{ package_name }}.db.base import Base\n"
        "from {{ package_name }}.db.chassis_audit import chassis_audit  # noqa: F401\n",
    )
    template.write(
        "template/migrations/versions/chassis_9000_audit.py", AUDIT_MIGRATION.format(down=down)
    )


@pytest.fixture
def template(tmp_path: Path) -> TemplateRepo:
    return TemplateRepo.from_working_tree(tmp_path / "chassis")


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize(
    ("backend", "layout"),
    [("sqlite", "linear"), ("postgres", "linear"), ("sqlite", "0.1.0"), ("postgres", "0.1.0")],
)
def test_update_with_chassis_revision_keeps_one_head(
    template: TemplateRepo,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    backend: str,
    layout: str,
):
    with SERVICE_BACKENDS[backend](request, tmp_path) as env:
        run_update_scenario(template, tmp_path, env, layout)


def run_update_scenario(
    template: TemplateRepo, tmp_path: Path, env: dict[str, str], layout: str
) -> None:
    v1_head = template.chassis_migration_head() if layout == "linear" else "service_0000"
    later_chassis: dict[Path, str] = {}
    if layout == "0.1.0":
        template.replace(SERVICE_0000, LAYOUT_010[0], LAYOUT_010[1])
        template.replace(SERVICE_0000, LAYOUT_010[2], LAYOUT_010[3])
        # 0.1.0 shipped chassis_0001 and service_0000 alone: the later chassis-shipped
        # revisions (chassis_0002, service_0001 of the notes example, ...) arrive with v2.
        for script in template.file("template/migrations/versions").glob("*.py"):
            if not script.name.startswith(("chassis_0001", "service_0000")):
                later_chassis[script] = script.read_text(encoding="utf-8")
                script.unlink()
    template.release(V1)
    project = copy_project(template, tmp_path / "service", V1, **MINIMAL)
    project.sync()
    project.run("uv", "run", "agent-service", "migrate", env=env)
    query(env, "INSERT INTO agent_sessions (session_id) VALUES ('kept-session')")

    # The service adds a model and its revision, on top of v1's head.
    project.write("src/agent_service/models.py", WIDGET_MODELS)
    if layout == "linear":
        alembic(project, env, "revision", "--autogenerate", "-m", "add widgets")
    else:
        project.write("migrations/versions/0a1b2c3d4e5f_add_widgets.py", WIDGET_MIGRATION)
    (widget_script,) = (project.path / "migrations/versions").glob("*_add_widgets.py")
    widgets = revision_of(widget_script)
    assert f'down_revision = "{v1_head}"' in widget_script.read_text().replace(
        "down_revision: str | Sequence[str] | None =", "down_revision ="
    )
    project.run("uv", "run", "agent-service", "migrate", env=env)
    query(env, "INSERT INTO widgets (name) VALUES ('kept-widget')")
    project.commit("widgets")
    widget_text = widget_script.read_text()

    # v2 (linear, as every chassis release from 0.2.0 on) continues from v1's head.
    if layout == "0.1.0":
        template.replace(SERVICE_0000, LAYOUT_010[1], LAYOUT_010[0])
        template.replace(SERVICE_0000, LAYOUT_010[3], LAYOUT_010[2])
        for script, text in later_chassis.items():
            script.write_text(text, encoding="utf-8")
    ship_chassis_revision(template, down=template.chassis_migration_head())
    template.release(V2)

    updated = project.update()
    assert "joining migration heads" in updated.stderr, updated.stderr
    assert project.leftovers() == ([], [])
    assert widget_script.read_text() == widget_text, "an update never edits a service revision"
    (merge_script,) = (project.path / "migrations/versions").glob("*_merge_chassis_update.py")
    merge = revision_of(merge_script)

    # Alembic's tutorial, word for word.
    assert heads(project, env) == [merge]
    alembic(project, env, "upgrade", "head")
    assert recorded(env) == {merge}
    assert f"{merge} (head)" in alembic(project, env, "current")
    assert query(env, "SELECT session_id FROM agent_sessions") == [("kept-session",)]
    assert query(env, "SELECT name FROM widgets") == [("kept-widget",)]
    assert query(env, "SELECT count(*) FROM chassis_audit") == [(0,)]
    history = alembic(project, env, "history")
    (merge_line,) = [line for line in history.splitlines() if f"-> {merge} " in line]
    assert "(head) (mergepoint)" in merge_line
    assert {widgets, "chassis_9000"} == set(merge_line.split(" -> ")[0].split(", "))
    # Alembic takes no relative step across a merge ("Ambiguous walk"): one step down
    # from the merge itself names a parent, and leaves both parents applied. Every
    # other step is `downgrade -1`.
    alembic(project, env, "downgrade", widgets)
    assert recorded(env) == {widgets, "chassis_9000"}
    assert query(env, "SELECT name FROM widgets") == [("kept-widget",)]
    alembic(project, env, "upgrade", "head")
    assert recorded(env) == {merge}
    assert "No new upgrade operations detected" in alembic(project, env, "check")

    # The next service revision goes on top of the merge, with no --head, and the
    # tutorial's relative steps work from there.
    alembic(project, env, "revision", "--autogenerate", "-m", "next")
    (next_script,) = (project.path / "migrations/versions").glob("*_next.py")
    assert f'None = "{merge}"' in next_script.read_text()
    alembic(project, env, "upgrade", "head")
    assert recorded(env) == {revision_of(next_script)}
    alembic(project, env, "downgrade", "-1")
    assert recorded(env) == {merge}
    next_script.unlink()

    # The service's own migration and readiness tests pass on this backend, and the
    # project is ready to commit: its lint is clean with the merge revision in it.
    project.sync()
    project.lint()
    suite_env = {"TEST_DATABASE_URL": env["APP_DATABASE_URL"]} if "APP_DATABASE_URL" in env else {}
    output = project.pytest(*RENDERED_MIGRATION_TESTS, env=suite_env)
    assert " passed" in output and " failed" not in output


def test_update_task_is_harmless_with_one_head(template: TemplateRepo, tmp_path: Path):
    """An update that brings no migration writes no merge revision."""
    template.release(V1)
    project = copy_project(template, tmp_path / "service", V1, **MINIMAL)
    template.write("template/NOTES.md", "a chassis change without migrations\n")
    template.release(V2)
    project.update()
    versions = sorted(p.name for p in (project.path / "migrations/versions").glob("*.py"))
    assert versions == sorted(
        p.name for p in template.file("template/migrations/versions").glob("*.py")
    )

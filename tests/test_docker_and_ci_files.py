"""Docker and CI files of the rendered project: linted, parsed and checked for their contract.

There is no Docker engine here: hadolint and shellcheck lint the files, YAML parsing
stands in for ``docker compose config``, and the rendered project's own suite runs
``docker/entrypoint.sh`` against real databases (tests/test_entrypoint.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import unavailable
from tests.helpers import render

HADOLINT = Path(sys.executable).parent / "hadolint"
RENAMED = {"project_name": "Support Desk", "env_prefix": "DESK", "python_version": "3.12"}


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("full") / "project")


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("renamed") / "project", **RENAMED)


@pytest.fixture(scope="module")
def minimal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(
        tmp_path_factory.mktemp("minimal") / "project",
        include_docker=False,
        include_github_actions=False,
    )


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HADOLINT), "--no-color", str(path)], capture_output=True, text=True, check=False
    )


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending = f"{pending} {line[:-1].strip()}" if line.endswith("\\") else f"{pending} {line}"
        if not line.endswith("\\"):
            keyword, _, arguments = pending.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
            pending = ""
    return instructions


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


# --- Dockerfile -----------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["full", "renamed"])
def test_dockerfile_passes_hadolint(variant: str, request: pytest.FixtureRequest) -> None:
    project: Path = request.getfixturevalue(variant)
    result = hadolint(project / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_really_lints(tmp_path: Path) -> None:
    """The linter is live: a classic mistake is reported (so a pass above means something)."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /app && pip install flask\n")
    result = hadolint(bad)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # "latest" tag


def test_dockerfile_contract(renamed: Path) -> None:
    instructions = dockerfile_instructions(renamed / "Dockerfile")
    froms = [arguments for keyword, arguments in instructions if keyword == "FROM"]
    assert len(froms) >= 3 and any(" AS builder" in f for f in froms)  # multi-stage
    assert any("ghcr.io/astral-sh/uv:" in f for f in froms)
    python = {f.split()[0] for f in froms if f.startswith("python:")}
    assert len(python) == 1 and python.pop().startswith(f"python:{RENAMED['python_version']}-")

    runtime = final_stage(instructions)
    keywords = [keyword for keyword, _ in runtime]
    # Nothing from the builder's tools in the final image, and the venv copied in.
    assert ("COPY", "--from=builder /app/.venv /app/.venv") in runtime
    users = [arguments for keyword, arguments in runtime if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")

    entrypoint = json.loads(dict(runtime)["ENTRYPOINT"])  # exec form is valid JSON
    assert entrypoint == ["tini", "--", "/app/docker/entrypoint.sh"]
    assert json.loads(dict(runtime)["CMD"]) == ["support-desk", "serve", "--host", "0.0.0.0"]  # noqa: S104
    healthcheck = dict(runtime)["HEALTHCHECK"]
    assert "/healthz" in healthcheck and "urllib.request" in healthcheck

    environment = " ".join(arguments for keyword, arguments in runtime if keyword == "ENV")
    assert "RUN_DB_MIGRATIONS=false" in environment
    assert "DESK_DATABASE_SQLITE_PATH=/app/data/app.db" in environment
    assert "DESK_ALEMBIC_CONFIG=/app/alembic.ini" in environment
    # The data folder is the one place the service user owns.
    assert any(k == "RUN" and "chown app:app /app/data" in a for k, a in runtime)


def test_dockerfile_installs_exactly_the_lock(full: Path) -> None:
    instructions = dockerfile_instructions(full / "Dockerfile")
    assert ("COPY", "pyproject.toml uv.lock README.md ./") in instructions
    syncs = [a for k, a in instructions if k == "RUN" and "uv sync" in a]
    assert len(syncs) == 2 and all("uv sync --locked --no-dev" in a for a in syncs)
    assert (full / "uv.lock").is_file()  # written at copy time (copier_tasks/lock.py)
    dockerignore = (full / ".dockerignore").read_text().splitlines()
    assert {".env", ".venv", "data"} <= set(dockerignore)
    assert "uv.lock" not in dockerignore


# Every image by digest, its tag kept for people and for Dependabot's docker ecosystem.
PINNED_IMAGE = re.compile(r"^(?P<image>[a-z0-9./-]+):(?P<tag>[\w.-]+)@sha256:[0-9a-f]{64}$")


@pytest.mark.parametrize("python_version", ["3.11", "3.12", "3.13"])
def test_dockerfile_pins_every_image_by_digest(python_version: str, tmp_path: Path) -> None:
    project = render(
        tmp_path / "project", python_version=python_version, include_github_actions=False
    )
    dockerfile = project / "Dockerfile"
    assert not dockerfile.read_text().startswith("# syntax="), "a frontend image by moving tag"
    froms = [a.split()[0] for k, a in dockerfile_instructions(dockerfile) if k == "FROM"]
    pins = [PINNED_IMAGE.match(image) for image in froms]
    assert all(pins), froms
    tags = {(pin["image"], pin["tag"]) for pin in pins if pin}
    assert ("python", f"{python_version}-slim-bookworm") in tags
    assert any(image == "ghcr.io/astral-sh/uv" for image, _ in tags)
    # Builder and runtime share one base, so the venv's interpreter is the runtime's.
    assert len({image for image in froms if image.startswith("python:")}) == 1
    result = hadolint(dockerfile)
    assert result.returncode == 0, result.stdout + result.stderr


# --- entrypoint -------------------------------------------------------------------------


def test_entrypoint_passes_shellcheck(full: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        unavailable("shellcheck is not installed")
    assert shellcheck is not None
    result = subprocess.run(
        [shellcheck, "--shell=sh", str(full / "docker" / "entrypoint.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_entrypoint_shape(full: Path) -> None:
    path = full / "docker" / "entrypoint.sh"
    assert os.access(path, os.X_OK), "entrypoint.sh must be executable"
    lines = [line.strip() for line in path.read_text().splitlines()]
    assert lines[0] == "#!/bin/sh"
    assert "set -eu" in lines
    assert [line for line in lines if line][-1] == 'exec "$@"'
    assert "agent-service wait-for-db" in path.read_text()
    assert "agent-service migrate" in path.read_text()


# --- compose.yaml -------------------------------------------------------------------------


def test_compose_starts_the_app_after_a_healthy_database(renamed: Path) -> None:
    compose: dict[str, Any] = yaml.safe_load((renamed / "compose.yaml").read_text())
    app, db = compose["services"]["app"], compose["services"]["db"]
    assert app["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    environment = app["environment"]
    assert environment["RUN_DB_MIGRATIONS"] == "true"
    assert environment["DESK_DATABASE_BACKEND"] == "postgres"
    assert environment["DESK_DATABASE_POSTGRES_HOST"] == "db"
    # Both sides read the same password variable, so they cannot drift apart.
    assert environment["DESK_DATABASE_POSTGRES_PASSWORD"] == db["environment"]["POSTGRES_PASSWORD"]
    assert environment["DESK_DATABASE_POSTGRES_USER"] == db["environment"]["POSTGRES_USER"]
    assert environment["DESK_DATABASE_POSTGRES_NAME"] == db["environment"]["POSTGRES_DB"]
    # Named volumes, declared at the top level.
    for service in (app, db):
        for volume in service["volumes"]:
            assert volume.split(":")[0] in compose["volumes"]
    assert app["read_only"] is True


# --- the rendered project's CI -------------------------------------------------------------


def test_ci_workflow_lints_and_tests_both_backends(full: Path) -> None:
    workflow: dict[str, Any] = yaml.safe_load((full / ".github/workflows/ci.yml").read_text())
    jobs = workflow["jobs"]
    lint_steps = " ".join(step.get("run", "") for step in jobs["lint"]["steps"])
    assert "ruff check" in lint_steps and "ruff format --check" in lint_steps
    for name in ("test-sqlite", "test-postgres"):
        assert any("pytest" in step.get("run", "") for step in jobs[name]["steps"])
    assert "TEST_DATABASE_URL" not in jobs["test-sqlite"].get("env", {})
    postgres = jobs["test-postgres"]
    assert postgres["services"]["postgres"]["image"].startswith("postgres:")
    assert "--health-cmd" in postgres["services"]["postgres"]["options"]
    assert postgres["env"]["TEST_DATABASE_URL"].startswith("postgresql://")
    assert "docker" in jobs
    # A stale uv.lock fails CI instead of being re-resolved.
    syncs = [
        s["run"] for job in jobs.values() for s in job["steps"] if "uv sync" in s.get("run", "")
    ]
    assert syncs and all(run.startswith("uv sync --locked") for run in syncs)
    assert "audit" in jobs


def test_optional_parts_are_absent_when_not_chosen(minimal: Path) -> None:
    for name in ("Dockerfile", "compose.yaml", ".dockerignore", "docker", ".github"):
        assert not (minimal / name).exists(), name
    assert not (minimal / "tests" / "test_entrypoint.py").exists()
    assert (minimal / "tests" / "test_cli.py").exists()

"""Copier refuses bad answers with a message that says why (no rendering, no uv sync)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import render

REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"project_name": "   "}, "The project name must not be empty"),
    ({"project_slug": "Agent-Service"}, "The slug must start with a letter"),
    ({"project_slug": "agent service"}, "The slug must start with a letter"),
    ({"project_slug": "agent--service"}, "single dashes"),
    ({"project_slug": "9lives"}, "The slug must start with a letter"),
    ({"package_name": "class"}, '"class" is a Python keyword'),
    ({"package_name": "async"}, '"async" is a Python keyword'),
    ({"package_name": "alembic"}, "shadows a dependency"),
    ({"package_name": "agent-service"}, "must be a valid lowercase Python identifier"),
    ({"package_name": "1service"}, "must be a valid lowercase Python identifier"),
    ({"package_name": "Service"}, "must be a valid lowercase Python identifier"),
    ({"env_prefix": "app"}, "The prefix must be uppercase letters"),
    ({"env_prefix": "APP_"}, "without a trailing underscore"),
    ({"env_prefix": "1APP"}, "starting with a letter"),
    ({"python_version": "3.10"}, "'3.10' is not in ['3.11', '3.12', '3.13']"),
    ({"database_backend": "mysql"}, "'mysql' is not in ['sqlite', 'postgres', 'custom']"),
    ({"author_email": "not-an-email"}, "Enter an e-mail address such as you@example.com"),
    ({"author_email": "two words@example.com"}, "Enter an e-mail address"),
    (
        {"include_kubernetes": True, "include_docker": False},
        "The Kubernetes manifests run the Docker image",
    ),
]


@pytest.mark.parametrize(
    ("answers", "message"),
    REFUSED,
    ids=[f"{next(iter(a))}={next(iter(a.values()))!r}" for a, _ in REFUSED],
)
def test_bad_answers_are_refused_with_a_reason(
    tmp_path: Path, answers: dict[str, Any], message: str
) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError) as refused:
        render(destination, **answers)
    question = next(iter(answers))
    assert f"'{question}'" in str(refused.value)
    assert message in str(refused.value)
    # Refused before anything was written.
    assert not (destination / "pyproject.toml").exists()


def test_unusual_but_valid_answers_are_accepted(tmp_path: Path) -> None:
    project = render(
        tmp_path / "project",
        project_name="Billing API v2",
        project_slug="billing-api2",
        package_name="billing_api2",
        env_prefix="BILLING_V2",
        author_email="team+billing@example.co.uk",
        python_version="3.13",
    )
    pyproject = (project / "pyproject.toml").read_text()
    assert 'name = "billing-api2"' in pyproject
    assert 'requires-python = ">=3.13"' in pyproject
    assert (project / "src" / "billing_api2" / "settings.py").is_file()
    assert 'ENV_PREFIX = "BILLING_V2_"' in (project / "src/billing_api2/environment.py").read_text()


def test_derived_defaults_follow_the_project_name(tmp_path: Path) -> None:
    project = render(tmp_path / "project", project_name="Support Desk!")
    assert 'name = "support-desk"' in (project / "pyproject.toml").read_text()
    assert (project / "src" / "support_desk").is_dir()

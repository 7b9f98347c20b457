"""Supply chain of the rendered workflows and of the chassis's own (docs/supply-chain.md).

Every render variant is rendered (no `uv sync`: nothing here runs the service) and its
workflows and Dependabot file go through zizmor (offline) and the GitHub JSON schemas
that check-jsonschema ships, plus the pin policy checked directly: actions by full
commit with the version beside it, checkout without persisted credentials, per-job
permissions, locked installs. The audit job's command line and its ignore list run in
tests/test_supply_chain_audit.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO_ROOT, render
from tests.supply_chain_support import (
    check_jsonschema,
    uses_references,
    workflow_files,
    zizmor_findings,
)
from tests.test_render import VARIANTS

WITH_WORKFLOWS = [
    name for name, answers in VARIANTS.items() if answers.get("include_github_actions", True)
]
WITHOUT_WORKFLOWS = [name for name in VARIANTS if name not in WITH_WORKFLOWS]
CHASSIS_GITHUB = REPO_ROOT / ".github"
PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+){0,2}\s*$")


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("supply")
    return {name: render(root / name, **answers) for name, answers in VARIANTS.items()}


def test_variants_cover_both_sides() -> None:
    assert WITH_WORKFLOWS and WITHOUT_WORKFLOWS


# --- zizmor and the schemas ---------------------------------------------------------------


@pytest.mark.parametrize("variant", WITH_WORKFLOWS)
def test_rendered_github_files_have_no_zizmor_findings(
    variant: str, renders: dict[str, Path]
) -> None:
    github = renders[variant] / ".github"
    assert zizmor_findings(github) == []


def test_chassis_github_files_have_no_zizmor_findings() -> None:
    assert zizmor_findings(CHASSIS_GITHUB) == []


def test_zizmor_really_audits(tmp_path: Path) -> None:
    """Live: the issue's original findings (a moving tag, persisted credentials) are reported."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "on: [push]\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    permissions: {}\n    steps:\n      - uses: actions/checkout@v4\n"
    )
    rules = {finding["ident"] for finding in zizmor_findings(tmp_path / ".github")}
    assert {"unpinned-uses", "artipacked"} <= rules


@pytest.mark.parametrize("variant", WITH_WORKFLOWS)
def test_rendered_github_files_match_the_schemas(variant: str, renders: dict[str, Path]) -> None:
    github = renders[variant] / ".github"
    check_jsonschema("vendor.github-workflows", *workflow_files(github))
    check_jsonschema("vendor.dependabot", github / "dependabot.yml")


def test_chassis_github_files_match_the_schemas() -> None:
    check_jsonschema("vendor.github-workflows", *workflow_files(CHASSIS_GITHUB))
    check_jsonschema("vendor.dependabot", CHASSIS_GITHUB / "dependabot.yml")


def test_schema_check_really_validates(tmp_path: Path) -> None:
    bad = tmp_path / "dependabot.yml"
    bad.write_text("version: 2\nupdates:\n  - package-ecosystem: uvx\n    directory: /\n")
    result = check_jsonschema("vendor.dependabot", bad, check=False)
    assert result.returncode != 0 and "uvx" in result.stdout


# --- the pin policy, read directly -----------------------------------------------------------


def policy_violations(workflow_path: Path) -> list[str]:
    """Breaches of the pin policy in one workflow, as readable strings."""
    text = workflow_path.read_text(encoding="utf-8")
    workflow: dict[str, Any] = yaml.safe_load(text)
    problems = []
    if workflow.get("permissions") != {}:
        problems.append("top-level permissions must be {} (each job asks for its own)")
    for name, job in workflow["jobs"].items():
        if "permissions" not in job:
            problems.append(f"job {name} has no permissions:")
        for step in job.get("steps", []):
            checkout = step.get("uses", "").startswith("actions/checkout@")
            if checkout and step.get("with", {}).get("persist-credentials") is not False:
                problems.append(f"job {name}: checkout without persist-credentials: false")
            if re.search(r"\buv sync\b(?! --locked)", step.get("run", "")):
                problems.append(f"job {name}: `uv sync` without --locked")
    for line, reference in uses_references(text):
        if not PIN.match(reference) or not VERSION_COMMENT.search(line):
            problems.append(f"{reference}: pin to a full commit with `# vX.Y.Z` beside it")
    return problems


@pytest.mark.parametrize("variant", WITH_WORKFLOWS)
def test_rendered_workflows_follow_the_pin_policy(variant: str, renders: dict[str, Path]) -> None:
    for path in workflow_files(renders[variant] / ".github"):
        assert policy_violations(path) == [], path.name


def test_chassis_workflow_follows_the_pin_policy() -> None:
    for path in workflow_files(CHASSIS_GITHUB):
        assert policy_violations(path) == [], path.name


def test_pin_policy_really_checks(tmp_path: Path) -> None:
    loose = tmp_path / "ci.yml"
    loose.write_text(
        "on: [push]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: uv sync\n"
    )
    assert len(policy_violations(loose)) == 5


def test_template_pins_the_same_commits_as_the_chassis(renders: dict[str, Path]) -> None:
    """Dependabot moves the chassis's own pins; this makes its pull request carry the
    template's along (the template's workflows are not files Dependabot can read)."""
    chassis = {
        ref.split("@")[0]: ref
        for _, ref in uses_references((CHASSIS_GITHUB / "workflows/ci.yml").read_text())
    }
    rendered = renders[WITH_WORKFLOWS[0]] / ".github"
    for path in workflow_files(rendered):
        for _, reference in uses_references(path.read_text()):
            action = reference.split("@")[0]
            if action in chassis:
                assert reference == chassis[action], (
                    f"{path.name}: {reference} vs the chassis's {chassis[action]}"
                )


# --- Dependabot -------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", WITH_WORKFLOWS)
def test_dependabot_updates_actions_lock_and_images_weekly_in_groups(
    variant: str, renders: dict[str, Path]
) -> None:
    config = yaml.safe_load((renders[variant] / ".github/dependabot.yml").read_text())
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    expected = {"github-actions", "uv"} | (
        {"docker"} if VARIANTS[variant].get("include_docker", True) else set()
    )
    assert set(updates) == expected
    for update in updates.values():
        assert update["schedule"]["interval"] == "weekly" and update["groups"]
        assert update["cooldown"]["default-days"] >= 1
    if "docker" in updates:
        # A digest moves; the Python minor the service chose does not.
        ignored = updates["docker"]["ignore"][0]
        assert ignored["dependency-name"] == "python"
        assert "version-update:semver-minor" in ignored["update-types"]


def test_chassis_dependabot_covers_its_actions_and_lock() -> None:
    config = yaml.safe_load((CHASSIS_GITHUB / "dependabot.yml").read_text())
    assert {u["package-ecosystem"] for u in config["updates"]} == {"github-actions", "uv"}


@pytest.mark.parametrize("variant", WITHOUT_WORKFLOWS)
def test_no_workflows_means_no_bot_and_no_audit_group(
    variant: str, renders: dict[str, Path]
) -> None:
    project = renders[variant]
    assert not (project / ".github").exists()
    assert "pip-audit" not in (project / "pyproject.toml").read_text()


# --- the audit job ---------------------------------------------------------------------------


def audit_script(project: Path) -> str:
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    job = workflow["jobs"]["audit"]
    assert job["permissions"] == {"contents": "read"}
    scripts = [step["run"] for step in job["steps"] if "pip-audit" in step.get("run", "")]
    assert len(scripts) == 1
    return scripts[0]


@pytest.mark.parametrize("variant", WITH_WORKFLOWS)
def test_audit_job_audits_the_whole_lock(variant: str, renders: dict[str, Path]) -> None:
    project = renders[variant]
    script = audit_script(project)
    assert "uv export --locked --all-extras --all-groups" in script
    assert "pip-audit --strict --disable-pip --require-hashes" in script
    assert (
        ".github/audit-ignore.toml" in script and (project / ".github/audit-ignore.toml").is_file()
    )
    lock = (project / "uv.lock").read_text()
    assert 'name = "pip-audit"' in lock  # the tool is locked, not fetched at its latest

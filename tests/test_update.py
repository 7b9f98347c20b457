"""`copier update` as a service owner meets it: each test releases a v1 and a v2 of
the chassis in a throwaway git repository built from the working tree, renders a
service from v1, lets the service evolve, and updates it to v2.

The scenarios and what each proves are listed in docs/updating.md ("How the update
path is tested").
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO_ROOT, clean_environment
from tests.update_support import (
    CONFLICT_BEGIN,
    CONFLICT_END,
    CONFLICT_SEPARATOR,
    MINIMAL,
    V1,
    V2,
    WIDGET_MIGRATION,
    WIDGET_MODELS,
    ServiceProject,
    TemplateRepo,
    copy_project,
    git,
    tree_snapshot,
    workflow_step,
)

HEALTH = "template/src/{{package_name}}/api/health.py.jinja"
HEALTH_RENDERED = "src/agent_service/api/health.py"
HEALTH_LINE = '    return {"status": "ok"}\n'
CHASSIS_HEALTH_LINE = '    return {"status": "ok", "probe": "liveness"}\n'
SERVICE_HEALTH_LINE = '    return {"status": "ok", "service": "widgets"}\n'
CHASSIS_FIX_TEST = """\
import httpx

from {{ package_name }}.app import create_app
from {{ package_name }}.settings import Settings


async def test_healthz_names_its_probe(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/healthz")
    assert response.json() == {"status": "ok", "probe": "liveness"}
"""
README_SERVICE_TEXT = (
    "What this service does, who calls it, who runs it, and where to ask for help."
)
README_CHASSIS_LINE = "Chassis fixes arrive with `copier update --trust`"
# The service-owned part of the rendered README. The chassis promises never to change
# it, so a service's text there survives every update; this copy makes that promise
# a test (change it only with a CHANGELOG entry that says why).
README_SERVICE_REGION = """\
<!-- service:begin - this part belongs to the service: write it freely. `copier update`
never changes the lines between service:begin and service:end. -->
## About this service

What this service does, who calls it, who runs it, and where to ask for help.

<!-- service:end -->
"""
SECRET_NAME = re.compile(r"password|passwd|secret|token|api_?key|credential", re.IGNORECASE)


@pytest.fixture
def template(tmp_path: Path) -> TemplateRepo:
    return TemplateRepo.from_working_tree(tmp_path / "chassis")


def ship_chassis_fix(template: TemplateRepo) -> None:
    """A chassis fix in a rendered file, with the test that proves it, as v2 would ship it."""
    template.replace(HEALTH, HEALTH_LINE, CHASSIS_HEALTH_LINE)
    template.write("template/tests/test_chassis_fix.py.jinja", CHASSIS_FIX_TEST)
    # The fix changes the liveness body, so the chassis' own tests that pin it change too.
    for test in template.file("template/tests").glob("*.jinja"):
        body = test.read_text(encoding="utf-8")
        test.write_text(
            body.replace('== {"status": "ok"}', '== {"status": "ok", "probe": "liveness"}')
        )


# --- 1. a chassis fix arrives cleanly ------------------------------------------------


@pytest.mark.slow
def test_chassis_fix_arrives_and_project_stays_green(template: TemplateRepo, tmp_path: Path):
    template.release(V1)
    project = copy_project(template, tmp_path / "service", V1, **MINIMAL)
    ship_chassis_fix(template)
    template.release(V2)

    project.update()

    assert CHASSIS_HEALTH_LINE in project.read(HEALTH_RENDERED)
    assert (project.path / "tests/test_chassis_fix.py").is_file()
    assert project.answers()["_commit"] == V2, "update must pick the newest PEP 440 tag"
    assert project.leftovers() == ([], [])
    assert project.unmerged_paths() == set()
    project.sync()
    project.lint()
    output = project.pytest()
    assert "tests/test_chassis_fix.py ." in output, "the fix's own test must have run and passed"
    assert " failed" not in output
    # What is left for the owner to review is exactly the chassis change.
    changed = git(project.path, "status", "--porcelain").splitlines()
    changed_paths = {line[3:] for line in changed}
    assert HEALTH_RENDERED in changed_paths and ".copier-answers.yml" in changed_paths
    # A clean update passes the pre-commit guards the project ships.
    project.commit(f"update chassis to {V2}")
    assert run_pre_commit(project, tmp_path).returncode == 0


# --- 2. local edits survive; overlapping changes become Copier's inline conflicts -----

WIDGET_ROUTES = '''\
"""The service's own HTTP routes."""

from fastapi import APIRouter

router = APIRouter()


@router.get("/widgets")
async def list_widgets() -> list[str]:
    return []
'''
SERVICE_README_TEXT = "Widgets for the support desk. Owned by team Blue; ask in #widgets."


def make_service_edits(project: ServiceProject) -> dict[str, str]:
    """What a service team does after v1: a model and its migration, routes, a README."""
    project.write("src/agent_service/models.py", WIDGET_MODELS)
    project.write("migrations/versions/20250101_0a1b2c3d4e5f_add_widgets.py", WIDGET_MIGRATION)
    project.write("src/agent_service/api/routes.py", WIDGET_ROUTES)
    project.replace(HEALTH_RENDERED, HEALTH_LINE, SERVICE_HEALTH_LINE)
    project.replace("README.md", README_SERVICE_TEXT, SERVICE_README_TEXT)
    project.commit("widgets")
    return {
        name: project.read(name)
        for name in (
            "src/agent_service/models.py",
            "migrations/versions/20250101_0a1b2c3d4e5f_add_widgets.py",
            "src/agent_service/api/routes.py",
        )
    }


def test_local_edits_survive_and_overlaps_are_marked(template: TemplateRepo, tmp_path: Path):
    template.release(V1)
    project = copy_project(template, tmp_path / "service", V1, **MINIMAL)
    service_files = make_service_edits(project)
    # v2 changes the line the service changed (health.py) and, elsewhere, the chassis
    # part of the README and the chassis model registry the service never edits.
    ship_chassis_fix(template)
    template.replace("template/README.md.jinja", "## Quick start\n", "## Quick start (v2)\n")
    template.replace(
        "template/src/{{package_name}}/db/models.py.jinja",
        '"""Import every model module here',
        '"""Import every chassis model module here',
    )
    template.release(V2)

    project.update()

    # Service-only edits are untouched, byte for byte.
    for name, content in service_files.items():
        assert project.read(name) == content, f"{name} changed during the update"
    readme = project.read("README.md")
    assert SERVICE_README_TEXT in readme and "## Quick start (v2)" in readme
    assert '"""Import every chassis model module here' in project.read(
        "src/agent_service/db/models.py"
    )
    # The overlapping line: Copier's inline conflict with both sides, nothing lost.
    health = project.read(HEALTH_RENDERED)
    conflict = re.search(
        rf"^{re.escape(CONFLICT_BEGIN)}\n(.*?)^{CONFLICT_SEPARATOR}\n(.*?)^{re.escape(CONFLICT_END)}$",
        health,
        re.MULTILINE | re.DOTALL,
    )
    assert conflict, f"expected an inline conflict in {HEALTH_RENDERED}:\n{health}"
    assert SERVICE_HEALTH_LINE in conflict.group(1), "the service's side is missing"
    assert CHASSIS_HEALTH_LINE in conflict.group(2), "the chassis' side is missing"
    # Copier records the conflict in the index (stages 1-3), like a git merge does.
    assert project.unmerged_paths() == {HEALTH_RENDERED}
    marked, rejected = project.leftovers()
    assert marked == [HEALTH_RENDERED] and rejected == []
    # Staging the unresolved file anyway: the shipped pre-commit hooks refuse it.
    git(project.path, "add", "--all")
    refused = run_pre_commit(project, tmp_path)
    assert refused.returncode != 0
    assert "no-merge-conflict-markers" in refused.stdout and HEALTH_RENDERED in refused.stdout


# --- 3. an unmodified project updated to v2 is a fresh copy of v2 ----------------------


def test_unmodified_update_equals_fresh_copy(template: TemplateRepo, tmp_path: Path):
    answers = {
        **MINIMAL,
        "project_name": "Support Desk",
        "env_prefix": "DESK",
        "database_backend": "postgres",
    }
    template.write("template/docs/obsolete.md.jinja", "Dropped in {{ project_name }} v2.\n")
    template.release(V1)
    project = copy_project(template, tmp_path / "service", V1, **answers)
    assert (project.path / "docs/obsolete.md").is_file()
    # v2: a fix, a new file, a removed file, and a new question with a default.
    ship_chassis_fix(template)
    template.file("template/docs/obsolete.md.jinja").unlink()
    template.replace(
        "copier.yml",
        "\ninclude_agents_sdk:\n",
        "\nservice_port:\n  type: int\n  help: Port the service listens on\n"
        "  default: 8080\n\ninclude_agents_sdk:\n",
    )
    template.write("template/docs/ports.md.jinja", "Listens on {{ service_port }}.\n")
    template.release(V2)

    project.update()
    fresh = copy_project(template, tmp_path / "fresh", V2, **answers)

    updated_tree, fresh_tree = tree_snapshot(project.path), tree_snapshot(fresh.path)
    assert "docs/obsolete.md" not in updated_tree, "a file v2 removed must go"
    assert updated_tree.keys() == fresh_tree.keys()
    different = sorted(name for name in fresh_tree if updated_tree[name] != fresh_tree[name])
    # The answers file is compared too: both record _commit 1.1.0 (the tag) and the
    # same _src_path, and the update recorded the new question's default.
    assert different == [], f"differs from a fresh copy of {V2}: {different}"
    assert project.answers()["service_port"] == 8080


# --- 4. a renamed question is carried across by a _migrations entry --------------------


@pytest.mark.parametrize("migrations", ["shipped", "removed-control"])
def test_renamed_question_keeps_its_answer(template: TemplateRepo, tmp_path: Path, migrations):
    copier_yml = template.read("copier.yml")
    # v0.0.9 asked `db_backend`; the template itself read a computed alias.
    template.replace(
        "copier.yml",
        "\ndatabase_backend:\n",
        '\ndatabase_backend:\n  type: str\n  default: "{{ db_backend }}"\n  when: false\n'
        "\ndb_backend:\n",
    )
    template.release("0.0.9")
    project = copy_project(
        template, tmp_path / "service", "0.0.9", **MINIMAL, db_backend="postgres"
    )
    assert project.answers()["db_backend"] == "postgres"
    assert "database_backend" not in project.answers()
    assert "APP_DATABASE_BACKEND=postgres" in project.read(".env.example")

    template.write("copier.yml", copier_yml)
    if migrations == "removed-control":
        start, end = (
            copier_yml.index("\n_migrations:"),
            copier_yml.index("\n_message_after_update:"),
        )
        template.write("copier.yml", copier_yml[:start] + copier_yml[end:])
    template.release("0.1.0")  # the version the rename entry names
    project.update()

    answers = project.answers()
    assert "db_backend" not in answers
    if migrations == "shipped":
        assert answers["database_backend"] == "postgres"
        assert "APP_DATABASE_BACKEND=postgres" in project.read(".env.example")
    else:
        # Without the entry the recorded choice is silently lost: why the entry exists.
        assert answers["database_backend"] == "sqlite"
    assert project.leftovers() == ([], [])


# --- 5. files the service owns are never overwritten -----------------------------------

SERVICE_ENV = "APP_DATABASE_BACKEND=postgres\nAPP_DATABASE_POSTGRES_PASSWORD=local-only\n"
SERVICE_OWNED_SOURCES = (
    "template/src/{{package_name}}/models.py.jinja",
    "template/src/{{package_name}}/api/routes.py.jinja",
)


def test_service_owned_files_are_not_overwritten(template: TemplateRepo, tmp_path: Path):
    template.release(V1)
    project = copy_project(template, tmp_path / "service", V1, **MINIMAL)
    project.write(".env", SERVICE_ENV)  # git-ignored: copier sees it only on disk
    project.replace("README.md", README_SERVICE_TEXT, SERVICE_README_TEXT)
    project.write("src/agent_service/models.py", WIDGET_MODELS)
    project.commit("service-owned edits")
    # v2 starts shipping a .env, changes the example, the chassis README part and the
    # service-owned files' templates (which a service must never receive).
    template.write("template/.env.jinja", "{{ env_prefix }}_DATABASE_BACKEND=sqlite\n")
    template.replace(
        "template/.env.example.jinja",
        "# Copy to .env and adjust.",
        "# Copy to .env and adjust (v2).",
    )
    template.replace("template/README.md.jinja", "## Tests\n", "## Tests (v2)\n")
    for source in SERVICE_OWNED_SOURCES:
        template.write(source, template.read(source) + "# chassis v2 line\n")
    template.release(V2)

    project.update()

    assert project.read(".env") == SERVICE_ENV
    assert project.read("src/agent_service/models.py") == WIDGET_MODELS
    assert "chassis v2 line" not in project.read("src/agent_service/api/routes.py")
    assert "(v2)" in project.read(".env.example")
    readme = project.read("README.md")
    assert SERVICE_README_TEXT in readme and "## Tests (v2)" in readme
    assert project.leftovers() == ([], [])


def test_readme_service_region_is_frozen():
    """The chassis may change its README sections, never the service's."""
    readme = (REPO_ROOT / "template/README.md.jinja").read_text(encoding="utf-8")
    assert README_SERVICE_REGION in readme
    assert README_CHASSIS_LINE in readme.split("<!-- service:end -->", 1)[1]


def test_service_owned_files_are_listed_in_skip_if_exists():
    config = yaml.safe_load((REPO_ROOT / "copier.yml").read_text(encoding="utf-8"))
    skipped = set(config["_skip_if_exists"])
    assert ".env" in skipped
    for source in SERVICE_OWNED_SOURCES:
        rendered = source.removeprefix("template/").removesuffix(".jinja")
        assert rendered.replace("{{package_name}}", "{{ package_name }}") in skipped


# --- the answers file ------------------------------------------------------------------


def test_answers_file_records_what_update_needs_and_nothing_else(
    template: TemplateRepo, tmp_path: Path
):
    template.release(V1)
    project = copy_project(template, tmp_path / "service", V1)
    config = yaml.safe_load(template.read("copier.yml"))
    questions = {name: spec for name, spec in config.items() if not name.startswith("_")}

    def never_recorded(spec: Any) -> bool:
        spec = spec if isinstance(spec, dict) else {}
        return spec.get("when") in (False, "false") or bool(spec.get("secret"))

    conditional = {
        name
        for name, spec in questions.items()
        if isinstance(spec, dict) and isinstance(spec.get("when"), str) and "{" in spec["when"]
    }
    required = {name for name, spec in questions.items() if not never_recorded(spec)} - conditional
    answers = project.answers()
    assert answers["_src_path"] == str(template.path)
    assert answers["_commit"] == V1
    recorded = set(answers) - {"_src_path", "_commit"}
    assert required <= recorded, f"asked but not recorded: {required - recorded}"
    assert recorded <= required | conditional, f"recorded but never asked: {recorded - required}"
    # A question whose name says "secret" must be `secret: true` (Copier never records
    # those); and no recorded answer may be one.
    for name, spec in questions.items():
        if SECRET_NAME.search(name):
            assert isinstance(spec, dict) and spec.get("secret") is True, (
                f"question {name} looks like a secret: mark it `secret: true`"
            )
    assert not [name for name in recorded if SECRET_NAME.search(name)]


# --- pre-commit guards and the scheduled check-update workflow --------------------------


def run_pre_commit(project: ServiceProject, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    pre_commit = Path(sys.executable).with_name("pre-commit")
    return project.run(
        str(pre_commit),
        "run",
        "--all-files",
        env={"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")},
        check=False,
    )


def test_rej_mode_keeps_both_sides_and_pre_commit_refuses_rej(
    template: TemplateRepo, tmp_path: Path
):
    template.release(V1)
    project = copy_project(template, tmp_path / "service", V1, **MINIMAL)
    assert run_pre_commit(project, tmp_path).returncode == 0, "a fresh render must pass"
    project.replace(HEALTH_RENDERED, HEALTH_LINE, SERVICE_HEALTH_LINE)
    project.commit("service health")
    ship_chassis_fix(template)
    template.release(V2)

    project.update(conflict="rej")

    # Copier renders v2, then replays the service's diff: the file now holds the
    # chassis' line and the service's hunk that did not apply waits in the .rej file.
    assert CHASSIS_HEALTH_LINE in project.read(HEALTH_RENDERED)
    rejected = project.read(HEALTH_RENDERED + ".rej")
    assert "+" + SERVICE_HEALTH_LINE in rejected and "-" + HEALTH_LINE in rejected
    git(project.path, "add", "--all")
    refused = run_pre_commit(project, tmp_path)
    assert refused.returncode != 0
    assert "no-rejected-hunks" in refused.stdout and HEALTH_RENDERED + ".rej" in refused.stdout


def run_check_update_step(project: ServiceProject, summary: Path) -> subprocess.CompletedProcess:
    workflow = yaml.safe_load(project.read(".github/workflows/template-update.yml"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert triggers["schedule"], "the check must run on a schedule"
    step = workflow_step(workflow, "copier check-update")
    environment = {"COPIER_SPEC": step["env"]["COPIER_SPEC"]}
    environment["GITHUB_STEP_SUMMARY"] = str(summary)
    return subprocess.run(
        ["bash", "-c", step["run"]],
        cwd=project.path,
        env=clean_environment(environment),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_scheduled_check_update_fails_until_updated(template: TemplateRepo, tmp_path: Path):
    template.release(V1)
    project = copy_project(template, tmp_path / "service", V1, **MINIMAL)
    template.release(V2)
    summary = tmp_path / "summary.md"

    behind = run_check_update_step(project, summary)
    assert behind.returncode != 0, behind.stdout + behind.stderr
    assert f"::warning title=Chassis update available::chassis {V2} is out" in behind.stdout
    assert f"this service is on {V1}" in behind.stdout
    assert "Chassis update available" in summary.read_text()

    project.update()
    project.commit(f"update chassis to {V2}")
    current = run_check_update_step(project, summary)
    assert current.returncode == 0, current.stdout + current.stderr
    assert f"up to date with the chassis ({V2})" in current.stdout


def test_github_folder_only_with_github_actions(template: TemplateRepo, tmp_path: Path):
    template.release(V1)
    without = copy_project(
        template, tmp_path / "without", V1, **MINIMAL, include_github_actions=False
    )
    assert not (without.path / ".github").exists()
    empty = [p for p in without.path.rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert [p for p in empty if ".git" not in p.parts] == []
    with_actions = copy_project(template, tmp_path / "with", V1, **MINIMAL)
    assert (with_actions.path / ".github/workflows/template-update.yml").is_file()

"""After `copier copy` the project is ready to commit, and stays clean for `copier update`.

getting-started's order: copy, `git init` + commit, `uv sync`, `migrate`, `serve`,
then `copier update`. Before the copy task wrote uv.lock, `uv sync` left it untracked
and the update refused: "Destination repository is dirty".
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.docs_commands import free_port
from tests.helpers import REPO_ROOT, clean_environment
from tests.update_support import GIT_IDENTITY, ServiceProject, TemplateRepo, git

MINIMAL = {"include_agents_sdk": False, "include_docker": False}


def copier_copy(template: TemplateRepo, destination: Path) -> subprocess.CompletedProcess[str]:
    """The command a user types (non-interactive), not the Python API."""
    answers = [f"--data={name}={str(value).lower()}" for name, value in MINIMAL.items()]
    return subprocess.run(
        [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", *answers,
         str(template.path), str(destination)],
        env=clean_environment(GIT_IDENTITY),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip


def serve_briefly(project: ServiceProject, env: dict[str, str]) -> None:
    port = free_port()
    command = ["uv", "run", "agent-service", "serve", "--port", str(port)]
    server = subprocess.Popen(
        command, cwd=project.path, env=clean_environment(env), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert server.poll() is None, "the server exited early"
            time.sleep(0.2)
        raise AssertionError("the server did not become ready within 60 s")
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.slow
def test_copy_is_ready_to_commit_and_update(tmp_path: Path) -> None:
    template = TemplateRepo.from_working_tree(tmp_path / "chassis")
    template.release("1.0.0")
    copied = copier_copy(template, tmp_path / "service")
    assert copied.returncode == 0, copied.stderr
    project = ServiceProject(tmp_path / "service")
    assert (project.path / "uv.lock").is_file(), "the copy task must write uv.lock"

    git(project.path, "init", "--quiet", "--initial-branch=main")
    project.commit("From the Agent Service Chassis")
    env = {"APP_AUTH_DISABLED": "true"}
    project.sync()
    project.run("uv", "run", "agent-service", "migrate", env=env)
    serve_briefly(project, env)
    assert (project.path / "data/app.db").is_file()
    assert git(project.path, "status", "--porcelain") == "", "sync/migrate/serve left changes"

    template.write("template/NOTES.md", "a chassis change\n")
    template.release("1.1.0")
    updated = project.update(check=False)
    assert updated.returncode == 0, updated.stderr
    assert "dirty" not in updated.stderr.lower()
    assert project.answers()["_commit"] == "1.1.0"
    assert (project.path / "NOTES.md").is_file()


def test_lock_task_without_uv_is_a_notice_not_a_failure(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "copier_tasks/lock.py")],
        cwd=tmp_path,
        env={**os.environ, "PATH": str(tmp_path)},  # no uv on this PATH
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert result.stderr.startswith("uv not found: uv.lock was not written"), result.stderr
    assert "run `uv lock`" in result.stderr
    assert not (tmp_path / "uv.lock").exists()

"""Throwaway template repositories and projects for the `copier update` tests.

Every test builds its own git repository from the working tree (uncommitted changes
included), edits it the way a chassis maintainer would, and tags releases itself, so
the tests never depend on this repository's own tags or history.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import yaml

from tests.helpers import REPO_ROOT, Project, clean_environment

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Update Test",
    "GIT_AUTHOR_EMAIL": "update-test@example.com",
    "GIT_COMMITTER_NAME": "Update Test",
    "GIT_COMMITTER_EMAIL": "update-test@example.com",
}
# What Copier writes around an inline conflict (copier/_main.py, `git merge-file -L`).
CONFLICT_BEGIN = "<<<<<<< before updating"
CONFLICT_SEPARATOR = "======="
CONFLICT_END = ">>>>>>> after updating"
TREE_SKIP = {".git", ".venv", ".pytest_cache", ".ruff_cache", "__pycache__", "data"}


def git(cwd: Path, *args: str, check: bool = True) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=clean_environment(GIT_IDENTITY),
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} exited {result.returncode}\n{result.stderr}")
    return result.stdout


def working_tree_files(root: Path = REPO_ROOT) -> list[str]:
    """Tracked and untracked-but-not-ignored files: what `git add -A` would commit."""
    listing = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return sorted({name for name in listing.split("\0") if name and (root / name).is_file()})


class EditableTree:
    """Text edits below ``path``, the way a maintainer or a service owner makes them."""

    path: Path

    def read(self, relative: str) -> str:
        return (self.path / relative).read_text(encoding="utf-8")

    def write(self, relative: str, text: str) -> None:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def replace(self, relative: str, old: str, new: str) -> None:
        """Edit a file; the anchor must exist exactly once (else the test is stale)."""
        text = self.read(relative)
        assert text.count(old) == 1, f"{relative}: expected one {old!r} to edit"
        self.write(relative, text.replace(old, new))


@dataclass
class TemplateRepo(EditableTree):
    """A git copy of the template whose releases the test tags itself."""

    path: Path

    @classmethod
    def from_working_tree(cls, path: Path) -> TemplateRepo:
        for name in working_tree_files():
            target = path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, target)
        git(path, "init", "--quiet", "--initial-branch=main")
        return cls(path)

    def file(self, relative: str) -> Path:
        return self.path / relative

    def release(self, version: str) -> None:
        git(self.path, "add", "--all")
        git(self.path, "commit", "--quiet", "--allow-empty", "-m", f"release {version}")
        git(self.path, "tag", version)

    def chassis_migration_head(self) -> str:
        """The head of the shipped history (chassis_*.py, service_0000, service_0001): one line."""
        revises: dict[str, set[str]] = {}
        for script in self.file("template/migrations/versions").glob("*.py"):
            text = script.read_text(encoding="utf-8")
            revision = re.search(r'^revision: str = "([^"]+)"', text, re.MULTILINE)
            down = re.search(r"^down_revision: [^=]*= (.*)$", text, re.MULTILINE)
            assert revision and down, f"{script.name}: cannot read its revision identifiers"
            revises[revision.group(1)] = set(re.findall(r'"([^"]+)"', down.group(1)))
        heads = set(revises) - set().union(*revises.values())
        assert len(heads) == 1, f"the shipped migration history must be linear, found {heads}"
        return heads.pop()


def copy_project(
    template: TemplateRepo, destination: Path, version: str, **answers: Any
) -> ServiceProject:
    """`copier copy` a tagged release, then commit it as the service's first commit."""
    copier.run_copy(
        str(template.path),
        str(destination),
        data=answers,
        defaults=True,
        unsafe=True,
        vcs_ref=version,
        quiet=True,
    )
    project = ServiceProject(destination)
    git(destination, "init", "--quiet", "--initial-branch=main")
    project.commit(f"render chassis {version}")
    return project


@dataclass
class ServiceProject(Project, EditableTree):
    """A rendered service under git, as its owners keep it."""

    def commit(self, message: str) -> None:
        git(self.path, "add", "--all")
        git(self.path, "commit", "--quiet", "--allow-empty", "-m", message)

    def update(
        self, *options: str, conflict: str = "inline", check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """`copier update` as a service owner runs it: newest PEP 440 tag, recorded answers."""
        return self.run(
            sys.executable,
            "-m",
            "copier",
            "update",
            "--defaults",
            "--trust",
            "--conflict",
            conflict,
            *options,
            env=GIT_IDENTITY,
            check=check,
        )

    def answers(self) -> dict[str, Any]:
        return yaml.safe_load((self.path / ".copier-answers.yml").read_text(encoding="utf-8"))

    def unmerged_paths(self) -> set[str]:
        """Paths Copier registered as conflicted in the index (stages 1-3, as git merge does)."""
        listing = git(self.path, "ls-files", "--unmerged")
        return {line.split("\t", 1)[1] for line in listing.splitlines()}

    def leftovers(self) -> tuple[list[str], list[str]]:
        """(files with conflict markers, .rej files) anywhere in the project."""
        marked, rejected = [], []
        for path in self.files():
            relative = str(path.relative_to(self.path))
            if path.suffix == ".rej":
                rejected.append(relative)
                continue
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except UnicodeDecodeError:
                continue
            if any(line.startswith(("<<<<<<< ", ">>>>>>> ")) for line in lines):
                marked.append(relative)
        return marked, rejected


def tree_snapshot(root: Path) -> dict[str, tuple[str, bytes, bool]]:
    """Every file and folder under root (bytes and executable bit), minus tool caches."""
    snapshot: dict[str, tuple[str, bytes, bool]] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if TREE_SKIP.intersection(relative.parts):
            continue
        if path.is_dir():
            snapshot[str(relative)] = ("dir", b"", False)
        else:
            snapshot[str(relative)] = ("file", path.read_bytes(), os.access(path, os.X_OK))
    return snapshot


def workflow_step(workflow: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if step.get("name") == name:
                return step
    raise AssertionError(f"no step named {name!r} in the workflow")


# A service's own model and its revision on the 0.1.0 service branch (the update tests).
WIDGET_MODELS = '''\
"""The service's own database models."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from agent_service.db.base import Base


class Widget(Base):
    __tablename__ = "widgets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
'''
WIDGET_MIGRATION = '''\
"""add widgets

Revision ID: 0a1b2c3d4e5f
Revises: service_0000
"""

import sqlalchemy as sa
from alembic import op

revision = "0a1b2c3d4e5f"
down_revision = "service_0000"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "widgets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_widgets")),
    )


def downgrade() -> None:
    op.drop_table("widgets")
'''

# The two releases an update test tags, and the smallest render it updates.
V1, V2 = "1.0.0", "1.1.0"
MINIMAL = {"include_agents_sdk": False, "include_docker": False}

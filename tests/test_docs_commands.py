"""Every command block of README.md, docs/ and the rendered project's docs, run literally.

Where each file's commands start (the reader's terminal):
- "chassis": a clone of the chassis (README.md: `make demo`, `copier copy`);
- "empty": an empty folder (the pages that start with `copier copy ... my-service`);
- "service": the project a reader rendered with `--data project_name="My Service"`
  (every other page, and the rendered README.md and docs/).
One render (and one `uv sync`) serves all "service" pages, in file order. Blocks
marked `<!-- not-run: reason -->` are listed by `test_not_run_blocks_are_listed`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import copier
import pytest

from tests.docs_commands import Block, build_script, command_blocks, free_port
from tests.helpers import REPO_ROOT, clean_environment
from tests.update_support import GIT_IDENTITY, TemplateRepo, git

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("docs")]

SERVICE_ANSWERS = {"project_name": "My Service"}
STARTS_EMPTY = {"docs/getting-started.md", "docs/updating.md"}
STARTS_IN_CHASSIS = {"README.md", "docs/performance.md"}
ALL_TEMPLATE_DOCS = [
    "README.md",
    *sorted(p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "docs").rglob("*.md")),
]
RENDERED_DOCS = ["README.md", "docs/running.md", "docs/migrations.md", "docs/deploy.md"]
# Every not-run block, counted: a new one is a deliberate change of this number.
EXPECTED_NOT_RUN = 22
SCRIPT_SECONDS = 900


@dataclass
class Workspace:
    root: Path
    chassis: TemplateRepo
    service: Path


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("docs")
    chassis = TemplateRepo.from_working_tree(root / "chassis")
    chassis.release("1.0.0")
    service = root / "service" / "my-service"
    copier.run_copy(
        str(chassis.path), str(service), data=SERVICE_ANSWERS, defaults=True, unsafe=True
    )
    git(service, "init", "--quiet", "--initial-branch=main")
    git(service, "add", "--all")
    git(service, "commit", "--quiet", "-m", "From the Agent Service Chassis")
    yield Workspace(root, chassis, service)


def run_page(workspace: Workspace, blocks: list[Block], cwd: Path, name: str) -> str:
    logs = workspace.root / "logs" / name.replace("/", "_")
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    script = build_script(blocks, workspace.chassis.path, port, logs)
    (logs / "script.sh").write_text(script.text, encoding="utf-8")
    environment = clean_environment({**GIT_IDENTITY, "DEMO_PORT": str(port)})
    result = subprocess.run(
        ["bash", str(logs / "script.sh")],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SCRIPT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, (
        f"{name}: its commands failed (exit {result.returncode}); script: {logs / 'script.sh'}\n"
        f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
    )
    return result.stdout + result.stderr


def template_blocks(name: str) -> list[Block]:
    return command_blocks(REPO_ROOT / name, name)


# The pages with at least one command to run (the others are listed, not run).
TEMPLATE_DOCS = [
    name for name in ALL_TEMPLATE_DOCS if any(b.not_run is None for b in template_blocks(name))
]


@pytest.mark.parametrize("name", TEMPLATE_DOCS)
def test_template_docs_run_literally(workspace: Workspace, name: str) -> None:
    blocks = template_blocks(name)
    if name in STARTS_EMPTY:
        cwd = workspace.root / "empty" / name.replace("/", "_")
        cwd.mkdir(parents=True)
    elif name in STARTS_IN_CHASSIS:
        cwd = workspace.chassis.path
    else:
        cwd = workspace.service
    output = run_page(workspace, blocks, cwd, name)
    if name in STARTS_EMPTY:
        # The page made the service it talks about, with the CLI it names.
        assert (cwd / "my-service" / "src/my_service/__main__.py").is_file(), output


@pytest.mark.parametrize("name", RENDERED_DOCS)
def test_rendered_docs_run_literally(workspace: Workspace, name: str) -> None:
    path = workspace.service / name
    assert path.is_file(), f"the rendered project has no {name}"
    run_page(workspace, command_blocks(path, name), workspace.service, f"rendered-{name}")


def test_not_run_blocks_are_listed(workspace: Workspace, capsys: pytest.CaptureFixture[str]):
    blocks = [block for name in ALL_TEMPLATE_DOCS for block in template_blocks(name)]
    blocks += [
        block
        for name in RENDERED_DOCS
        for block in command_blocks(workspace.service / name, f"rendered {name}")
    ]
    not_run = [block for block in blocks if block.not_run is not None]
    with capsys.disabled():
        print(f"\n{len(blocks)} command blocks, {len(not_run)} not run:")
        for block in not_run:
            print(f"  {block.source}:{block.line}: {block.not_run}")
    assert len(not_run) == EXPECTED_NOT_RUN, (
        f"{len(not_run)} blocks are marked not-run, expected {EXPECTED_NOT_RUN}: make a new "
        "block runnable, or change EXPECTED_NOT_RUN deliberately"
    )
    assert len(blocks) - len(not_run) >= 10, "most command blocks must run"

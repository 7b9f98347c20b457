"""Join the migration heads a `copier update` left (a Copier task; update only).

The migration history is one line. A chassis update that brings new chassis
revisions to a service that wrote its own revisions since leaves two heads: the
service's newest revision and the chassis' newest. This task writes the merge
revision Alembic's tutorial prescribes (`alembic merge heads`), so `alembic upgrade
head`, `downgrade -1` and `revision --autogenerate` keep working, and neither side's
revision is edited. With one head it does nothing.

Copier runs tasks of an update in its temporary renders too; the heads are read
from the revision files (no database, no virtualenv), so those runs cost nothing.
`uv run --frozen`: the task runs before Copier replays the service's own changes, so
it must not rewrite uv.lock. A failure is a notice naming the command to run, never
a failed update (Copier would stop half-way through applying it).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

VERSIONS = Path("migrations/versions")
MESSAGE = "merge chassis update"
MERGE_TIMEOUT_SECONDS = 300


def literal(tree: ast.Module, name: str) -> object:
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return ast.literal_eval(value)
    return None


def heads(versions: Path) -> set[str]:
    """Revisions no other revision revises or depends on.

    ``depends_on`` counts: in the 0.1.0 layout service_0000 depends on chassis_0001,
    which Alembic then shows as an "effective head" that needs no merge.
    """
    revisions, parents = set(), set()
    for script in versions.glob("*.py"):
        tree = ast.parse(script.read_text(encoding="utf-8"))
        revision = literal(tree, "revision")
        if not isinstance(revision, str):
            continue
        revisions.add(revision)
        for name in ("down_revision", "depends_on"):
            value = literal(tree, name)
            parents.update([value] if isinstance(value, str) else value or ())
    return revisions - parents


def main() -> int:
    found = heads(VERSIONS) if VERSIONS.is_dir() else set()
    if len(found) < 2:
        return 0
    listed = ", ".join(sorted(found))
    todo = f'run `uv run alembic merge heads -m "{MESSAGE}"` yourself'
    uv = shutil.which("uv")
    if uv is None:
        print(f"migrations/versions has heads {listed}; uv not found: {todo}", file=sys.stderr)
        return 0
    print(f"joining migration heads {listed} with `alembic merge heads`", file=sys.stderr)
    command = [uv, "run", "--frozen", "--quiet", "alembic", "merge", "heads", "-m", MESSAGE]
    try:
        result = subprocess.run(command, timeout=MERGE_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        print(f"alembic merge did not finish in {MERGE_TIMEOUT_SECONDS}s: {todo}", file=sys.stderr)
        return 0
    if result.returncode != 0:
        print(f"alembic merge failed (exit {result.returncode}): {todo}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write uv.lock right after `copier copy` (a Copier task; copy only).

Copier runs this from the new project's folder with its own interpreter. The project
is then ready to commit as rendered: `uv.lock` is tracked from the first commit, so
a later `copier update` finds a clean tree, and the image build installs locked
versions.

Missing uv, or a lock that fails (no index reachable, a bounded wait that ran out), is
a one-line notice and exit 0, not a failed copy: the rendered files are complete
without a lock, and `uv lock` (or the first `uv sync`) writes it later.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

LOCK_TIMEOUT_SECONDS = 300


def main() -> int:
    uv = shutil.which("uv")
    if uv is None:
        print(
            "uv not found: uv.lock was not written; install uv (https://docs.astral.sh/uv/) "
            "and run `uv lock` before the first commit",
            file=sys.stderr,
        )
        return 0
    try:
        result = subprocess.run(
            [uv, "lock", "--quiet"],
            capture_output=True,
            text=True,
            timeout=LOCK_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        print(
            f"uv lock did not finish within {LOCK_TIMEOUT_SECONDS}s: uv.lock was not "
            "written; run `uv lock` before the first commit",
            file=sys.stderr,
        )
        return 0
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        print(
            f"uv lock failed ({last}): uv.lock was not written; run `uv lock` before the "
            "first commit",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

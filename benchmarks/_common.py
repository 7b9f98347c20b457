"""Shared by the benchmark commands: render a project, run code in it, report."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.helpers import DEFAULT_POSTGRES_URL as TEST_POSTGRES_URL
from tests.helpers import REPO_ROOT, clean_environment, render

RESULTS = REPO_ROOT / "benchmarks" / "results"
DEFAULT_POSTGRES_URL = os.environ.get("CHASSIS_TEST_POSTGRES_URL", TEST_POSTGRES_URL)


def prepare_project(
    path: Path,
    reuse: bool,
    template: Path = REPO_ROOT,
    *,
    answers: dict[str, Any] | None = None,
    extras: tuple[str, ...] = ("--extra", "mysql"),
) -> Path:
    """Render a template checkout (default answers unless given; not when reusing) and
    install it.

    The mysql extra is installed by default, so the MariaDB legs can run.
    """
    path = path.resolve()
    if not (reuse and (path / "pyproject.toml").exists()):
        if path.exists():
            shutil.rmtree(path)
        print(f"rendering {template} into {path} ...", flush=True)
        render(path, template=template, **(answers or {}))
    subprocess.run(
        ["uv", "sync", "--quiet", *extras], cwd=path, env=clean_environment(), check=True
    )
    return path


def migrate(project: Path, env: dict[str, str]) -> None:
    """The rendered service's own ``migrate`` command, on the database of ``env``."""
    command = [str(project / ".venv" / "bin" / "agent-service"), "migrate"]
    subprocess.run(command, cwd=project, env=env, check=True, capture_output=True)


def run_in_project(project: Path, *args: str, env: dict[str, str] | None = None) -> None:
    command = [str(project / ".venv" / "bin" / "python"), *args]
    subprocess.run(command, cwd=project, env=clean_environment(env), check=True)


def environment_info() -> dict[str, Any]:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json``, stamped with the machine it ran on."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    stamped = {**payload, "environment": environment_info()}
    path.write_text(json.dumps(stamped, indent=2, default=str) + "\n")
    print(f"\nwrote {path.relative_to(REPO_ROOT)}")
    return path


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for number, row in enumerate(cells):
        print(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if number == 0:
            print("  ".join("-" * w for w in widths))
    sys.stdout.flush()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return str(value)


def benchmark_parser(description: str, backends: str) -> argparse.ArgumentParser:
    """The options every benchmark takes: which backends, the server, the rendered project."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--backends", default=backends)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--project", type=Path, default=REPO_ROOT / "build" / "bench-project")
    parser.add_argument("--reuse", action="store_true", help="reuse already rendered projects")
    return parser

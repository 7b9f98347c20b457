"""The audit job's command line and its ignore list, on a real render (no `uv sync`).

The CI step runs verbatim except for pip-audit's --dry-run: that skips the advisory
lookup, the one part that needs the network and so is not exercised here. Everything
before it is real: the ignore list turned into arguments, `uv export --locked` of the
render's uv.lock, and the locked pip-audit parsing the hashed requirements.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import clean_environment, render
from tests.supply_chain_support import run
from tests.test_supply_chain import audit_script


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("audit") / "project")


def run_audit_dry(project: Path, tmp_path: Path) -> Any:
    """The CI step, verbatim except for pip-audit's --dry-run (no advisory lookup)."""
    script = audit_script(project).replace("pip-audit --strict", "pip-audit --dry-run --strict", 1)
    assert "--dry-run" in script
    env = clean_environment({"RUNNER_TEMP": str(tmp_path)})
    return run(["bash", "-x", "-eo", "pipefail", "-c", script], cwd=project, env=env, check=False)


def test_audit_command_runs_on_the_exported_lock(project: Path, tmp_path: Path) -> None:
    ignore_file = project / ".github/audit-ignore.toml"
    original = ignore_file.read_text()
    ignore_file.write_text(
        original
        + '[[ignore]]\nid = "GHSA-2222-3333-4444"\nreason = "accepted in a test"\nexpires = 2999-01-01\n'
    )
    try:
        result = run_audit_dry(project, tmp_path)
    finally:
        ignore_file.write_text(original)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "--ignore-vuln GHSA-2222-3333-4444" in result.stderr  # bash -x shows pip-audit's argv
    exported = (tmp_path / "audit-requirements.txt").read_text()
    audited = int(
        re.search(r"would have audited (\d+) packages", result.stderr + result.stdout).group(1)
    )
    # Every pinned requirement except those whose markers exclude this platform.
    pinned = len(re.findall(r"^[a-z0-9_.-]+==", exported, flags=re.MULTILINE))
    assert 0 < audited <= pinned and pinned - audited < 10


def test_audit_job_fails_on_an_expired_acceptance(project: Path, tmp_path: Path) -> None:
    ignore_file = project / ".github/audit-ignore.toml"
    original = ignore_file.read_text()
    ignore_file.write_text(
        original + '[[ignore]]\nid = "PYSEC-1"\nreason = "old"\nexpires = 2001-01-01\n'
    )
    try:
        result = run_audit_dry(project, tmp_path)
    finally:
        ignore_file.write_text(original)
    assert result.returncode == 1
    assert "PYSEC-1" in result.stderr and "expired on 2001-01-01" in result.stderr
    assert "pip-audit" not in result.stderr.split("expired on", 1)[1]  # it never ran


# --- the ignore-list script on its own ---------------------------------------------------------


@pytest.fixture(scope="module")
def ignore_script(project: Path) -> Path:
    return project / ".github/audit_ignores.py"


def ignores(script: Path, tmp_path: Path, text: str | None) -> Any:
    path = tmp_path / "audit-ignore.toml"
    if text is not None:
        path.write_text(text)
    return run([sys.executable, str(script), str(path)], cwd=tmp_path, check=False)


ENTRY = '[[ignore]]\nid = "{id}"\nreason = "{reason}"\nexpires = {expires}\n'


def test_ignore_list_turns_entries_into_arguments(ignore_script: Path, tmp_path: Path) -> None:
    text = ENTRY.format(id="GHSA-a", reason="r", expires="2999-01-01") + ENTRY.format(
        id="PYSEC-2", reason="r", expires="2999-12-31"
    )
    result = ignores(ignore_script, tmp_path, text)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["--ignore-vuln", "GHSA-a", "--ignore-vuln", "PYSEC-2"]


def test_shipped_ignore_list_and_missing_file_accept_nothing(
    ignore_script: Path, tmp_path: Path
) -> None:
    shipped = (ignore_script.parent / "audit-ignore.toml").read_text()
    assert ignores(ignore_script, tmp_path, shipped).stdout == ""
    (tmp_path / "audit-ignore.toml").unlink()
    assert ignores(ignore_script, tmp_path, None).stdout == ""


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        (
            ENTRY.format(id="GHSA-old", reason="r", expires="2001-02-03"),
            1,
            "GHSA-old) expired on 2001-02-03",
        ),
        ('[[ignore]]\nid = "GHSA-x"\nexpires = 2999-01-01\n', 2, "needs reason"),
        (ENTRY.format(id="GHSA-x", reason="r", expires='"soon"'), 2, "expires must be a date"),
        (ENTRY.format(id="GHSA-x y", reason="r", expires="2999-01-01"), 2, "must be one word"),
        (ENTRY.format(id="A", reason="r", expires="2999-01-01") * 2, 2, "A is listed twice"),
        ('ignore = "GHSA-x"\n', 2, "[[ignore]] table"),
        ("[[ignore]\n", 2, "not valid TOML"),
    ],
)
def test_ignore_list_refuses_what_it_cannot_honour(
    ignore_script: Path, tmp_path: Path, text: str, code: int, message: str
) -> None:
    result = ignores(ignore_script, tmp_path, text)
    assert result.returncode == code, result.stdout + result.stderr
    assert message in result.stderr and result.stdout == ""

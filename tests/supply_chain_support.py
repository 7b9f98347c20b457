"""Helpers for tests/test_supply_chain.py: the linters, run offline, and workflow parsing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# Both are dev dependencies of the chassis (pyproject.toml), installed beside pytest.
BIN = Path(sys.executable).parent
ZIZMOR = BIN / "zizmor"
CHECK_JSONSCHEMA = BIN / "check-jsonschema"
TIMEOUT_SECONDS = 300
# `uses: owner/repo@ref` in a workflow, with the rest of its line (the version comment).
USES = re.compile(r"^\s*-?\s*uses:\s*(?P<reference>[^\s#]+)", re.MULTILINE)


def run(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        list(command),
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def zizmor_findings(github: Path) -> list[dict[str, Any]]:
    """zizmor's unsuppressed findings for a .github folder (workflows and dependabot.yml).

    --offline: no GitHub API calls (the audits that need one are skipped);
    --strict-collection: a file zizmor cannot parse is an error, not a silent skip.
    """
    result = run(
        [str(ZIZMOR), "--offline", "--strict-collection", "--format", "json", str(github)],
        cwd=github,
        check=False,
    )
    try:
        findings = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"zizmor exited {result.returncode}: {result.stderr}") from None
    return [finding for finding in findings if not finding.get("ignored")]


def check_jsonschema(
    schema: str, *files: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Validate against a schema vendored in check-jsonschema (no download)."""
    assert files, "nothing to validate"
    return run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", schema, *map(str, files)],
        cwd=files[0].parent,
        check=check,
    )


def workflow_files(github: Path) -> list[Path]:
    files = sorted((github / "workflows").glob("*.yml"))
    assert files, f"no workflows in {github}"
    return files


def uses_references(text: str) -> list[tuple[str, str]]:
    """(whole line, action reference) for every `uses:` of a workflow."""
    found = []
    for match in USES.finditer(text):
        line_end = text.find("\n", match.start())
        line = text[match.start() : line_end if line_end != -1 else None]
        found.append((line, match.group("reference")))
    return found

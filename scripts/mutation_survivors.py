"""What the mutation report says of the mutants that were not killed: whether any is in
authentication or a tenant condition, and which functions no selected test ran."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from scripts.mutation_equivalent import EQUIVALENT

if TYPE_CHECKING:
    from scripts.mutation_report import GroupResult


def survivors(result: GroupResult) -> dict[str, str]:
    """The result's surviving mutants that are not listed as equivalent, with their diffs."""
    return {
        name: diff
        for name, diff in result.diffs.items()
        if result.statuses[name] == "survived" and name not in EQUIVALENT
    }


def sensitive_survivors(results: list[GroupResult]) -> str:
    """The report's sentence on surviving mutants in authentication (the auth group) or in
    a tenant condition (a changed line that names an owner), counted, not assumed."""
    found = sorted(
        name
        for r in results
        for name, diff in survivors(r).items()
        if r.group == "auth" or any(_changes_owner(line) for line in diff.splitlines())
    )
    if not found:
        return (
            "None is in authentication or in a tenant condition (no changed line names an owner)."
        )
    return f"{len(found)} touch authentication or an owner condition: {', '.join(found)}."


def _changes_owner(line: str) -> bool:
    changed = line[:1] in "+-" and line[:3] not in ("+++", "---")
    return changed and "owner" in line.lower()


def untested_anywhere(results: list[GroupResult]) -> list[str]:
    """Functions whose mutants no selected test ran on ANY backend of the run."""
    seen: dict[str, set[str]] = {}
    for result in results:
        for name, status in result.statuses.items():
            seen.setdefault(name, set()).add(status)
    functions = Counter(
        name.rsplit("__mutmut_", 1)[0]
        for name, statuses in seen.items()
        if statuses == {"no tests"}
    )
    lines = [
        "## Not run by the selected tests on any backend of the run",
        "",
        "Mutants in functions that none of the group's tests call on SQLite or PostgreSQL "
        "(MySQL/MariaDB code runs only on MariaDB, which `make mutation` does not cover):",
        "",
    ]
    lines += [f"- `{name}`: {count} mutants" for name, count in sorted(functions.items())]
    return lines if functions else []

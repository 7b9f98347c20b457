"""Rename recorded answers in a project's Copier answers file (a `_migrations` task).

Copier runs this from the project folder with its own interpreter (which always has
PyYAML), before the new template version renders:

    rename_answers.py .copier-answers.yml old_name=new_name [old=new ...]

An answer recorded under an old question name is moved to the new name, so the
renamed question keeps the project's value instead of falling back to its default.
A project that never had the old name, or already has the new one, is left as it
is: the task is safe to run twice.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

HEADER = "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n"


def parse_renames(arguments: list[str]) -> list[tuple[str, str]]:
    renames = []
    for argument in arguments:
        old, separator, new = argument.partition("=")
        if not separator or not old or not new:
            raise SystemExit(f"rename_answers: expected OLD=NEW, got {argument!r}")
        renames.append((old, new))
    return renames


def rename(answers: dict[str, object], renames: list[tuple[str, str]]) -> list[str]:
    """Apply the renames in place; return a line per change for the log."""
    changes = []
    for old, new in renames:
        if old not in answers:
            continue
        value = answers.pop(old)
        if new in answers:
            changes.append(f"dropped {old} (the project already answers {new})")
        else:
            answers[new] = value
            changes.append(f"renamed answer {old} -> {new}")
    return changes


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[0])
    if not path.is_file():
        raise SystemExit(f"rename_answers: no answers file at {path.resolve()}")
    answers = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    changes = rename(answers, parse_renames(argv[1:]))
    if changes:
        path.write_text(
            HEADER + yaml.safe_dump(answers, sort_keys=True, allow_unicode=True),
            encoding="utf-8",
        )
    for change in changes:
        print(f"{path}: {change}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

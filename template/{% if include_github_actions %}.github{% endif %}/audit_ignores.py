"""Turn .github/audit-ignore.toml into pip-audit ``--ignore-vuln`` arguments.

Prints ``--ignore-vuln ID`` pairs on stdout for every accepted advisory that has not
expired. Exits 1 when an entry's expiry date has passed (an accepted risk must be
looked at again, not forgotten) and 2 when the file is malformed; both name the entry
and what to fix. Standard library only: CI runs it before any dependency is installed.
"""

from __future__ import annotations

import datetime as dt
import sys
import tomllib
from pathlib import Path

FIELDS = ("id", "reason", "expires")


class IgnoreFileError(Exception):
    """The ignore file cannot be used as written."""


class ExpiredEntryError(IgnoreFileError):
    """An accepted advisory is past its expiry date."""


def accepted_ids(path: Path, today: dt.date) -> list[str]:
    """Advisory ids to ignore; raises IgnoreFileError naming the entry to fix."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except tomllib.TOMLDecodeError as error:
        raise IgnoreFileError(f"{path}: not valid TOML ({error})") from None
    entries = document.get("ignore", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise IgnoreFileError(f"{path}: write each advisory as an [[ignore]] table")
    ids: list[str] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: [[ignore]] entry {number}"
        missing = [field for field in FIELDS if not str(entry.get(field, "")).strip()]
        if missing:
            raise IgnoreFileError(f"{where} needs {', '.join(missing)} (see the file's header)")
        unknown = sorted(set(entry) - set(FIELDS))
        if unknown:
            raise IgnoreFileError(f"{where} has unknown keys {unknown}; allowed: {FIELDS}")
        advisory, expires = str(entry["id"]).strip(), entry["expires"]
        if len(advisory.split()) != 1:
            raise IgnoreFileError(
                f"{where}: id {advisory!r} must be one word, e.g. GHSA-xxxx-xxxx-xxxx"
            )
        if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
            raise IgnoreFileError(f"{where} ({advisory}): expires must be a date like 2026-12-31")
        if expires < today:
            raise ExpiredEntryError(
                f"{where} ({advisory}) expired on {expires.isoformat()}: check whether a fixed "
                "release exists, then upgrade and remove the entry, or renew it with a new date"
            )
        if advisory in ids:
            raise IgnoreFileError(f"{where}: {advisory} is listed twice")
        ids.append(advisory)
    return ids


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else ".github/audit-ignore.toml")
    try:
        ids = accepted_ids(path, dt.datetime.now(tz=dt.UTC).date())
    except ExpiredEntryError as error:
        print(f"audit ignore list: {error}", file=sys.stderr)
        return 1
    except IgnoreFileError as error:
        print(f"audit ignore list: {error}", file=sys.stderr)
        return 2
    for advisory in ids:
        print(f"--ignore-vuln {advisory}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""docs/quality.md from a mutation run: scores per group and backend, every survivor with
its diff, and the equivalent mutants with the reason they cannot be killed."""

from __future__ import annotations

import json
import os
import platform
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from scripts.mutation_equivalent import EQUIVALENT
from scripts.mutation_groups import PER_TEST_TIMEOUT, module_of
from scripts.mutation_survivors import sensitive_survivors, survivors, untested_anywhere

RESULTS_DIR = Path(__file__).resolve().parents[1] / "build" / "mutation"


@dataclass
class GroupResult:
    group: str
    backend: str
    modules: tuple[str, ...]
    tests: tuple[str, ...]
    statuses: dict[str, str]
    diffs: dict[str, str]
    seconds: float

    def counts(self) -> Counter[str]:
        return Counter(
            "equivalent" if name in EQUIVALENT and status == "survived" else status
            for name, status in self.statuses.items()
        )

    def score(self) -> float:
        counts = self.counts()
        # "no tests": no selected test runs the function on this backend (mostly another
        # backend's code, e.g. backends/mysql.py); listed, and checked across backends.
        considered = counts["killed"] + counts["survived"] + counts["timeout"]
        killed = counts["killed"] + counts["timeout"]  # a hang is a failing test
        return 100.0 * killed / considered if considered else 100.0

    def summary(self) -> str:
        counts = self.counts()
        detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        return f"{self.score():.1f} % killed ({detail}) in {self.seconds / 60:.1f} min"


class ResultStore:
    """Each group's latest result (and the plants'), as JSON files, with its command."""

    def __init__(self, directory: Path, *, fresh: bool = False) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        if fresh:
            for old in directory.glob("*.json"):
                old.unlink()

    def save(self, result: GroupResult, command: str, backend: str) -> None:
        payload = {**asdict(result), "command": command, "date": time.strftime("%Y-%m-%d")}
        (self.directory / f"{result.group}@{backend}.json").write_text(json.dumps(payload))

    def save_plants(self, plants: list[dict[str, str]], command: str) -> None:
        (self.directory / "plants.json").write_text(
            json.dumps({"plants": plants, "command": command})
        )

    def write(self, output: Path) -> None:
        results, commands = [], []
        for path in sorted(self.directory.glob("*@*.json")):
            data = json.loads(path.read_text())
            commands.append(f"{data.pop('command')}  # {data['group']} on {data['backend']}")
            data.pop("date")
            data["modules"], data["tests"] = tuple(data["modules"]), tuple(data["tests"])
            results.append(GroupResult(**data))
        plants_file = self.directory / "plants.json"
        plants: list[dict[str, str]] = []
        if plants_file.exists():
            data = json.loads(plants_file.read_text())
            plants = data["plants"]
            commands.append(f"{data['command']}  # planted SQL bugs")
        seconds = sum(result.seconds for result in results)
        write_report(output, results, plants, "\n".join(dict.fromkeys(commands)), seconds)


def write_report(
    output: Path,
    results: list[GroupResult],
    plants: list[dict[str, str]],
    command: str,
    seconds: float,
) -> None:
    lines = [
        "# Quality: mutation testing",
        "",
        "Is the suite able to fail? `make mutation` plants small bugs (mutants) in the "
        "security- and memory-critical modules of a rendered default project and runs the "
        "tests that cover each module: a mutant no test notices *survived*. Every surviving "
        "mutant in authentication or tenant scoping is a bug in the suite and gets a test.",
        "",
        "mutmut mutates code inside functions only; the memory store's SQL is built at "
        "import (`memory/statements.py`), so its tenant conditions, locks and SQLite "
        "specifics are planted by hand (`scripts/mutation_plants.py`), one per copy of "
        "the project, several copies side by side.",
        "",
        "A mutant killed on any backend counts as killed. So each group runs first on "
        "SQLite, and PostgreSQL then re-checks only the mutants SQLite did not kill, in the "
        "modules whose code differs there (its rows say how many). A mutant that makes a "
        f"test hang is killed: pytest-timeout fails a test after {PER_TEST_TIMEOUT} s (the "
        "slowest takes about 5 s), and mutmut stops a run after 3x its tests' time plus "
        "10 s.",
        "",
        "Produced by (each group's latest run; a group can be re-run alone with "
        "`--reuse --groups NAME`):",
        "",
        "<!-- not-run: renders a project and runs mutmut for about half an hour -->",
        "```bash",
        command,
        "```",
        "",
        f"Run on {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{_cpus()} cores (shared with other jobs), {seconds / 60:.1f} minutes of mutmut.",
        "",
        "## Scores (mutmut)",
        "",
        "| group | modules | backend | mutants | killed | survived | no tests | equivalent "
        "| score | minutes |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in [*results, *combined(results)]:
        counts = result.counts()
        lines.append(
            f"| {result.group} | {', '.join(result.modules)} | {result.backend} | "
            f"{len(result.statuses)} | {counts['killed'] + counts['timeout']} | "
            f"{counts['survived']} | {counts['no tests']} | {counts['equivalent']} | "
            f"{result.score():.1f} % | {result.seconds / 60:.1f} |"
        )
    lines += [
        "",
        "Per module (killed / killed + survived, equivalent mutants left out):",
        "",
        "| module | backend | killed | survived | no tests | score |",
        "|---|---|---|---|---|---|",
    ]
    for result in [*results, *combined(results)]:
        for module, part in sorted(by_module(result).items()):
            counts = part.counts()
            lines.append(
                f"| {module} | {result.backend} | {counts['killed'] + counts['timeout']} | "
                f"{counts['survived']} | {counts['no tests']} | {part.score():.1f} % |"
            )
    lines += ["", "Tests per group:", ""]
    seen = set()
    for result in results:
        if result.group not in seen:
            seen.add(result.group)
            lines.append(f"- {result.group}: {', '.join(result.tests)}")
    lines += [
        "",
        "## Planted SQL bugs",
        "",
        "| bug | backend | result | tests |",
        "|---|---|---|---|",
    ]
    lines += [f"| {p['what']} | {p['backend']} | {p['status']} | {p['tests']} |" for p in plants]
    lines += ["", "## Equivalent mutants", ""]
    equivalent = [
        (name, reason)
        for name, reason in EQUIVALENT.items()
        if any(r.statuses.get(name) == "survived" for r in results)
    ]
    lines += [f"- `{name}`: {reason}" for name, reason in equivalent] or ["None listed."]
    lines += [
        "",
        "## Surviving mutants",
        "",
        "What remains is listed per group and backend, with its diff. MySQL/MariaDB "
        "branches (the aiomysql cursor calls, the MySQL backend's choice) only a MariaDB "
        "run can kill, and `make mutation` runs SQLite and PostgreSQL. "
        + sensitive_survivors(results),
        "",
    ]
    for result in results:
        kept = survivors(result)
        lines += [f"### {result.group} on {result.backend}: {len(kept)}", ""]
        for name, diff in kept.items():
            lines += [f"`{name}`", "", "```diff", diff, "```", ""]
    lines += untested_anywhere(results)
    output.write_text("\n".join(lines).rstrip() + "\n")


def by_module(result: GroupResult) -> dict[str, GroupResult]:
    """The result split by module (mutmut names start with the dotted module path)."""
    parts: dict[str, dict[str, str]] = {}
    for name, status in result.statuses.items():
        parts.setdefault(module_of(name), {})[name] = status
    return {
        module: GroupResult(result.group, result.backend, (module,), result.tests, statuses, {}, 0)
        for module, statuses in parts.items()
    }


def combined(results: list[GroupResult]) -> list[GroupResult]:
    """Per group run on several backends: a mutant counts as killed when any backend's
    tests kill it (backend-specific code is only run, and only killable, on its own)."""
    rank = {"killed": 0, "timeout": 1, "survived": 2, "no tests": 3}
    by_group: dict[str, list[GroupResult]] = {}
    for result in results:
        by_group.setdefault(result.group, []).append(result)
    merged = []
    for group, runs in by_group.items():
        if len(runs) < 2:
            continue
        statuses: dict[str, str] = {}
        for run in runs:
            for name, status in run.statuses.items():
                known = statuses.get(name)
                if known is None or rank.get(status, 4) < rank.get(known, 4):
                    statuses[name] = status
        backends = " + ".join(run.backend for run in runs)
        seconds = sum(run.seconds for run in runs)
        merged.append(
            GroupResult(
                group,
                f"{backends} (either kills)",
                tuple(dict.fromkeys(module for run in runs for module in run.modules)),
                runs[0].tests,
                statuses,
                {},
                seconds,
            )
        )
    return merged


def _cpus() -> int:
    return os.cpu_count() or 1

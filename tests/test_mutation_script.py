"""`make mutation` stays runnable without running it: its groups, plants, options and
report are checked against the template (cheap; the run itself takes ~30 minutes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts.mutation import GROUPS, PACKAGE, mutmut_config, parse_args, still_to_check
from scripts.mutation_equivalent import EQUIVALENT
from scripts.mutation_groups import PER_TEST_TIMEOUT
from scripts.mutation_plants import PLANTS
from scripts.mutation_report import GroupResult, ResultStore, write_report
from scripts.mutation_survivors import sensitive_survivors
from tests.helpers import REPO_ROOT

TEMPLATE = REPO_ROOT / "template"
PACKAGE_DIR = TEMPLATE / "src" / "{{package_name}}"


def template_file(path: str) -> Path:
    """The template file a rendered path comes from (``x.py`` -> ``x.py.jinja``)."""
    candidate = PACKAGE_DIR / path
    return candidate if candidate.exists() else candidate.with_name(candidate.name + ".jinja")


def test_defaults_cover_both_backends_and_every_group() -> None:
    args = parse_args([])
    assert args.backends.split(",") == ["sqlite", "postgresql"]
    assert (
        args.groups.split(",")
        == list(GROUPS)
        == ["auth", "memory", "health", "urls", "limits+security"]
    )
    assert args.output == REPO_ROOT / "docs" / "quality.md"


@pytest.mark.parametrize("option", ["--groups=memory,nope", "--backends=oracle"])
def test_unknown_groups_and_backends_are_refused_by_name(
    option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse_args([option])
    assert "choose from" in capsys.readouterr().err


@pytest.mark.parametrize("name", list(GROUPS))
def test_every_group_names_modules_and_tests_that_exist(name: str) -> None:
    group = GROUPS[name]
    for module in group.modules:
        if module.endswith("*"):
            assert list((PACKAGE_DIR / module.rstrip("/*")).glob("*.py*")), module
        else:
            assert template_file(module).is_file(), module
    for test in group.tests:
        assert (TEMPLATE / "tests" / f"{test}.jinja").is_file(), test
    config = mutmut_config(group)
    assert f'"src/{PACKAGE}/{group.modules[0]}"' in config
    assert '"alembic.ini"' in config


def test_a_hung_test_is_a_failure_within_the_per_test_limit() -> None:
    config = mutmut_config(GROUPS["memory"])
    assert f'"--timeout", "{PER_TEST_TIMEOUT}", "--timeout-method", "thread"' in config
    assert '"pytest-timeout>=' in (TEMPLATE / "pyproject.toml.jinja").read_text()


@pytest.mark.parametrize("plant", PLANTS, ids=lambda plant: plant.name)
def test_every_planted_bug_still_matches_the_template_once(plant) -> None:
    source = template_file(plant.file.removeprefix(f"src/{PACKAGE}/")).read_text()
    assert source.count(plant.old) == 1, f"{plant.name}: update scripts/mutation_plants.py"
    for test in plant.tests:
        assert (TEMPLATE / f"{test}.jinja").is_file(), test


def test_postgresql_mutates_again_only_the_memory_code_that_differs_there() -> None:
    memory = GROUPS["memory"]
    sqlite, postgresql = mutmut_config(memory, "sqlite"), mutmut_config(memory, "postgresql")
    assert f'only_mutate = ["src/{PACKAGE}/memory/*"]' in sqlite
    assert (
        f'only_mutate = ["src/{PACKAGE}/memory/backends/postgresql.py", '
        f'"src/{PACKAGE}/memory/backends/__init__.py", '
        f'"src/{PACKAGE}/memory/executors.py"]'
    ) in postgresql
    for module in memory.modules_for("postgresql"):
        assert template_file(module).is_file(), module
    # Groups without an override mutate the same modules everywhere.
    assert GROUPS["health"].modules_for("postgresql") == GROUPS["health"].modules


def test_a_second_backend_re_checks_only_what_the_first_did_not_kill_in_its_modules() -> None:
    not_killed = {
        f"{PACKAGE}.memory.backends.x_choose_backend__mutmut_19",  # backends/__init__.py
        f"{PACKAGE}.memory.executors.xǁDriverExecutorǁrows__mutmut_6",
        f"{PACKAGE}.memory.backends.mysql.xǁMySQLBackendǁappend__mutmut_1",  # not mutated
        f"{PACKAGE}.memory.store.xǁSessionStoreǁread_items__mutmut_30",  # not mutated
    }
    assert still_to_check(GROUPS["memory"], "postgresql", not_killed) == [
        f"{PACKAGE}.memory.backends.x_choose_backend__mutmut_19",
        f"{PACKAGE}.memory.executors.xǁDriverExecutorǁrows__mutmut_6",
    ]
    health = {f"{PACKAGE}.db.migrations.x_find_alembic_ini__mutmut_2"}
    assert still_to_check(GROUPS["health"], "postgresql", health) == sorted(health)


def test_the_report_counts_equivalent_mutants_apart(tmp_path: Path) -> None:
    statuses = {"a": "killed", "b": "survived", "c": "killed", "d": "no tests"}
    EQUIVALENT["d-equivalent"] = "for this test"
    try:
        statuses["d-equivalent"] = "survived"
        result = GroupResult("g", "sqlite", ("m.py",), ("t.py",), statuses, {"b": "-x\n+y"}, 60)
        # 2 killed of 3 run: the equivalent one and the one no test runs are left out.
        assert round(result.score(), 1) == 66.7
        output = tmp_path / "quality.md"
        write_report(output, [result], [], "uv run python -m scripts.mutation", 120)
    finally:
        del EQUIVALENT["d-equivalent"]
    text = output.read_text()
    assert "| g | m.py | sqlite | 5 | 2 | 1 | 1 | 1 | 66.7 % | 1.0 |" in text
    assert "`d-equivalent`: for this test" in text
    assert "-x\n+y" in text


def test_make_mutation_and_the_docs_page_are_wired() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(
        r"^mutation: install\n\t\$\(UV\) run python -m scripts\.mutation$", makefile, re.M
    )
    assert "quality.md" in (REPO_ROOT / "mkdocs.yml").read_text()
    page = (REPO_ROOT / "docs" / "quality.md").read_text()
    assert "uv run python -m scripts.mutation" in page
    assert "## Scores (mutmut)" in page


def test_a_group_run_alone_replaces_only_its_own_rows(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "results")
    for group, killed in (("auth", "killed"), ("memory", "survived")):
        result = GroupResult(group, "sqlite", ("m.py",), ("t.py",), {"x": killed}, {}, 30)
        store.save(result, f"uv run python -m scripts.mutation --groups {group}", "sqlite")
    store.save(
        GroupResult("auth", "sqlite", ("m.py",), ("t.py",), {"x": "survived"}, {}, 30),
        "rerun",
        "sqlite",
    )
    output = tmp_path / "quality.md"
    store.write(output)
    text = output.read_text()
    assert "| auth | m.py | sqlite | 1 | 0 | 1 |" in text  # the re-run's result
    assert "| memory | m.py | sqlite | 1 | 0 | 1 |" in text
    assert "rerun  # auth on sqlite" in text


def test_the_report_counts_survivors_in_owner_conditions_rather_than_assuming_none() -> None:
    owner_diff = (
        "--- a/s.py\n+++ b/s.py\n-    .where(_sessions.owner == OWNER)\n+    .where(true())"
    )
    other_diff = (
        "--- a/owner.py\n+++ b/owner.py\n     owner = caller\n-    limit = 50\n+    limit = 51"
    )
    statuses = {"p.m.x_a__mutmut_1": "survived", "p.m.x_b__mutmut_1": "survived"}
    diffs = {"p.m.x_a__mutmut_1": owner_diff, "p.m.x_b__mutmut_1": other_diff}
    memory = GroupResult("memory", "sqlite", ("m.py",), ("t.py",), statuses, diffs, 60)
    assert sensitive_survivors([memory]) == (
        "1 touch authentication or an owner condition: p.m.x_a__mutmut_1."
    )
    del diffs["p.m.x_a__mutmut_1"]
    assert sensitive_survivors([memory]).startswith("None is in authentication")
    auth = GroupResult("auth", "sqlite", ("a.py",), ("t.py",), statuses, diffs, 60)
    assert "p.m.x_b__mutmut_1" in sensitive_survivors([auth])

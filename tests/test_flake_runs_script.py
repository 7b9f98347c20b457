"""The flake-budget script stays runnable without its hours of runs: its options, the
server each backend's suite reaches, and how it reads a real pytest run's verdict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scripts.flake_runs import ANSWERS, outcome, parse_args, suite_environment
from tests.helpers import REPO_ROOT


def test_every_backend_renders_a_real_database_answer() -> None:
    copier = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())
    choices = set(copier["database_backend"]["choices"].values())
    assert set(ANSWERS.values()) == choices


def test_servers_come_from_the_given_urls_with_their_passwords() -> None:
    urls = ["--postgres-url=postgresql://u:pw@localhost:5432/db"]
    urls += ["--mysql-url=mysql://root:secret@127.0.0.1:3307/mysql"]
    sqlite = suite_environment(parse_args(["--backend=sqlite", *urls]))
    postgres = suite_environment(parse_args(["--backend=postgresql", *urls]))
    mariadb = suite_environment(parse_args(["--backend=mariadb", *urls]))
    assert "TEST_DATABASE_URL" not in sqlite
    assert postgres["TEST_DATABASE_URL"] == "postgresql://u:pw@localhost:5432/db"
    assert mariadb["TEST_DATABASE_URL"] == "mysql+aiomysql://root:secret@127.0.0.1:3307/mysql"
    assert sqlite["TEST_OTEL"] == postgres["TEST_OTEL"] == mariadb["TEST_OTEL"] == "required"


@pytest.mark.parametrize("option", ["--backend=oracle", "--runs=0"])
def test_bad_options_are_refused(option: str) -> None:
    extra = [] if option.startswith("--backend") else ["--backend=sqlite"]
    with pytest.raises(SystemExit):
        parse_args([option, *extra])


def test_a_real_failing_run_is_read_as_failed_with_its_node_id(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(
        "def test_fine():\n    pass\n\n\ndef test_broken():\n    assert 1 == 2\n"
    )
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    verdict = outcome(completed.stdout, completed.returncode)
    assert verdict["ok"] is False
    assert verdict["failed"] == ["test_sample.py::test_broken"]
    assert "1 failed, 1 passed" in str(verdict["summary"])

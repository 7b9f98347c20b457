"""Security properties of the rendered container files (no Docker engine: parsed, not run).

The image must run as an unprivileged user that can write only the data directory,
so it works with a read-only root filesystem; the compose stack must configure
authentication instead of switching it off.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import render
from tests.test_docker_and_ci_files import dockerfile_instructions, final_stage

ANSWERS = {"project_name": "Support Desk", "env_prefix": "DESK"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("security") / "project", **ANSWERS)


def test_image_runs_unprivileged_with_only_the_data_directory_writable(project: Path) -> None:
    runtime = final_stage(dockerfile_instructions(project / "Dockerfile"))
    users = [arguments for keyword, arguments in runtime if keyword == "USER"]
    assert users, "the runtime stage must switch to an unprivileged user"
    user, _, group = users[-1].partition(":")
    # Numeric, so Kubernetes runAsNonRoot can check it without /etc/passwd.
    assert user.isdigit() and int(user) != 0 and group.isdigit() and int(group) != 0

    keywords = [keyword for keyword, _ in runtime]
    last_user = len(keywords) - 1 - keywords[::-1].index("USER")
    # Nothing runs as root after the switch, and nothing is installed for the user.
    assert "RUN" not in keywords[last_user:]
    runs = " ".join(arguments for keyword, arguments in runtime if keyword == "RUN")
    chowned = re.findall(r"chown\s+(?:-\S+\s+)*\S+\s+(\S+)", runs)
    assert chowned == ["/app/data"]
    assert not re.search(
        r"chmod\s+(?:-\S+\s+)*(?:[0-7]?7[0-7][0-7]|[0-7]?[0-7][0-7][2367]|a\+w|o\+w)", runs
    )
    # Application files are copied root-owned: readable, not writable, by the service user.
    for keyword, arguments in runtime:
        if keyword in ("COPY", "ADD"):
            assert "--chown" not in arguments, arguments
            assert not re.search(r"--chmod=0?[0-7][0-7][2367]\b", arguments), arguments
    volumes = [arguments for keyword, arguments in runtime if keyword == "VOLUME"]
    assert volumes == ['["/app/data"]']
    environment = " ".join(arguments for keyword, arguments in runtime if keyword == "ENV")
    assert "DESK_DATABASE_SQLITE_PATH=/app/data/" in environment
    # Bytecode is compiled at build time; the runtime never writes .pyc files.
    assert "PYTHONDONTWRITEBYTECODE=1" in environment


def test_compose_runs_read_only_and_authenticated(project: Path) -> None:
    compose: dict[str, Any] = yaml.safe_load((project / "compose.yaml").read_text())
    app = compose["services"]["app"]
    assert app["read_only"] is True
    assert [volume.split(":")[1] for volume in app["volumes"]] == ["/app/data"]
    assert set(app.get("tmpfs", [])) <= {"/tmp"}  # noqa: S108 - a tmpfs mount in the container
    environment = app["environment"]
    assert environment["DESK_API_KEYS"].startswith("${DESK_API_KEYS:-")
    assert "DESK_AUTH_DISABLED" not in environment
    # Published on the loopback interface only: the default key is for local use.
    assert all(str(port).startswith("127.0.0.1:") for port in app["ports"])

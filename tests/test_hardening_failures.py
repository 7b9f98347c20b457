"""Databases that fail under a running service: SIGKILL on SQLite, a PostgreSQL restart.

The rendered service runs as a real server process (``<slug> serve``: uvicorn) under
an HTTP write load from this test. Every write the API acknowledged (201) is
recorded, and afterwards looked up in the database with a separate client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.helpers import Project, clean_environment, render
from tests.servers import PrivatePostgres, free_port, private_postgres

pytestmark = [pytest.mark.xdist_group("hardening")]

WRITERS = 16
# A generous safety net for any one request: a request that takes this long counts
# as hung, which is exactly what must never happen.
REQUEST_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = Project(render(tmp_path_factory.mktemp("failures") / "service"))
    project.sync()
    return project


def service_env(**values: str) -> dict[str, str]:
    return {"APP_AUTH_DISABLED": "true", "APP_LOG_LEVEL": "WARNING", **values}


def cli(project: Project) -> str:
    return str(project.path / ".venv" / "bin" / "agent-service")


@contextlib.contextmanager
def serving(project: Project, env: dict[str, str], log: Path) -> Iterator[ServiceProcess]:
    port = free_port()
    with log.open("w") as output:
        process = subprocess.Popen(
            [cli(project), "serve", "--port", str(port)],
            cwd=project.path,
            env=clean_environment(env),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    service = ServiceProcess(process, f"http://127.0.0.1:{port}", log)
    try:
        service.wait_until_healthy()
        yield service
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(15)


@dataclass
class ServiceProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"the service did not come up:\n{self.log.read_text()}")


@dataclass
class WriteLoad:
    """Writers appending uniquely labelled items until told to stop."""

    base_url: str
    # Keeps the labels of several loads on one database apart.
    prefix: str = "load"
    acknowledged: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    # (monotonic time the request finished, status) of every request, in order.
    timeline: list[tuple[float, str]] = field(default_factory=list)
    slowest_failure: float = 0.0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def writer(self, client: httpx.AsyncClient, number: int) -> None:
        sent = 0
        while not self.stop.is_set():
            label = f"{self.prefix}-writer{number}-item{sent}"
            sent += 1
            started = time.monotonic()
            try:
                response = await client.post(
                    f"/sessions/load-{number}/items",
                    json={"items": [{"role": "user", "content": label}]},
                )
                status = str(response.status_code)
                if response.status_code == 201:
                    self.acknowledged.append(label)
                elif response.status_code == 503:
                    body = response.json()
                    assert body["detail"] == "database unavailable", body
                    assert int(response.headers["Retry-After"]) > 0
            except httpx.TimeoutException:
                status = "client timeout"
            except httpx.TransportError:
                status = "connection error"  # the server process is gone
                await asyncio.sleep(0.05)
            finished = time.monotonic()
            if status != "201":
                self.slowest_failure = max(self.slowest_failure, finished - started)
            self.statuses[status] += 1
            self.timeline.append((finished, status))

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=REQUEST_TIMEOUT) as client:
            await asyncio.gather(*(self.writer(client, number) for number in range(WRITERS)))

    async def until_acknowledged(self, count: int, bound: float = 60.0) -> None:
        deadline = time.monotonic() + bound
        while len(self.acknowledged) < count:
            assert time.monotonic() < deadline, f"only {len(self.acknowledged)} writes in {bound}s"
            await asyncio.sleep(0.02)


def stored_labels(rows: list[tuple[str]]) -> set[str]:
    return {json.loads(data)["content"] for (data,) in rows}


# --- SQLite: SIGKILL in the middle of a write load ---------------------------------


def test_sigkill_under_write_load_loses_no_acknowledged_write(
    project: Project, tmp_path: Path
) -> None:
    database = tmp_path / "data" / "service.db"
    env = service_env(APP_DATABASE_BACKEND="sqlite", APP_DATABASE_SQLITE_PATH=str(database))
    project.run(cli(project), "migrate", env=env)
    acknowledged: list[str] = []
    kills = 3

    for round_ in range(kills):
        with serving(project, env, tmp_path / f"serve-{round_}.log") as service:
            load = WriteLoad(service.base_url, prefix=f"round{round_}")

            async def kill_mid_load(
                load: WriteLoad = load, service: ServiceProcess = service
            ) -> None:
                writers = asyncio.create_task(load.run())
                await load.until_acknowledged(150)
                os.kill(service.process.pid, signal.SIGKILL)  # no shutdown, no final commit
                await asyncio.sleep(0.3)
                load.stop.set()
                await writers

            asyncio.run(kill_mid_load())
            assert service.process.wait(10) == -signal.SIGKILL
            acknowledged.extend(load.acknowledged)
            assert set(load.statuses) <= {"201", "connection error"}, load.statuses

        with sqlite3.connect(database) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            found = stored_labels(
                connection.execute("SELECT message_data FROM agent_messages").fetchall()
            )
        missing = set(acknowledged) - found
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {sorted(missing)[:3]}"

    print(
        f"SQLite, {kills} SIGKILLs under {WRITERS} writers: {len(acknowledged)} writes "
        f"acknowledged, {len(found)} found (every acknowledged one), integrity_check ok"
    )


# --- PostgreSQL: the server restarts under load ------------------------------------


@pytest.fixture
def private_server(postgres_bin: Path) -> Iterator[PrivatePostgres]:
    with private_postgres(postgres_bin) as server:
        server.execute("CREATE DATABASE service")
        yield server


@pytest.mark.postgres
def test_postgres_restart_under_load_fails_fast_and_recovers(
    project: Project, private_server: PrivatePostgres, tmp_path: Path
) -> None:
    env = service_env(
        APP_DATABASE_URL=private_server.url("service", "postgresql+asyncpg"),
        APP_DATABASE_CONNECT_TIMEOUT_SECONDS="2",
        APP_READINESS_TIMEOUT_SECONDS="2",
    )
    project.run(cli(project), "migrate", env=env)
    outage_seconds = 2.0

    with serving(project, env, tmp_path / "serve.log") as service:
        load = WriteLoad(service.base_url)
        readiness: list[tuple[float, int]] = []

        async def probe_readiness(stop: asyncio.Event) -> None:
            async with httpx.AsyncClient(base_url=service.base_url, timeout=REQUEST_TIMEOUT) as c:
                while not stop.is_set():
                    readiness.append((time.monotonic(), (await c.get("/readyz")).status_code))
                    await asyncio.sleep(0.1)

        async def restart_mid_load() -> tuple[float, float, float]:
            writers = asyncio.create_task(load.run())
            probe_stop = asyncio.Event()
            probe = asyncio.create_task(probe_readiness(probe_stop))
            await load.until_acknowledged(200)
            down = time.monotonic()
            await asyncio.to_thread(private_server.stop, "fast")
            await asyncio.sleep(outage_seconds)
            await asyncio.to_thread(private_server.start)
            up = time.monotonic()
            # Recovery: the first acknowledged write after the server is back.
            acknowledged_at_restart = len(load.acknowledged)
            await load.until_acknowledged(acknowledged_at_restart + 1, bound=60)
            recovered = time.monotonic()
            await load.until_acknowledged(len(load.acknowledged) + 200)
            load.stop.set()
            probe_stop.set()
            await asyncio.gather(writers, probe)
            return down, up, recovered

        down, up, recovered = asyncio.run(restart_mid_load())

    assert set(load.statuses) <= {"201", "503"}, load.statuses  # no 500, no hang
    assert load.statuses["503"] > 0, "no request met the outage: the test proved nothing"
    assert any(status == 503 for at, status in readiness if down <= at <= up)
    assert readiness[-1][1] == 200
    failures_after_recovery = [s for at, s in load.timeline if at > recovered and s != "201"]
    assert failures_after_recovery == []

    found = stored_labels(
        private_server.execute("SELECT message_data FROM agent_messages", database="service")  # type: ignore[arg-type]
    )
    missing = set(load.acknowledged) - found
    assert not missing, f"{len(missing)} acknowledged writes lost"
    print(
        f"PostgreSQL restart ({outage_seconds:g}s down) under {WRITERS} writers: "
        f"{load.statuses['503']} requests answered 503 (slowest failure "
        f"{load.slowest_failure:.2f}s), recovered {recovered - up:.2f}s after the server "
        f"was back; {len(load.acknowledged)} writes acknowledged, all {len(found)} found"
    )


def test_entrypoint_serve_refuses_to_start_without_its_database(
    project: Project, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there
    password = "Entry-Pw-4Zr"  # noqa: S105 (must never appear in the output)
    env = service_env(
        APP_DATABASE_URL=f"postgresql://svc:{password}@127.0.0.1:{port}/svc",
        APP_DATABASE_CONNECT_TIMEOUT_SECONDS="1",
        RUN_DB_MIGRATIONS="false",
        PATH=f"{project.path / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
    )
    result = project.run(
        "sh", "docker/entrypoint.sh", "agent-service", "serve", "--port", str(free_port()),
        env=env, check=False, timeout=60,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Uvicorn running" not in output
    assert f"127.0.0.1:{port}" in output and "APP_DATABASE_URL" in output, output
    assert password not in output

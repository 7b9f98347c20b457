"""Servers the hardening tests start, stop and break themselves.

* :class:`PrivatePostgres`: a throw-away PostgreSQL cluster (initdb into a temporary
  folder, a free port). Tests restart it at will; the shared server on 5432 is never
  touched.
* :class:`PgBouncer`: a PgBouncer in front of any PostgreSQL, with a wildcard database
  entry so databases created after it started are reachable through it.

Both refuse to run as root, so when the tests run as root (CI, containers) the
servers run as the ``postgres`` system user, in folders that user owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

SERVER_USER = "postgres"
PASSWORD = "hardening-secret-7Qx"  # noqa: S105 (a throw-away test cluster)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def _as_server_user() -> dict[str, Any]:
    """Popen arguments that drop root to the postgres user (nothing when not root)."""
    if os.geteuid() != 0:
        return {}
    return {"user": SERVER_USER, "group": SERVER_USER, "extra_groups": []}


def _server_owned_tempdir(prefix: str) -> Path:
    # Not under pytest's tmp_path: that is private to root (0700), and the servers
    # run as another user.
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        entry = pwd.getpwnam(SERVER_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    path.chmod(0o700)
    return path


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        **_as_server_user(),
        **kwargs,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of its own, on a free port, that a test may stop and restart."""

    bin_dir: Path
    root: Path = field(default_factory=lambda: _server_owned_tempdir("chassis-pg-"))
    port: int = field(default_factory=free_port)
    user: str = "postgres"
    password: str = PASSWORD

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = "postgres", driver: str = "postgresql") -> str:
        return f"{driver}://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        password_file = self.root / "pwfile"
        password_file.write_text(self.password + "\n")
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(password_file, entry.pw_uid, entry.pw_gid)
        _run(
            [
                str(self.bin_dir / "initdb"),
                "--pgdata",
                str(self.data),
                "--username",
                self.user,
                "--pwfile",
                str(password_file),
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "--no-sync",
                "--encoding=UTF8",
            ]
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c max_connections=100"
        )
        _run(
            [
                str(self.bin_dir / "pg_ctl"),
                "--pgdata",
                str(self.data),
                "--log",
                str(self.log),
                "--options",
                options,
                "--wait",
                "start",
            ]
        )

    def stop(self, mode: str = "fast") -> None:
        _run([str(self.bin_dir / "pg_ctl"), "--pgdata", str(self.data), "-m", mode, "-w", "stop"])

    def is_running(self) -> bool:
        result = subprocess.run(
            [str(self.bin_dir / "pg_ctl"), "--pgdata", str(self.data), "status"],
            capture_output=True,
            check=False,
            **_as_server_user(),
        )
        return result.returncode == 0

    def execute(self, sql: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def cleanup(self) -> None:
        if self.data.exists() and self.is_running():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def private_postgres(bin_dir: Path) -> Iterator[PrivatePostgres]:
    server = PrivatePostgres(bin_dir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.cleanup()


@dataclass
class PgBouncer:
    """PgBouncer in transaction mode in front of a PostgreSQL server."""

    binary: str
    server_host: str
    server_port: int
    user: str
    password: str
    pool_size: int = 2
    root: Path = field(default_factory=lambda: _server_owned_tempdir("chassis-pgbouncer-"))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None

    def url(self, database: str = "postgres", driver: str = "postgresql") -> str:
        return f"{driver}://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        (self.root / "userlist.txt").write_text(f'"{self.user}" "{self.password}"\n')
        (self.root / "pgbouncer.ini").write_text(
            "\n".join(
                [
                    "[databases]",
                    # The wildcard lets tests reach databases created after start-up.
                    f"* = host={self.server_host} port={self.server_port}",
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    f"listen_port = {self.port}",
                    f"unix_socket_dir = {self.root}",
                    "auth_type = scram-sha-256",
                    f"auth_file = {self.root / 'userlist.txt'}",
                    # Roles created by tests log in too: their SCRAM secrets are looked
                    # up on the server and passed through.
                    f"auth_user = {self.user}",
                    "auth_query = SELECT usename, passwd FROM pg_shadow WHERE usename = $1",
                    "pool_mode = transaction",
                    f"default_pool_size = {self.pool_size}",
                    "min_pool_size = 0",
                    "reserve_pool_size = 0",
                    "max_client_conn = 500",
                    "max_db_connections = 0",
                    "server_reset_query =",
                    "ignore_startup_parameters = extra_float_digits,options",
                    f"logfile = {self.root / 'pgbouncer.log'}",
                    f"pidfile = {self.root / 'pgbouncer.pid'}",
                    "",
                ]
            )
        )
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVER_USER)
            for name in ("userlist.txt", "pgbouncer.ini"):
                os.chown(self.root / name, entry.pw_uid, entry.pw_gid)
        self.process = subprocess.Popen(
            [self.binary, str(self.root / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
            **_as_server_user(),
        )
        wait_for_port(self.port)

    def log_text(self) -> str:
        path = self.root / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def pgbouncer(binary: str, server_url: str, pool_size: int = 2) -> Iterator[PgBouncer]:
    """A PgBouncer in transaction mode in front of the server at ``server_url``."""
    from sqlalchemy.engine import make_url

    server = make_url(server_url)
    bouncer = PgBouncer(
        binary=binary,
        server_host=server.host or "127.0.0.1",
        server_port=server.port or 5432,
        user=server.username or "postgres",
        password=server.password or "",  # type: ignore[arg-type]
        pool_size=pool_size,
    )
    try:
        bouncer.start()
        yield bouncer
    finally:
        bouncer.stop()

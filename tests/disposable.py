"""Disposable PostgreSQL and Redis servers for fault-injection tests (tests/test_faults.py,
tests/test_outage_live.py): each started on a spare loopback port in a temporary directory,
stopped, killed or restarted at will, and removed at the end.

PostgreSQL 15's binaries refuse to run as root, so the cluster belongs to the `postgres` user
when the suite runs as root (`runuser`). `disposable_services` points this test process's
database connection at the disposable cluster (migrated once per run) and `live_processes`
children at both servers, so killing them hits every process of the scenario and nothing else.
"""

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from tests.servers import free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
START_TIMEOUT = 30


def available() -> str | None:
    """Why disposable servers cannot run here, or None when they can."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL binaries not found in {PG_BIN}"
    if shutil.which("redis-server") is None:
        return "redis-server not found"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root without runuser"
    return None


def _as_owner(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as `postgres` then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _wait_for_port(port: int, timeout: float = START_TIMEOUT) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


class DisposablePostgres:
    """A throw-away PostgreSQL cluster: trust auth on 127.0.0.1 only."""

    def __init__(self):
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pg-faults-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        subprocess.run(
            _as_owner([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"]),
            check=True,
            capture_output=True,
        )

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
            # fsync off only spares the disk: a killed server loses nothing the OS has. Commits
            # stay synchronous, or an immediate stop would lose acknowledged bids.
            " -c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _as_owner(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start"]
            ),
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT,
        )

    def stop(self, mode: str = "immediate") -> None:
        """Stops the server; "immediate" aborts every session at once, like a crash."""
        subprocess.run(
            _as_owner([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
            check=False,
            capture_output=True,
            timeout=START_TIMEOUT,
        )

    def restart(self) -> None:
        self.stop()
        self.start()

    @staticmethod
    def forget_connections() -> None:
        """This process's pooled connections died with the server: drop them all. Call from
        the thread that uses the database, with no other thread holding a connection."""
        connection.close()
        if hasattr(connection, "close_pool"):
            connection.close_pool()

    def create_database(self, name: str) -> None:
        subprocess.run(
            _as_owner([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), name]),
            check=True,
            capture_output=True,
        )

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class DisposableRedis:
    """A throw-away Redis without persistence: a restart loses everything, as a crash would."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        self.stop()


class Services:
    """Both disposable servers and the environment children need to use them."""

    def __init__(self, postgres: DisposablePostgres, redis: DisposableRedis, database: str):
        self.postgres, self.redis, self.database = postgres, redis, database

    def child_env(self) -> dict:
        """Extra environment for `live_processes.daphne(**env)` / `.command(..., **env)`;
        `tests.servers.child_env` fills DATABASE_URL from this process's (redirected) connection."""
        return {"REDIS_URL": self.redis.url}


@contextmanager
def _started():
    postgres, redis = DisposablePostgres(), DisposableRedis()
    try:
        postgres.start()
        redis.start()
        yield postgres, redis
    finally:
        redis.remove()
        postgres.remove()


def _point_default_database(host: str, port: int, name: str) -> dict:
    """Points the default connection (and with it `tests.servers.child_env`) at another server;
    returns what it replaced. The PostgreSQL pool is per alias: closed so it is built again."""
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    settings_dict = connection.settings_dict
    previous = {key: settings_dict.get(key) for key in ("HOST", "PORT", "NAME", "USER", "PASSWORD")}
    settings_dict.update(HOST=host, PORT=str(port), NAME=name, USER="postgres", PASSWORD="")
    return previous


@pytest.fixture(scope="session")
def disposable_cluster(django_db_setup, django_db_blocker):
    """One disposable PostgreSQL (migrated) and Redis for the run; each test's rows are flushed."""
    reason = available()
    if reason:
        pytest.skip(reason)
    if connection.vendor != "postgresql":
        pytest.skip("fault tests run in the PostgreSQL + Redis pass")
    with _started() as (postgres, redis):
        postgres.create_database("faults")
        with django_db_blocker.unblock():
            previous = _point_default_database("127.0.0.1", postgres.port, "faults")
            try:
                call_command("migrate", verbosity=0, interactive=False)
            finally:
                _restore(previous)
        yield Services(postgres, redis, "faults")


def _restore(previous: dict) -> None:
    _point_default_database(previous["HOST"], previous["PORT"], previous["NAME"])
    connection.settings_dict.update(USER=previous["USER"], PASSWORD=previous["PASSWORD"])


@pytest.fixture
def disposable_services(disposable_cluster, transactional_db):
    """The disposable servers for one test, with this process's default database on them. Rows a
    test leaves behind are removed at its end (the transactional flush runs on the test database)."""
    previous = _point_default_database("127.0.0.1", disposable_cluster.postgres.port, disposable_cluster.database)
    try:
        yield disposable_cluster
    finally:
        disposable_cluster.postgres.forget_connections()
        try:
            call_command("flush", verbosity=0, interactive=False)
        finally:
            _restore(previous)

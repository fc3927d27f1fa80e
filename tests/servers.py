"""Real server processes for browser and multi-process tests: daphne and the auction clock worker,
started as subprocesses against the test database (which therefore must be committed data:
use these with `transactional_db`)."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(**extra) -> dict:
    """The environment for a child process that must use this test run's database."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH"}}
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        env["SQLITE_PATH"] = str(db["NAME"])
    else:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


class LiveProcesses:
    """Starts and stops daphne and worker processes; everything is stopped at teardown."""

    def __init__(self):
        self.processes: list[subprocess.Popen] = []

    def daphne(self, **env) -> str:
        port = free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "config.asgi:application",
            ],
            cwd=ROOT,
            env=child_env(**env),
        )
        self.processes.append(process)
        wait_for_port(port, process)
        return f"http://127.0.0.1:{port}"

    def command(self, *args, **env) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=child_env(**env))
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def _live():
    processes = LiveProcesses()
    try:
        yield processes
    finally:
        processes.stop_all()


@pytest.fixture
def live_processes(transactional_db):
    connection.close()  # SQLite: let the children see committed data without a held lock
    with _live() as processes:
        yield processes

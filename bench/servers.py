"""Server processes under test, started by the harness on loopback: daphne and the clock worker.

Children inherit the harness's environment (DATABASE_URL / REDIS_URL or SQLITE_PATH), so they run
exactly the configuration being measured. Logs go to files under the run's scratch directory.
"""

import os
import subprocess
import sys
from pathlib import Path

from tests.servers import LiveProcesses, free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc, in clock ticks)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def family_cpu_seconds(pid: int) -> float:
    """`cpu_seconds` of a process and of its children: a daphne process and its writer process."""
    children = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as listing:
            children += [int(child) for child in listing.read().split()]
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in children)


class Servers(LiveProcesses):
    """The processes of one scenario; `stop()` ends each of them by its own id."""

    def __init__(self, log_dir: Path):
        super().__init__()
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self.daphne_pids: list[int] = []

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}-{len(self.processes)}.log", "ab")  # noqa: SIM115
        process = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
        log.close()
        self.processes.append(process)
        return process

    def daphne(self) -> int:
        port = free_port()
        argv = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
        process = self._spawn("daphne", argv)
        wait_for_port(port, process, timeout=30)
        self.daphne_pids.append(process.pid)
        return port

    def clock(self) -> subprocess.Popen:
        return self._spawn("clock", [sys.executable, "manage.py", "auction_clock"])

    def stop(self) -> None:
        self.stop_all()
        self.processes.clear()
        self.daphne_pids.clear()

"""Facts about the machine and the software the numbers were measured on."""

import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version

PACKAGES = ("Django", "channels", "channels-redis", "daphne", "redis-py", "psycopg", "websockets", "hdrhistogram")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _package(name: str) -> str:
    try:
        return version("redis" if name == "redis-py" else name)
    except PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"


def facts(pg_dsn: str | None, redis_url: str | None) -> dict:
    out = {
        "cores": os.cpu_count(),
        "memory": f"{_memory_gib():.1f} GiB",
        "cpu": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "commit": _commit(),
        "load average at start (1/5/15 min)": "/".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    if pg_dsn:
        import psycopg

        with psycopg.connect(pg_dsn) as conn:
            out["postgresql server"] = conn.execute("SHOW server_version").fetchone()[0]
    if redis_url:
        import redis

        out["redis server"] = redis.Redis.from_url(redis_url).info("server")["redis_version"]
    out.update({name: _package(name) for name in PACKAGES})
    return out

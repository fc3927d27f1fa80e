"""Entry point: `python -m bench.run [--smoke] [--out bench/results.md] [--only M1 …]`.

Creates a scratch PostgreSQL database and flushes a dedicated Redis database, runs the ceilings
and every scenario against the production configuration and then against the embedded default
(each configuration in its own process), drops the database, and writes the report and the plot
(full runs) or asserts correctness (`--smoke`: exit status 1 if any bid went unanswered, any
event was not delivered, or any sequence had a gap; speed is never asserted).
"""

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from bench import machine, report

PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
# Hard limits per configuration (seconds), so that a full run stays under 20 minutes even on a
# busy machine; a suite that overruns is stopped and reports the scenarios it finished. M6's
# 10,000 signed-in connects alone may take up to 180 s (docs/benchmarks.md).
SUITE_TIME_LIMIT = {
    (True, "services"): 150,
    (True, "embedded"): 150,
    (False, "services"): 780,
    (False, "embedded"): 360,
}


def raise_file_limit() -> None:
    """10,000 watcher sockets need more descriptors than the usual soft limit of 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _db_url(name: str) -> str:
    base, _, _ = PG_ADMIN.rpartition("/")
    return f"{base}/{name}"


def _suite_env(mode: str, scratch: Path, db_name: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(scratch / f"var-{mode}"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if mode == "services":
        env.update(DATABASE_URL=_db_url(db_name), REDIS_URL=REDIS_URL)
    else:
        env["SQLITE_PATH"] = str(scratch / "embedded.sqlite3")
    return env


def run_suite(mode: str, args, scratch: Path, db_name: str) -> dict:
    out = scratch / f"{mode}.json"
    argv = [sys.executable, "-m", "bench.suite", "--mode", mode, "--out", str(out), "--logs", str(scratch / "logs")]
    argv += ["--smoke"] if args.smoke else []
    argv += ["--only", *args.only] if args.only else []
    started = time.monotonic()
    # Its own process group: on overrun the suite and every server and generator it started
    # end together, and nothing else.
    suite = subprocess.Popen(argv, env=_suite_env(mode, scratch, db_name), start_new_session=True)
    try:
        suite.wait(timeout=SUITE_TIME_LIMIT[args.smoke, mode])
    except subprocess.TimeoutExpired:
        print(f"[{mode}] time limit reached: stopping the suite", flush=True)
    finally:
        if suite.poll() is None:
            os.killpg(suite.pid, signal.SIGTERM)
            time.sleep(5)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(suite.pid, signal.SIGKILL)
            suite.wait()
    print(f"[{mode}] finished in {time.monotonic() - started:.0f} s, exit status {suite.returncode}", flush=True)
    if not out.exists():
        raise RuntimeError(f"the {mode} suite wrote no results (exit status {suite.returncode})")
    result = json.loads(out.read_text())  # written after every scenario: an overrun keeps what ran
    if suite.returncode != 0:
        result["scenarios"].append(_overrun(suite.returncode))
    return result


def _overrun(status: int) -> dict:
    problem = f"the suite stopped early (exit status {status}): later scenarios did not run"
    return {"id": "RUN", "title": "Suite stopped early", "rows": [], "latency": {}, "problems": [problem]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny scale, correctness only")
    parser.add_argument("--out", type=Path, help="write the markdown report here (and latency.svg beside it)")
    parser.add_argument("--only", nargs="*", help="scenario ids (CEIL, M1 … M8, M3a, M3b, PAGE)")
    parser.add_argument("--modes", nargs="*", default=["services", "embedded"], choices=["services", "embedded"])
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs) afterwards")
    args = parser.parse_args(argv)

    raise_file_limit()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: stop the suite, drop the database
    scratch = Path(tempfile.mkdtemp(prefix="bench-", dir="/tmp"))
    db_name = f"bench_{os.getpid()}"
    suites = []
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db_name}"')
    try:
        facts = machine.facts(_db_url(db_name), REDIS_URL)
        for mode in args.modes:
            suites.append(run_suite(mode, args, scratch, db_name))
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"scratch kept in {scratch}")

    if args.out:
        args.out.write_text(report.markdown(facts, suites, "latency.svg"))
        (args.out.parent / "latency.svg").write_text(report.plot(suites))
        print(f"wrote {args.out} and {args.out.parent / 'latency.svg'}")
    problems = [f"[{s['mode']}] {sc['id']}: {p}" for s in suites for sc in s["scenarios"] for p in sc["problems"]] + [
        f"[{s['mode']}] ceiling: {p}" for s in suites if s.get("ceilings") for p in s["ceilings"]["bare"]["problems"]
    ]
    for problem in problems:
        print("PROBLEM", problem, file=sys.stderr)
    return 1 if problems and args.smoke else 0


if __name__ == "__main__":
    sys.exit(main())

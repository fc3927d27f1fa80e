"""The benchmark harness works end to end (issue 7): `python -m bench.run --smoke` starts daphne,
the clock worker and the load generators on PostgreSQL + Redis and on the embedded default, and
exits non-zero if any bid went unanswered, any acknowledged bid was not broadcast, or any watcher
saw a gap in the sequence. It asserts correctness only, never speed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def _admin_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"


@pytest.mark.services
def test_bench_smoke_acknowledges_every_bid_and_delivers_every_event_in_order():
    env = {**os.environ, "BENCH_PG_URL": _admin_url()}
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # a hang guard only: the harness has its own per-scenario limits
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "PROBLEM" not in result.stderr
    assert "[services] M1" in result.stdout and "[embedded] M1" in result.stdout

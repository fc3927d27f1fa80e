"""One configuration's run, in its own process so that Django is set up for exactly that
configuration (`python -m bench.suite --mode services|embedded --out FILE [--smoke]`).

The harness (bench/run.py) sets DATABASE_URL/REDIS_URL or SQLITE_PATH before starting it; this
process migrates, seeds, starts the servers of each scenario, drives the generators and writes
the scenario results as JSON.
"""

import argparse
import base64
import contextlib
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

SMOKE_PLAN = {"services": {"M1", "M3b", "M4", "M5", "M7", "M8", "PAGE"}, "embedded": {"M1", "M3a", "M8"}}


def _plan(mode: str, smoke: bool):
    """The scenarios of a configuration; a smoke run keeps one of each kind (M2 is M1 on more
    auctions, M3a is M3b on one process, M6 is M5 signed in)."""
    from bench import scenarios as s

    # Quick, central scenarios first (M1h beside M1, which it is compared with): when a busy
    # machine makes a suite overrun its limit, what is cut is the connect-heavy tail.
    plan = [
        ("M1", lambda ctx: s.bid_throughput(ctx, "m1")),
        ("M1h", lambda ctx: s.bid_throughput(ctx, "m1h")),
        ("M2", lambda ctx: s.bid_throughput(ctx, "m2")),
        ("M3a", lambda ctx: s.fanout(ctx, "m3a")),
        ("M4", s.deliveries_per_process),
        ("M7", s.connect_burst),
        ("M8", s.close_lag),
        ("PAGE", s.page_weight),
        ("M3b", lambda ctx: s.fanout(ctx, "m3b")),
        ("M5", lambda ctx: s.idle_memory(ctx, signed_in=False)),
        ("M6", lambda ctx: s.idle_memory(ctx, signed_in=True)),
    ]
    if mode == "embedded":
        # One process (M3b needs Redis between processes), socket memory is the consumer's and
        # measured above.
        order = ["M1", "M1h", "M3a", "M8", "PAGE", "M7", "M4", "M2"]
        plan = sorted((item for item in plan if item[0] in order), key=lambda item: order.index(item[0]))
    if smoke:  # the same code paths once each: bids, fan-out across processes, memory, connects, close
        plan = [(key, run) for key, run in plan if key in SMOKE_PLAN[mode]]
    return plan


def _ceilings(ctx) -> dict:
    from bench import ceilings, hist, scenarios

    dsn = os.environ["DATABASE_URL"]
    pg = ceilings.pg_hot_row(dsn, **ctx.scale["pg"])
    bare = scenarios.bare_ceiling(ctx)
    return {
        "pg": {"value": pg["per_s"], "detail": pg},
        "bare": {"value": bare["per_s"], "problems": bare["problems"]},
        "latency": {"bare broadcast delivery": hist.encode(bare["latency"])},
    }


def _jsonable(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["services", "embedded"], required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--logs", type=Path, required=True)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--only", nargs="*", help="scenario ids to run (default: all)")
    args = parser.parse_args()
    # Stopped from outside: unwind, so that every scenario's servers and generators are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from bench.scenarios import Context, serving
    from bench.seed import Seeder

    began = time.monotonic()

    def progress(step: str) -> None:
        print(f"[{args.mode}] {step} at {time.monotonic() - began:.0f} s", flush=True)

    call_command("migrate", verbosity=0, interactive=False)
    progress("migrated")
    if settings.REDIS_URL:
        import redis

        redis.Redis.from_url(settings.REDIS_URL).flushdb()
    ctx = Context(args.mode, args.smoke, Seeder(pool_size=20 if args.smoke else 900), args.logs)
    progress("seeded")
    out = {"mode": args.mode, "scenarios": [], "ceilings": None}
    with contextlib.ExitStack() as stack:
        if args.smoke:
            ctx.shared = stack.enter_context(serving(ctx, ctx.multi))
            progress("servers up")
        if args.mode == "services" and (not args.only or "CEIL" in args.only):
            out["ceilings"] = _ceilings(ctx)
            args.out.write_text(json.dumps(_jsonable(out), indent=1))
            progress("ceilings measured")
        for key, run in _plan(args.mode, args.smoke):
            if args.only and key not in args.only:
                continue
            started = time.monotonic()
            try:
                result = run(ctx)
            except Exception:  # noqa: BLE001  (one broken scenario is reported; the others still run)
                result = {"id": key, "title": key, "rows": [], "latency": {}, "problems": [traceback.format_exc()]}
            verdict = "ok" if not result["problems"] else result["problems"]
            print(f"[{args.mode}] {key} ({time.monotonic() - started:.0f} s): {verdict}", flush=True)
            out["scenarios"].append(result)
            args.out.write_text(json.dumps(_jsonable(out), indent=1))
    args.out.write_text(json.dumps(_jsonable(out), indent=1))


if __name__ == "__main__":
    main()

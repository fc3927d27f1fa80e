"""Server CPU per HTTP bid on one daphne: `python -m bench.bid_cost [--bids 400] [--connections 20]`.

A small, closed-loop companion to M1 for comparing changes of the bid path: it needs an empty
scratch database (DATABASE_URL, REDIS_URL as for the server; it migrates, seeds one round with 60
bidders through bench/seed.py and flushes the Redis database), starts one daphne, sends the bids
from keep-alive connections, each bid one increment above the one before, and prints bids/s and
daphne's CPU time per bid (from /proc). CPU per bid is the figure to compare: it moves much less
than throughput when other jobs share the machine. Bid rate limits are lifted for the run.
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bids", type=int, default=400)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--logs", type=Path, default=Path(tempfile.gettempdir()) / "bench-bid-cost")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["BID_RATE_LIMITS"] = "1:100000,60:1000000"
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench.httpclient import HttpConnection
    from bench.seed import Seeder
    from bench.servers import Servers, family_cpu_seconds

    if not settings.DATABASE_URL or not settings.REDIS_URL:
        print("set DATABASE_URL (an empty scratch database) and REDIS_URL", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0, interactive=False)
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    seeder = Seeder(pool_size=60)
    auction = seeder.auction()
    seats = seeder.seats(auction, 60)
    spec = Seeder.spec(auction, seats)
    connection.close()
    servers = Servers(args.logs)
    try:
        port = servers.daphne()
        pid = servers.daphne_pids[0]

        async def run() -> tuple[float, float, dict]:
            cookies = [{"sessionid": seat["session"], "csrftoken": seat["csrf"]} for seat in seats]
            conns = [HttpConnection("127.0.0.1", port, jar) for jar in cookies]
            await conns[0].request("GET", f"/auctions/{auction.pk}/snapshot")
            start, step = Decimal(spec["start"]), Decimal(spec["increment"])
            numbers = iter(range(args.bids))
            statuses: dict[int, int] = {}
            lanes = args.connections

            async def lane(worker: int) -> None:
                for i in numbers:  # seats rotate, so nobody bids against their own lead
                    conn = conns[(i % (len(conns) // lanes)) * lanes + worker]
                    body = {"type": "bid", "amount": f"{start + i * step:.2f}", "client_bid_id": f"c{i}"}
                    status, _ = await conn.post_json(
                        f"/auctions/{auction.pk}/bids", body, {"X-CSRFToken": conn.cookies["csrftoken"]}
                    )
                    statuses[status] = statuses.get(status, 0) + 1

            cpu, began = family_cpu_seconds(pid), time.monotonic()
            await asyncio.gather(*(lane(w) for w in range(lanes)))
            return time.monotonic() - began, family_cpu_seconds(pid) - cpu, statuses

        elapsed, cpu, statuses = asyncio.run(run())
    finally:
        servers.stop()
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"{args.bids} bids over {args.connections} connections: {args.bids / elapsed:.0f} bids/s, "
        f"daphne CPU {1000 * cpu / args.bids:.2f} ms per bid, statuses {statuses}, load {'/'.join(load)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

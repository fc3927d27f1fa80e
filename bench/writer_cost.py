"""The bid writer's CPU time per bid by batch size: `python -m bench.writer_cost [--batches 1 13 40 100]`.

Decides bids with `services.place_bids` in one thread, as the bid writer does, with no daphne and no
sockets, and prints that thread's CPU time per bid for each batch size: the fixed cost of a
transaction and the cost of each bid, apart (docs/benchmarks.md, "The fourth round"). It needs an
empty scratch database (DATABASE_URL, REDIS_URL as for the server): it migrates and seeds one round
with 400 bidders through bench/seed.py. Rate limits are not counted here; the writer counts them
before `place_bids`.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

CHUNKS = 5  # each batch size is timed in this many chunks; the minimum is the least disturbed


class Bidding:
    """Lawful bids on one round from `users` in turn, each one increment above the one before."""

    def __init__(self, auction, users):
        self.auction, self.users, self.sent = auction, users, 0

    def cpu_per_bid(self, batch: int, bids: int) -> float:
        """Seconds of this thread's CPU time per bid over `bids` bids in batches of `batch`."""
        from auctions import clock
        from bidding import services

        start, step = self.auction.starting_price.amount, self.auction.increment.amount
        began = time.thread_time()
        for _ in range(bids // batch):
            now, requests = clock.now(), []
            for _ in range(batch):
                user = self.users[self.sent % len(self.users)]
                amount = f"{start + self.sent * step:.2f}"
                requests.append(services.BidRequest(user, amount, f"w{self.sent}", now, "zh-hans"))
                self.sent += 1
            refused = [o for o in services.place_bids(self.auction.pk, requests) if isinstance(o, Exception)]
            if refused:
                raise RuntimeError(f"a lawful bid was refused: {getattr(refused[0], 'code', refused[0])!r}")
        return (time.thread_time() - began) / (bids // batch * batch)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 13, 40, 100])
    parser.add_argument("--bids", type=int, default=2000, help="bids timed per batch size")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from bench.seed import Seeder

    if not settings.DATABASE_URL:
        print("set DATABASE_URL (an empty scratch database)", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0, interactive=False)
    seeder = Seeder(pool_size=400)
    auction = seeder.auction()
    seeder.seats(auction, 400)
    bidding = Bidding(auction, seeder.users)
    bidding.cpu_per_bid(10, 200)  # warm-up: imports, connections, caches
    for batch in args.batches:
        chunk = max(args.bids // CHUNKS, batch)
        times = [bidding.cpu_per_bid(batch, chunk) * 1000 for _ in range(CHUNKS)]
        print(f"batch {batch:4d}: {min(times):.3f} ms CPU per bid (median {statistics.median(times):.3f})")
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load {'/'.join(load)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

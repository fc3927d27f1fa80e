"""The auction clock worker: publishes due announcements, opens rounds at their start and closes
them at their end (extensions included), every quarter second and at the instant the next round
becomes due. Run one beside daphne (`make run`); a second one is harmless (every transition is a
compare-and-set under the round's row lock)."""

import logging
import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from auctions import clock, lifecycle, outage
from auctions import services as auction_services

logger = logging.getLogger("auctions.clock")


class Command(BaseCommand):
    help = "Opens and closes auction rounds on time and publishes due announcements."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run one tick and exit")
        parser.add_argument("--interval", type=float, default=0.25, help="seconds between ticks")

    def handle(self, *args, once=False, interval=0.25, **options):
        # FA7: watches whether bids could be accepted and holds closes until outages are applied.
        self.monitor = outage.Monitor()
        stop = threading.Event()
        if not once:
            # Finish the tick in progress, then exit: a transition is never cut in half.
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
            logger.info("auction clock started (every %.2fs)", interval)
        while True:
            started = time.monotonic()
            self.tick()
            if once or stop.wait(self.pause(interval - (time.monotonic() - started))):
                break
            close_old_connections()  # a long-running worker must not keep a broken connection
        if not once:
            logger.info("auction clock stopped")

    def pause(self, rest_of_tick: float) -> float:
        """Seconds to sleep: the rest of the tick, or less when a round becomes due sooner."""
        try:
            due = lifecycle.next_transition_at(clock.now())
        except DatabaseError:  # the next tick reports the database
            due = None
        if due is not None:
            rest_of_tick = min(rest_of_tick, (due - clock.now()).total_seconds())
        return max(0.0, rest_of_tick)

    def tick(self) -> None:
        try:
            self.monitor.check()
        except DatabaseError:
            logger.exception("auction clock: availability check failed")
            return  # the database is down: nothing else can be done this tick
        # FA7: closing goes through outage.close_due_rounds, which never closes a round whose
        # bidders could not bid in its final minutes before the extension is applied.
        steps = (auction_services.publish_due_announcements, lifecycle.open_due_rounds, outage.close_due_rounds)
        for step in steps:
            try:
                done = step()
            except Exception:
                logger.exception("auction clock: %s failed", step.__name__)
                continue
            if done:
                logger.info("auction clock: %s: %s", step.__name__, done)

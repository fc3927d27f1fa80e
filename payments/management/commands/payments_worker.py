"""The payments worker: releases deposits (ST2), re-checks open payments with their providers and
tells winners their balance (ST3), every few seconds. Safe to run several (claim-by-UPDATE)."""

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from payments.worker import run_once


class Command(BaseCommand):
    help = "Runs the payments worker loop until SIGTERM or Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes")
        parser.add_argument("--once", action="store_true", help="run one pass and exit")

    def handle(self, *args, interval, once, **options):
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        while True:
            close_old_connections()
            counts = run_once()
            if any(counts.values()):
                self.stdout.write(" ".join(f"{name}={n}" for name, n in counts.items()))
            if once or self.stopping:
                return
            deadline = time.monotonic() + interval
            while time.monotonic() < deadline and not self.stopping:
                time.sleep(0.2)
            if self.stopping:
                return

    def _stop(self, signum, frame):
        self.stopping = True  # finish the current pass, then leave

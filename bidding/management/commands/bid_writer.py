"""The writer process of one daphne process (bidding/writer_process.py): started by it, never by
hand. It decides the bids that come over the socket inherited as `fd` until the daphne process
closes it."""

import signal
from multiprocessing.connection import Connection

from django.conf import settings
from django.core.management.base import BaseCommand

from bidding.writer_process import serve


class Command(BaseCommand):
    help = "Decides one daphne process's bids (started by that process when BID_WRITER=process)."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("fd", type=int, help="the socket inherited from the daphne process")
        parser.add_argument("database", help="the database name the daphne process uses (a test run's, too)")

    def handle(self, *args, fd, database, **options):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the daphne process, which closes the socket
        settings.DATABASES["default"]["NAME"] = database
        serve(Connection(fd))

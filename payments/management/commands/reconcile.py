"""Compares the ledger with every provider and with deposit statuses; exit status 1 on differences."""

import sys

from django.core.management.base import BaseCommand

from payments.reconcile import reconcile


class Command(BaseCommand):
    help = "Reports every difference between the ledger, the providers and deposit statuses."

    def add_arguments(self, parser):
        parser.add_argument("--provider", action="append", help="only this provider (repeatable)")

    def handle(self, *args, provider=None, **options):
        differences = reconcile(provider)
        for difference in differences:
            self.stdout.write(str(difference))
        if differences:
            self.stderr.write(f"{len(differences)} difference(s)")
            sys.exit(1)
        self.stdout.write("ledger and providers agree")

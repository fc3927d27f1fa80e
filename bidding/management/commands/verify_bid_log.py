"""Recomputes the hash chain of the public bid record (BI4) and reports any altered, removed or
inserted bid; exits with status 1 when it finds one."""

from django.core.management.base import BaseCommand, CommandError

from auctions.models import Auction
from bidding.bidlog import verify_round


class Command(BaseCommand):
    help = "Verifies the hash-chained bid record of one round or of all rounds (BI4)."

    def add_arguments(self, parser):
        parser.add_argument("--auction", type=int, help="only this round (Auction id)")

    def handle(self, *args, auction=None, **options):
        rounds = Auction.objects.order_by("pk")
        if auction is not None:
            rounds = rounds.filter(pk=auction)
            if not rounds.exists():
                raise CommandError(f"no auction {auction}")
        checked, problems = 0, []
        for round_ in rounds.iterator():
            problems += verify_round(round_)
            checked += 1
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in the bid record", returncode=1)
        self.stdout.write(f"bid record intact: {checked} round(s) verified")

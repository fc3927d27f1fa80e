"""One pass of the ST2 releases (for cron); `payments_worker` runs it in a loop with the other jobs."""

from django.core.management.base import BaseCommand

from payments.worker import overdue_releases, release_due


class Command(BaseCommand):
    help = "Releases the deposits of closed rounds that are due (ST2), once."

    def handle(self, *args, **options):
        released = release_due(limit=10_000)
        overdue = overdue_releases()
        self.stdout.write(f"released={released} overdue={len(overdue)}")

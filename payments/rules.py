"""The payments worker's retry timing, pure. The settlement law itself (ST2 deadline, ST3 balance,
ST4 allocation) lives with the other rules in auctions/rules.py."""

from datetime import timedelta

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(minutes=30)


def retry_delay(attempts: int) -> timedelta:
    """Doubling from 30 seconds, at most 30 minutes: dozens of tries fit in ST2's 24-hour window."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)

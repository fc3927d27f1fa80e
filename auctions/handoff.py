"""The hand-off from the bidding engine to settlement and case records when a round closes.

`round_closed` runs inside the closing transaction, after the round's result is written and while
the auction row is still locked; what it schedules must run with `transaction.on_commit`.
"""

from .models import Auction


def round_closed(auction: Auction) -> None:
    """Settlement hook for a closed round (ST2): filled in by the payments app."""

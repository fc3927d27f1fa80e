"""The hand-off from the bidding engine to settlement and case records when a round closes.

`round_closed` runs inside the closing transaction, after the round's result is written and while
the auction row is still locked; what it schedules must run with `transaction.on_commit`.
"""

from .models import Auction


def round_closed(auction: Auction) -> None:
    """ST2: the winner's deposit is applied to the price and every other deposit is scheduled for
    release (by the payments worker, within 24 hours of the end). Also right for withdrawn rounds
    (FA5: every deposit is released). Safe to call twice."""
    from notices.confirmations import round_closed as confirm_round_closed
    from payments.settlement import settle_round  # payments imports auctions, not the reverse

    settle_round(auction)
    confirm_round_closed(auction)  # ST1: the confirmation of a sale, its facts frozen here

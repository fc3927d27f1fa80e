"""Builders shared by the payments tests: bidders who paid through a provider, and a round that
the engine itself bids on and closes (so the close hand-off runs as in production)."""

from contextlib import contextmanager
from decimal import Decimal

from auctions import clock
from auctions.lifecycle import do_close_auction
from auctions.models import Auction
from bidding.services import check_place_bid
from payments import services
from payments.models import Deposit
from tests import factories


def paid_bidder(auction, name: str, provider: str = "sandbox"):
    """A registered bidder whose deposit went through `provider` (the ledger holds it)."""
    user = factories.make_bidder(name, name)
    registration = factories.register(auction, user, secured=False)
    deposit = Deposit.objects.get(registration=registration)
    services.start_deposit_payment(deposit.pk, user, provider, deposit.amount.amount, "CNY")
    deposit.refresh_from_db()
    return user, registration, deposit


def close_round(auction: Auction, winner=None, price=None) -> Auction:
    """`winner` (a Registration) bids `price`, then the round ends now and the engine closes it:
    sold to the winner, or failed without one."""
    if winner is not None:
        check_place_bid(winner.user, auction.pk, str(price))
    Auction.objects.filter(pk=auction.pk).update(ends_at=clock.now())
    do_close_auction(auction.pk)
    return Auction.objects.get(pk=auction.pk)


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@contextmanager
def crash_before_commit(monkeypatch, target: str):
    """The process dies after the provider call and before its answer is recorded. `target` is
    "payments.services.apply_remote" (payments) or "payments.settlement.apply_refund" (refunds)."""

    def crash(*args):
        raise RuntimeError("crash between the provider call and the commit")

    with monkeypatch.context() as patch:
        patch.setattr(target, crash)
        yield

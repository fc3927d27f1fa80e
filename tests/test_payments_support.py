"""Builders shared by the payments tests: bidders who paid through a provider, and a round closed
the way the engine closes it (result written under the auction lock, then the hand-off)."""

import hashlib
from decimal import Decimal

from django.db import transaction

from auctions import clock
from auctions.handoff import round_closed
from auctions.models import Auction
from bidding.models import Bid
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
    """Ends the round now: sold to `winner` (a Registration) at `price`, or failed without one."""
    with transaction.atomic():
        auction = Auction.objects.select_for_update().get(pk=auction.pk)
        now = clock.now()
        if winner is not None:
            seq = auction.bid_count + 1
            digest = hashlib.sha256(f"{auction.pk}:{seq}:{price}".encode()).hexdigest()
            bid = Bid.objects.create(
                auction=auction,
                registration=winner,
                seq=seq,
                amount=factories.cny(price),
                received_at=now,
                prev_hash=auction.bid_log_head or "0" * 64,
                hash=digest,
            )
            auction.leading_bid, auction.current_price, auction.bid_count = bid, bid.amount, seq
            auction.status = Auction.Status.SOLD
        else:
            auction.status = Auction.Status.FAILED
        auction.ends_at = auction.closed_at = now
        auction.save()
        round_closed(auction)
    return auction


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))

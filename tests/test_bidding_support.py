"""Helpers for the bidding engine's tests (imported by them; holds no tests itself).

Rounds are created at a whole-second moment NOW with the clock frozen, so boundary times such as
"exactly 5:00 before the end" are exact.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from django.db import connections

from auctions import clock
from auctions.models import Auction, AuctionEvent
from bidding import services
from bidding.models import Bid
from lots.models import DisposalRecord
from tests import factories

NOW = datetime(2026, 3, 2, 2, 0, 0, tzinfo=UTC)
GENEROUS_LIMITS = ((1, 10_000), (60, 100_000))


@pytest.fixture
def frozen_now():
    """The clock stands at NOW (registration, snapshots and the clock worker read it)."""
    with clock.frozen(NOW):
        yield NOW


def make_round(lot, **kwargs) -> Auction:
    """A round created at NOW: by default live since an hour, ending 24 hours after NOW."""
    with clock.frozen(NOW):
        return factories.make_auction(lot, **kwargs)


def bidder(auction: Auction, username: str, *, secured: bool = True, priority_rank: int | None = None):
    user = factories.make_bidder(username)
    factories.register(auction, user, secured=secured, priority_rank=priority_rank)
    return user


def applicant_creditor(case, claim):
    """A bidder who is the case's applicant creditor with a claim of `claim` yuan (BD2)."""
    user = factories.make_bidder("creditor")
    case.parties.create(
        role="applicant", name="债权人", id_number_hash=user.bidder.id_number_hash, claim_amount=factories.cny(claim)
    )
    return user


def bid(user, auction: Auction, amount, *, at: datetime | None = None, client_bid_id: str = ""):
    return services.check_place_bid(user, auction.pk, amount, client_bid_id, received_at=at or NOW)


def written(auction: Auction) -> tuple:
    """Everything a bid may write, to prove that a refusal wrote nothing."""
    auction.refresh_from_db()
    return (
        Bid.objects.filter(auction=auction).count(),
        AuctionEvent.objects.filter(auction=auction).count(),
        DisposalRecord.objects.filter(auction=auction).count(),
        auction.status,
        auction.current_price,
        auction.ends_at,
        auction.bid_count,
        auction.event_seq,
        auction.bid_log_head,
    )


def before_end(auction: Auction, minutes: int = 0, seconds: int = 0) -> datetime:
    return auction.ends_at - timedelta(minutes=minutes, seconds=seconds)


def run_async(scenario, *args):
    """Runs an async scenario to its end from a plain thread and returns its result.

    Playwright's sync API (the browser tests) leaves an event loop in the main thread, where
    async_to_sync refuses to run. Database work the scenario hands to sync code runs in that
    thread, with its own connections, closed afterwards: use with committed data
    (transactional_db)."""

    def in_thread():
        try:
            return async_to_sync(scenario)(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(in_thread).result()


def unbatched(frame: dict) -> list[dict]:
    """The frames a received frame stands for: an `events` frame carries several events, each as its
    own `event` frame would be (docs/websocket.md); any other frame stands for itself."""
    return frame["events"] if frame.get("type") == "events" else [frame]

"""Many bidders at once on one round, on PostgreSQL: the round's row lock serialises them, so
accepted bids strictly increase (PR4), every acknowledged bid is stored exactly as acknowledged
(BI4), the event sequence has no gaps, and the close finds exactly one winner (BI5)."""

import random
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection

from auctions import clock, lifecycle
from auctions.models import AuctionEvent
from bidding.bidlog import verify_round
from bidding.errors import BidError
from bidding.models import Bid
from bidding.services import check_place_bid
from lots.models import DisposalRecord
from tests import factories
from tests.test_bidding_support import (
    GENEROUS_LIMITS,
)

BIDDERS = 16
ATTEMPTS = 25


@pytest.mark.services
def test_pr4_bi4_bi5_concurrent_bidders_on_one_round(transactional_db, settings, monkeypatch):
    settings.BID_RATE_LIMITS = GENEROUS_LIMITS
    monkeypatch.setattr("auctions.handoff.round_closed", lambda auction: None)
    lot = factories.make_lot(factories.make_case(factories.make_court()))
    auction = factories.make_auction(lot)
    users = []
    for n in range(BIDDERS):
        user = factories.make_bidder(f"racer{n}")
        factories.register(auction, user, secured=True)
        users.append(user)

    start = threading.Barrier(BIDDERS)
    acks, refusals, crashes = [], Counter(), []

    def race(user, seed: int) -> None:
        pick = random.Random(seed)
        try:
            start.wait()
            for attempt in range(ATTEMPTS):
                price = type(auction).objects.values_list("current_price", flat=True).get(pk=auction.pk)
                base = price if price is not None else 79_000
                amount = base + 1_000 * pick.randint(1, 2)
                try:
                    acks.append(check_place_bid(user, auction.pk, str(amount), f"{user.pk}-{attempt}"))
                except BidError as error:
                    refusals[error.code] += 1
        except Exception as error:  # noqa: BLE001  (reported below, with the thread's user)
            crashes.append((user.username, repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(user, n)) for n, user in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not crashes
    assert set(refusals) <= {"too_low", "not_a_multiple", "already_leading"}
    assert len(acks) + sum(refusals.values()) == BIDDERS * ATTEMPTS

    stored = list(Bid.objects.filter(auction=auction).select_related("registration").order_by("seq"))
    assert len(acks) == len(stored) > BIDDERS
    assert [bid.seq for bid in stored] == list(range(1, len(stored) + 1))
    amounts = [bid.amount.amount for bid in stored]
    assert all(later > earlier for earlier, later in zip(amounts, amounts[1:], strict=False))
    by_seq = {bid.seq: bid for bid in stored}
    for ack in acks:
        row = by_seq[ack.bid_seq]
        assert (row.amount.amount, row.registration.code, row.received_at) == (ack.amount, ack.code, ack.received_at)
    auction.refresh_from_db()
    assert verify_round(auction) == []
    event_seqs = list(AuctionEvent.objects.filter(auction=auction).order_by("seq").values_list("seq", flat=True))
    assert event_seqs == list(range(1, len(stored) + 1))

    with clock.frozen(auction.ends_at + timedelta(seconds=1)):
        results = [lifecycle.do_close_auction(auction.pk) for _ in range(3)]
    assert results == ["sold", None, None]
    closed = AuctionEvent.objects.get(auction=auction, kind="closed").payload
    assert (closed["code"], closed["price"]) == (stored[-1].registration.code, f"{amounts[-1]:.2f}")
    assert DisposalRecord.objects.filter(auction=auction, kind=DisposalRecord.Kind.ROUND_SOLD).count() == 1

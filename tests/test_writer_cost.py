"""The writer-cost benchmark's bidding (bench/writer_cost.py): lawful bids in batches, every one
stored, and a refusal is an error rather than a cheaper figure."""

import pytest

from bench.writer_cost import Bidding
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_bid_is_decided_and_stored(live_auction, alice):
    bob = factories.make_bidder("bob", "鲍勃")
    factories.register(live_auction, bob, secured=True)
    bidding = Bidding(live_auction, [alice, bob])
    assert bidding.cpu_per_bid(batch=3, bids=7) > 0  # two batches of three: 6 bids
    live_auction.refresh_from_db()
    assert (live_auction.bid_count, live_auction.current_price.amount) == (6, 85_000)


def test_a_refused_bid_stops_the_measurement(live_auction, alice):
    stranger = factories.make_bidder("stranger", "陌生人")  # not registered for the round
    with pytest.raises(RuntimeError, match="not_registered"):
        Bidding(live_auction, [alice, stranger]).cpu_per_bid(batch=2, bids=2)

"""Boundary tests of auctions/rules.py; each test names the rule it proves."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from auctions import rules
from auctions.rules import AuctionState, BidCode, BidderState, BidRefused

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_pr1_start_price_at_least_70_percent_of_reference():
    assert rules.check_first_round_starting_price(Decimal("70000.00"), Decimal("100000")) is None
    refusal = rules.check_first_round_starting_price(Decimal("69999.99"), Decimal("100000"))
    assert refusal.rule == "PR1" and refusal.field == "starting_price"


def test_bi2_bid_four_fifty_nine_before_end_extends_to_receive_plus_five_minutes():
    state = AuctionState("live", T0, T0 + timedelta(days=1), Decimal("100"), Decimal("10"), None, None, None)
    received = state.ends_at - timedelta(minutes=4, seconds=59)
    accepted = rules.evaluate_bid(state, BidderState(1, None, True), "100", received)
    assert accepted.extended and accepted.ends_at == received + timedelta(minutes=5)


def test_bi2_bid_at_the_end_is_refused():
    state = AuctionState("live", T0, T0 + timedelta(days=1), Decimal("100"), Decimal("10"), None, None, None)
    with pytest.raises(BidRefused) as refused:
        rules.evaluate_bid(state, BidderState(1, None, True), "100", state.ends_at)
    assert refused.value.code == BidCode.CLOSED


def test_rp3_first_round_announcement_within_validity():
    assert rules.check_reference_validity(date(2026, 1, 31), date(2026, 1, 31), True) is None
    assert rules.check_reference_validity(date(2026, 1, 31), date(2026, 2, 1), True).rule == "RP3"

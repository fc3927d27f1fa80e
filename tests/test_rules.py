"""Boundary tests of auctions/rules.py: each test names the rule it proves and checks the exact
boundary plus one step (a cent, a second, a day) on each side."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auctions import rules
from auctions.rules import AuctionState, BidCode, BidderState, BidRefused, RoundTerms

BEIJING = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
CENT = Decimal("0.01")
FIVE_MINUTES = timedelta(minutes=5)


def D(value) -> Decimal:
    return Decimal(value)


def live(
    *,
    start="100000.00",
    increment="1000.00",
    current=None,
    leader=None,
    leader_rank=None,
    ends_at=T0 + DAY,
    status="live",
) -> AuctionState:
    return AuctionState(
        status=status,
        starts_at=T0,
        ends_at=ends_at,
        starting_price=D(start),
        increment=D(increment),
        current_price=None if current is None else D(current),
        leader_id=leader,
        leader_priority_rank=leader_rank,
    )


ORDINARY = BidderState(registration_id=1, priority_rank=None, deposit_secured=True)


def holder(rank: int, registration_id: int = 1) -> BidderState:
    return BidderState(registration_id=registration_id, priority_rank=rank, deposit_secured=True)


def refused(state, bidder, amount, received_at=T0 + timedelta(hours=1)) -> BidRefused:
    with pytest.raises(BidRefused) as caught:
        rules.evaluate_bid(state, bidder, amount, received_at)
    return caught.value


def lawful_terms(**changes) -> RoundTerms:
    """A first round of a movable that passes every scheduling rule; tests change one term.
    Bidding starts 15 days after the announcement and lasts a day unless given."""
    announce = changes.get("announce_at", datetime(2026, 3, 1, 9, 0, tzinfo=BEIJING))
    terms = {
        "round_no": 1,
        "is_immovable": False,
        "reference_price": D("100000.00"),
        "reference_valid_until": date(2026, 12, 31),
        "starting_price": D("70000.00"),
        "increment": D("1000.00"),
        "deposit": D("7000.00"),
        "announce_at": announce,
        "starts_at": announce + timedelta(days=15),
        "ends_at": announce + timedelta(days=16),
        "previous_starting_price": None,
    }
    terms.update(changes)
    return RoundTerms(**terms)


def round_rules(terms: RoundTerms) -> list[str]:
    return [refusal.rule for refusal in rules.check_round_terms(terms, rules.court_date(terms.announce_at))]


# --- AN1, AN2: notice periods -----------------------------------------------------------------
def assert_notice_boundary(is_immovable: bool, first_round: bool, days: int, rule: str) -> None:
    """Exactly `days` of notice passes; one second less is refused under `rule`."""
    start = T0 + timedelta(days=days)
    assert rules.check_notice_period(is_immovable, first_round, T0, start) is None
    refusal = rules.check_notice_period(is_immovable, first_round, T0 + SECOND, start)
    assert (refusal.rule, refusal.field, refusal.code) == (rule, "starts_at", "notice_too_short")
    assert refusal.params == {"days": days}
    assert str(refusal).startswith(f"{rule}：")


@pytest.mark.parametrize(("is_immovable", "days"), [(False, 15), (True, 30)])
def test_an1_first_round_notice_15_days_movable_30_days_immovable(is_immovable, days):
    """AN1 (NJA 12): a first round is announced at least 15 days (movables) or 30 days
    (immovables) before bidding starts; exactly that passes, one second less fails."""
    assert_notice_boundary(is_immovable, True, days, "AN1")


def test_an1_movable_notice_is_not_enough_for_an_immovable():
    """AN1: 15 days suffice for a movable, not for an immovable (real estate, land-use rights)."""
    start = T0 + timedelta(days=15)
    assert rules.check_notice_period(False, True, T0, start) is None
    assert rules.check_notice_period(True, True, T0, start).rule == "AN1"


@pytest.mark.parametrize(("is_immovable", "days"), [(False, 7), (True, 15)])
def test_an2_reauction_notice_7_days_movable_15_days_immovable(is_immovable, days):
    """AN2 (NJA 26): a re-auction is announced at least 7 days (movables) or 15 days
    (immovables) before bidding starts; exactly that passes, one second less fails."""
    assert_notice_boundary(is_immovable, False, days, "AN2")


def test_an2_applies_to_round_two_in_check_round_terms():
    """AN2: check_round_terms uses the re-auction notice period from round 2 on."""
    announce = datetime(2026, 3, 1, 9, 0, tzinfo=BEIJING)
    second = lawful_terms(
        round_no=2,
        previous_starting_price=D("70000.00"),
        starting_price=D("56000.00"),
        deposit=D("5600.00"),
        starts_at=announce + timedelta(days=7),
        ends_at=announce + timedelta(days=8),
    )
    assert round_rules(second) == []
    assert round_rules(replace(second, starts_at=second.starts_at - SECOND)) == ["AN2"]


# --- PR1, PR2, PR3, PR4: prices, deposit, increment -------------------------------------------
@pytest.mark.parametrize(
    ("reference", "minimum"),
    [
        ("100000.00", "70000.00"),
        ("99999.99", "70000.00"),  # 69,999.993 rounds up: a cent less would be below 70%
        ("100000.01", "70000.01"),  # 70,000.007
        ("1234567.89", "864197.53"),  # 864,197.523
        ("0.01", "0.01"),
    ],
)
def test_pr1_start_price_at_least_70_percent_of_reference(reference, minimum):
    """PR1 (NJA 10): the first-round starting price is at least 70% of the reference price,
    rounded up to the cent; that price passes and one cent less fails."""
    assert rules.check_first_round_starting_price(D(minimum), D(reference)) is None
    refusal = rules.check_first_round_starting_price(D(minimum) - CENT, D(reference))
    assert (refusal.rule, refusal.field, refusal.code) == ("PR1", "starting_price", "starting_price_too_low")
    assert refusal.params == {"minimum": minimum}


def test_pr1_refused_in_check_round_terms_naming_the_rule():
    """PR1: scheduling a first round below 70% is refused with the rule named."""
    assert round_rules(lawful_terms()) == []
    assert round_rules(lawful_terms(starting_price=D("69999.99"), deposit=D("7000.00"))) == ["PR1"]


@pytest.mark.parametrize(
    ("previous", "minimum"),
    [("100000.00", "80000.00"), ("99999.99", "80000.00"), ("70000.01", "56000.01"), ("12345.67", "9876.54")],
)
def test_pr2_reauction_start_at_least_80_percent_of_previous_start(previous, minimum):
    """PR2 (NJA 26): a re-auction cuts the previous starting price by at most 20%: 80% (rounded
    up to the cent) passes, one cent less fails."""
    assert rules.check_reauction_starting_price(D(minimum), D(previous)) is None
    refusal = rules.check_reauction_starting_price(D(minimum) - CENT, D(previous))
    assert (refusal.rule, refusal.field, refusal.code) == ("PR2", "starting_price", "reduction_too_large")
    assert refusal.params == {"minimum": minimum}


def test_pr2_not_pr1_governs_a_reauction():
    """PR2: a second round is measured against the previous start, not 70% of the reference."""
    announce = datetime(2026, 3, 1, 9, 0, tzinfo=BEIJING)
    second = {
        "round_no": 2,
        "previous_starting_price": D("70000.00"),
        "starts_at": announce + timedelta(days=7),
        "ends_at": announce + timedelta(days=8),
    }
    assert round_rules(lawful_terms(**second, starting_price=D("56000.00"), deposit=D("5600.00"))) == []
    assert round_rules(lawful_terms(**second, starting_price=D("55999.99"), deposit=D("5600.00"))) == ["PR2"]


@pytest.mark.parametrize(
    ("start", "low", "high"),
    [
        ("100000.00", "5000.00", "20000.00"),
        ("99999.99", "5000.00", "19999.99"),  # 4,999.9995 rounds up, 19,999.998 rounds down
        ("12345.67", "617.29", "2469.13"),  # 617.2835 up, 2,469.134 down
        ("0.20", "0.01", "0.04"),
    ],
)
def test_pr3_deposit_between_5_and_20_percent_inclusive(start, low, high):
    """PR3 (NJA 17): the deposit is 5% to 20% of the starting price, both inclusive, never
    rounded in the bidder's favour; one cent outside fails at either end."""
    assert rules.check_deposit(D(low), D(start)) is None
    assert rules.check_deposit(D(high), D(start)) is None
    for outside in (D(low) - CENT, D(high) + CENT):
        refusal = rules.check_deposit(outside, D(start))
        assert (refusal.rule, refusal.field, refusal.code) == ("PR3", "deposit", "deposit_out_of_range")
        assert refusal.params == {"low": low, "high": high}


@pytest.mark.parametrize("increment", ["0", "0.00", "-0.01", "-1000"])
def test_pr4_increment_zero_or_negative_refused(increment):
    """PR4 (NJA 20): the court sets a positive increment."""
    refusal = rules.check_increment(D(increment))
    assert (refusal.rule, refusal.field, refusal.code) == ("PR4", "increment", "increment_not_positive")


def test_pr4_smallest_positive_increment_accepted():
    """PR4: one cent is a lawful increment."""
    assert rules.check_increment(CENT) is None


@pytest.mark.parametrize("k", [0, 1, 3, 250])
def test_pr4_first_bid_is_start_plus_whole_increments_k_at_least_0(k):
    """PR4: with no bid yet, start + k × increment for any whole k ≥ 0 is accepted."""
    state = live(start="100000.00", increment="1000.00")
    assert rules.evaluate_bid(state, ORDINARY, str(D("100000.00") + k * D("1000.00")), T0).amount == (
        D("100000.00") + k * D("1000.00")
    )


@pytest.mark.parametrize(("amount", "code"), [("99999.99", BidCode.TOO_LOW), ("0.01", BidCode.TOO_LOW)])
def test_pr4_first_bid_below_start_too_low(amount, code):
    """PR4/PR1: the starting price is the reserve; a cent below it is too low."""
    refusal = refused(live(), ORDINARY, amount)
    assert (refusal.code, refusal.rule, refusal.params) == (code, "PR4", {"minimum": "100000.00"})


@pytest.mark.parametrize("amount", ["100000.01", "100500.00", "100999.99", "101000.01"])
def test_pr4_first_bid_not_a_multiple(amount):
    """PR4: a first bid that is not start + a whole number of increments is refused."""
    refusal = refused(live(), ORDINARY, amount)
    assert (refusal.code, refusal.rule) == (BidCode.NOT_A_MULTIPLE, "PR4")
    assert refusal.params == {"base": "100000.00", "increment": "1000.00"}


@pytest.mark.parametrize("k", [1, 2, 17])
def test_pr4_later_bid_is_current_plus_whole_increments_k_at_least_1(k):
    """PR4: once there is a bid, current + k × increment with k ≥ 1 is accepted."""
    state = live(current="105000.00", leader=9)
    amount = D("105000.00") + k * D("1000.00")
    assert rules.evaluate_bid(state, ORDINARY, str(amount), T0 + SECOND).amount == amount


@pytest.mark.parametrize("amount", ["105000.00", "105999.99", "104000.00"])
def test_pr4_later_bid_below_current_plus_one_increment_too_low(amount):
    """PR4: k = 0 (matching) and anything under current + increment is too low for an ordinary
    bidder."""
    refusal = refused(live(current="105000.00", leader=9), ORDINARY, amount)
    assert (refusal.code, refusal.params) == (BidCode.TOO_LOW, {"minimum": "106000.00"})


@pytest.mark.parametrize("amount", ["106000.01", "106500.00", "106999.99"])
def test_pr4_later_bid_not_a_multiple(amount):
    """PR4: a later bid must step from the current highest bid by whole increments."""
    refusal = refused(live(current="105000.00", leader=9), ORDINARY, amount)
    assert (refusal.code, refusal.params["base"]) == (BidCode.NOT_A_MULTIPLE, "105000.00")


def test_pr4_odd_increment_steps_from_an_odd_start():
    """PR4: multiples are counted from the starting price, so odd amounts work to the cent."""
    state = live(start="99999.99", increment="333.33")
    assert rules.evaluate_bid(state, ORDINARY, "100333.32", T0).amount == D("100333.32")
    assert refused(state, ORDINARY, "100333.33").code == BidCode.NOT_A_MULTIPLE


@pytest.mark.parametrize("amount", ["abc", "-1000", "0", "100000.001", 100000.0, True, "NaN", "1e20", None, ""])
def test_pr4_malformed_amount_refused_as_invalid(amount):
    """PR4: an amount that is not a positive yuan amount with two decimals is invalid_amount."""
    assert refused(live(), ORDINARY, amount).code == BidCode.INVALID_AMOUNT


# --- BI1: bidding period ----------------------------------------------------------------------
def test_bi1_bidding_period_at_least_24_hours():
    """BI1 (NJA 20): bidding lasts at least 24 hours: exactly 24 h passes, one second less fails."""
    assert rules.check_bidding_period(T0, T0 + timedelta(hours=24)) is None
    assert rules.check_bidding_period(T0, T0 + timedelta(hours=24) + SECOND) is None
    refusal = rules.check_bidding_period(T0, T0 + timedelta(hours=24) - SECOND)
    assert (refusal.rule, refusal.field, refusal.code) == ("BI1", "ends_at", "bidding_period_too_short")


def test_bi1_bid_before_start_refused_and_at_start_accepted():
    """BI1: bidding opens at starts_at by the server's receive time: one second early is refused."""
    assert refused(live(), ORDINARY, "100000.00", T0 - SECOND).code == BidCode.NOT_STARTED
    assert rules.evaluate_bid(live(), ORDINARY, "100000.00", T0).amount == D("100000.00")


def test_bi1_announced_round_takes_bids_once_its_time_has_come():
    """BI1/BI2: time decides, not the clock worker: an 'announced' round past its start is open."""
    state = live(status="announced")
    assert rules.evaluate_bid(state, ORDINARY, "100000.00", T0).amount == D("100000.00")


# --- BI2: soft close --------------------------------------------------------------------------
END = T0 + DAY


def test_bi2_bid_exactly_five_minutes_before_end_does_not_extend():
    """BI2 (NJA 20): a bid exactly 5:00 before the end leaves the end unchanged."""
    accepted = rules.evaluate_bid(live(), ORDINARY, "100000.00", END - FIVE_MINUTES)
    assert (accepted.ends_at, accepted.extended) == (END, False)


def test_bi2_bid_five_minutes_one_second_before_end_does_not_extend():
    """BI2: one second earlier than the last five minutes: no change either."""
    accepted = rules.evaluate_bid(live(), ORDINARY, "100000.00", END - FIVE_MINUTES - SECOND)
    assert (accepted.ends_at, accepted.extended) == (END, False)


def test_bi2_bid_four_fifty_nine_before_end_extends_to_receive_plus_five_minutes():
    """BI2: a bid 4:59 before the end moves the end to its receive time + 5 minutes."""
    received = END - timedelta(minutes=4, seconds=59)
    accepted = rules.evaluate_bid(live(), ORDINARY, "100000.00", received)
    assert accepted.extended and accepted.ends_at == received + FIVE_MINUTES == END + SECOND


def test_bi2_bid_one_second_before_end_extends():
    """BI2: the last second before the end still extends, to receive + 5 minutes."""
    accepted = rules.evaluate_bid(live(), ORDINARY, "100000.00", END - SECOND)
    assert accepted.extended and accepted.ends_at == END + timedelta(minutes=4, seconds=59)


def test_bi2_bid_at_the_end_is_refused():
    """BI2: a bid received exactly at the end is too late."""
    refusal = refused(live(), ORDINARY, "100000.00", END)
    assert (refusal.code, refusal.rule) == (BidCode.CLOSED, "BI2")


def test_bi2_bid_after_the_end_is_refused():
    """BI2: a bid received after the end is refused even if no worker has closed the round."""
    assert refused(live(), ORDINARY, "100000.00", END + SECOND).code == BidCode.CLOSED


def test_bi2_bids_of_one_millisecond_are_decided_in_ascending_amount_at_its_boundaries():
    """BI2/PR4: receive time decides to the millisecond; within one, the lower amount goes first."""
    last_of_ms = T0.replace(microsecond=999)  # still the millisecond that starts at T0
    next_ms = T0.replace(microsecond=1000)
    bids = [
        (last_of_ms, "81000.00"),
        (T0, "80500.00"),
        (next_ms, "80000.00"),  # one millisecond later: after both, however low
        (T0, "not money"),
    ]
    ordered = sorted(bids, key=lambda bid: rules.decision_order(*bid))
    assert ordered == [(T0, "not money"), (T0, "80500.00"), (last_of_ms, "81000.00"), (next_ms, "80000.00")]


@pytest.mark.parametrize("status", ["sold", "failed", "withdrawn", "draft", "scheduled"])
def test_bi2_round_not_open_refuses_bids(status):
    """BI2/BI5: a round that is not announced or live takes no bids, whatever the time."""
    assert refused(live(status=status), ORDINARY, "100000.00").code == BidCode.CLOSED


def test_bi2_chain_of_extensions_without_limit():
    """BI2: every bid in the last 5 minutes moves the end again, without limit; the moved end
    is then a hard end (at it: refused; one second before: extends again)."""
    state = live()
    bidders = [BidderState(n, None, True) for n in (1, 2)]
    for n in range(40):
        bidder = bidders[n % 2]
        received = state.ends_at - timedelta(seconds=1 + n % 299)
        amount = (state.current_price or state.starting_price - state.increment) + state.increment
        accepted = rules.evaluate_bid(state, bidder, str(amount), received)
        assert accepted.extended == (received + FIVE_MINUTES > state.ends_at)
        assert accepted.ends_at == max(state.ends_at, received + FIVE_MINUTES)
        state = live(current=amount, leader=bidder.registration_id, ends_at=accepted.ends_at)
    assert state.ends_at > END + timedelta(minutes=30)
    next_bidder = bidders[0] if state.leader_id == 2 else bidders[1]
    assert refused(state, next_bidder, str(state.current_price + state.increment), state.ends_at).code == (
        BidCode.CLOSED
    )
    last = rules.evaluate_bid(state, next_bidder, str(state.current_price + state.increment), state.ends_at - SECOND)
    assert last.ends_at == state.ends_at + timedelta(minutes=4, seconds=59)


@settings(deadline=None, max_examples=200)
@given(
    before_end=st.integers(min_value=1, max_value=24 * 3600),
    extra_minutes=st.integers(min_value=0, max_value=600),
)
def test_bi2_extension_never_shortens_the_end(before_end, extra_minutes):
    """BI2 (property): an accepted bid's end is never earlier than the round's end, and equals
    max(end, receive + 5 minutes)."""
    state = live(ends_at=END + timedelta(minutes=extra_minutes))
    received = state.ends_at - timedelta(seconds=before_end)
    accepted = rules.evaluate_bid(state, ORDINARY, "100000.00", received)
    assert accepted.ends_at >= state.ends_at
    assert accepted.ends_at == max(state.ends_at, received + FIVE_MINUTES)
    assert accepted.extended == (accepted.ends_at != state.ends_at)


# --- BI3, BI5: the result ---------------------------------------------------------------------
def test_bi3_single_bidder_at_starting_price_buys():
    """BI3 (NJA 11): one bidder who bids the starting price buys the lot."""
    accepted = rules.evaluate_bid(live(), ORDINARY, "100000.00", T0)
    assert rules.closing_result(live(current=accepted.amount, leader=1)) == "sold"


def test_bi5_no_valid_bid_fails():
    """BI5: no valid bid at the end means 流拍."""
    assert rules.closing_result(live()) == "failed"


def test_bi5_highest_bid_wins():
    """BI5: with a leader above the start, the round is sold."""
    assert rules.closing_result(live(current="150000.00", leader=3)) == "sold"


def test_bi5_price_without_leader_is_not_a_sale():
    """BI5: a price with no leading registration is no valid bid."""
    assert rules.closing_result(live(current="150000.00", leader=None)) == "failed"


# --- BD1: deposit -----------------------------------------------------------------------------
def test_bd1_deposit_missing_refuses_bid():
    """BD1 (NJA 17, 18): no deposit secured, no bid, even for a perfect amount."""
    refusal = refused(live(), BidderState(1, None, False), "100000.00")
    assert (refusal.code, refusal.rule) == (BidCode.DEPOSIT_MISSING, "BD1")


def test_bd1_deposit_missing_refuses_priority_holder_too():
    """BD1: a priority right does not replace the deposit."""
    assert refused(live(current="100000.00", leader=9), BidderState(1, 1, False), "100000.00").code == (
        BidCode.DEPOSIT_MISSING
    )


def test_pr4_leader_may_not_outbid_itself():
    """PR4: the current leader has nothing to beat; its bid is refused as already_leading."""
    assert refused(live(current="101000.00", leader=1), ORDINARY, "102000.00").code == BidCode.ALREADY_LEADING


# --- BD5: priority rights ---------------------------------------------------------------------
def test_bd5_priority_holder_may_match_ordinary_leader():
    """BD5 (NJA 19, 21): at equal price a holder beats an ordinary bidder, so it may match."""
    state = live(current="105000.00", leader=9, leader_rank=None)
    assert rules.may_match(state, holder(1))
    assert rules.minimum_bid(state, holder(1)) == D("105000.00")
    assert rules.evaluate_bid(state, holder(1), "105000.00", T0 + SECOND).amount == D("105000.00")
    assert refused(state, holder(1), "104999.99").code == BidCode.TOO_LOW


def test_bd5_priority_holder_matching_may_also_add_whole_increments():
    """BD5 + PR4: a holder who may match may also bid current + k × increment."""
    state = live(current="105000.00", leader=9)
    assert rules.evaluate_bid(state, holder(2), "106000.00", T0 + SECOND).amount == D("106000.00")
    assert refused(state, holder(2), "105000.01").code == BidCode.NOT_A_MULTIPLE


def test_bd5_higher_rank_may_match_lower_rank_holder():
    """BD5: a higher rank (smaller number) beats a lower one at equal price, so it may match."""
    state = live(current="105000.00", leader=9, leader_rank=2)
    assert rules.may_match(state, holder(1))
    assert rules.evaluate_bid(state, holder(1), "105000.00", T0 + SECOND).amount == D("105000.00")


def test_bd5_same_rank_may_not_match():
    """BD5: at the same rank the earlier bid wins, so a same-rank holder must outbid."""
    state = live(current="105000.00", leader=9, leader_rank=2)
    assert not rules.may_match(state, holder(2))
    assert rules.minimum_bid(state, holder(2)) == D("106000.00")
    assert refused(state, holder(2), "105000.00").code == BidCode.TOO_LOW


def test_bd5_lower_rank_may_not_match_higher_rank():
    """BD5: a lower rank (larger number) loses at equal price to a higher-ranked leader."""
    state = live(current="105000.00", leader=9, leader_rank=2)
    assert not rules.may_match(state, holder(3))
    assert refused(state, holder(3), "105000.00").code == BidCode.TOO_LOW


@pytest.mark.parametrize("leader_rank", [None, 1])
def test_bd5_ordinary_bidder_may_not_match(leader_rank):
    """BD5: only priority holders may bid equal to the highest bid."""
    state = live(current="105000.00", leader=9, leader_rank=leader_rank)
    assert not rules.may_match(state, ORDINARY)
    assert refused(state, ORDINARY, "105000.00").code == BidCode.TOO_LOW


def test_bd5_no_matching_before_the_first_bid():
    """BD5: with no bid yet there is nothing to match; the holder starts at the starting price."""
    state = live()
    assert not rules.may_match(state, holder(1))
    assert rules.minimum_bid(state, holder(1)) == D("100000.00")


@st.composite
def bid_situations(draw):
    increment = D(draw(st.integers(min_value=1, max_value=500_000))) / 100
    start = D(draw(st.integers(min_value=1, max_value=10**9))) / 100
    has_bid = draw(st.booleans())
    current = start + draw(st.integers(min_value=0, max_value=1000)) * increment if has_bid else None
    state = live(
        start=start,
        increment=increment,
        current=current,
        leader=9 if has_bid else None,
        leader_rank=draw(st.sampled_from([None, 1, 2, 3])) if has_bid else None,
    )
    bidder = BidderState(1, draw(st.sampled_from([None, 1, 2, 3])), True)
    base = current if has_bid else start
    offset = draw(st.one_of(st.just(0), st.integers(min_value=-300, max_value=300)))
    amount = base + draw(st.integers(min_value=-2, max_value=5)) * increment + D(offset) / 100
    return state, bidder, amount


@settings(deadline=None, max_examples=400)
@given(bid_situations())
def test_pr4_bd5_accepted_bid_at_least_minimum_and_whole_increments(situation):
    """PR4, BD5 (property): any accepted bid is ≥ minimum_bid and ≡ base (mod increment)."""
    state, bidder, amount = situation
    try:
        accepted = rules.evaluate_bid(state, bidder, str(amount), T0 + SECOND)
    except BidRefused:
        return
    base = state.starting_price if state.current_price is None else state.current_price
    assert accepted.amount >= rules.minimum_bid(state, bidder)
    assert (accepted.amount - base) % state.increment == 0
    if state.current_price is not None and not rules.may_match(state, bidder):
        assert accepted.amount > state.current_price


# --- RP3, RP4: reference price ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # leap year
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 1, 31), -2, date(2025, 11, 30)),
    ],
)
def test_rp3_add_months_month_end_arithmetic(day, months, expected):
    """RP3 and PD3 count months: a missing day falls back to the month's last day."""
    assert rules.add_months(day, months) == expected


def test_rp3_reference_price_valid_one_year():
    """RP3 (RPR): a reference price is valid for at most one year from its valuation date."""
    assert rules.reference_validity_end(date(2025, 3, 15)) == date(2026, 3, 15)
    assert rules.reference_validity_end(date(2024, 2, 29)) == date(2025, 2, 28)


def test_rp3_first_round_announcement_within_validity():
    """RP3: a first-round announcement on the last valid day passes; the day after fails."""
    assert rules.check_reference_validity(date(2026, 1, 31), date(2026, 1, 31), True) is None
    refusal = rules.check_reference_validity(date(2026, 1, 31), date(2026, 2, 1), True)
    assert (refusal.rule, refusal.field, refusal.code) == ("RP3", "announce_at", "reference_price_expired")


@pytest.mark.parametrize(
    ("valid_until", "grace_end"),
    [
        (date(2026, 8, 31), date(2027, 2, 28)),
        (date(2027, 8, 31), date(2028, 2, 29)),
        (date(2026, 1, 15), date(2026, 7, 15)),
    ],
)
def test_rp3_later_round_up_to_six_months_past_validity(valid_until, grace_end):
    """RP3: a later round may be announced up to six months after the validity ends (month-end
    arithmetic: Aug 31 + 6 months is the end of February); a day later fails."""
    assert rules.check_reference_validity(valid_until, valid_until + DAY, False) is None
    assert rules.check_reference_validity(valid_until, grace_end, False) is None
    assert rules.check_reference_validity(valid_until, grace_end + DAY, False).rule == "RP3"
    assert rules.check_reference_validity_at_sale(valid_until, grace_end) is None
    refusal = rules.check_reference_validity_at_sale(valid_until, grace_end + DAY)
    assert (refusal.rule, refusal.field, refusal.code) == ("RP3", "starts_at", "reference_price_expired_at_sale")


def test_rp3_sale_itself_within_six_months_past_validity():
    """RP3 (RPR 27: "拍卖、变卖时未超过有效期六个月"): a re-auction announced inside the six months
    whose bidding starts after them needs a new reference price. The day is the court's
    (Beijing) calendar day: 23:59:59 on the last day passes, midnight fails, also when the time
    arrives in UTC."""
    grace_end = date(2027, 2, 28)
    last_second = datetime(2027, 2, 28, 23, 59, 59, tzinfo=BEIJING)

    def second_round(starts_at):
        return lawful_terms(
            round_no=2,
            reference_valid_until=date(2026, 8, 31),
            previous_starting_price=D("70000.00"),
            announce_at=starts_at - timedelta(days=10),
            starts_at=starts_at,
            ends_at=starts_at + DAY,
        )

    assert round_rules(second_round(last_second)) == []
    assert round_rules(second_round(last_second + SECOND)) == ["RP3"]
    assert round_rules(second_round(datetime(2027, 2, 28, 16, 0, tzinfo=UTC))) == ["RP3"]  # 00:00 in Beijing
    refusal = rules.check_round_terms(second_round(last_second + SECOND), grace_end - timedelta(days=10))[0]
    assert refusal.field == "starts_at"


def test_rp3_first_round_announced_in_validity_but_sold_too_late():
    """RP3: the six-month limit on the sale applies to a first round too."""
    late = datetime(2027, 8, 1, 10, 0, tzinfo=BEIJING)
    terms = lawful_terms(
        reference_valid_until=date(2027, 1, 31), announce_at=datetime(2027, 1, 31, 9, 0, tzinfo=BEIJING)
    )
    assert round_rules(terms) == []
    assert round_rules(replace(terms, starts_at=late, ends_at=late + DAY)) == ["RP3"]


def test_rp3_one_refusal_when_announcement_already_too_late():
    """RP3: an announcement past the limit is reported once, on the announcement."""
    terms = lawful_terms(reference_valid_until=date(2026, 2, 28))
    refusals = rules.check_round_terms(terms, rules.court_date(terms.announce_at))
    assert [(r.rule, r.field) for r in refusals] == [("RP3", "announce_at")]


def test_rp4_start_reminder_after_10_days():
    """RP4: the sale should start within 10 days of fixing the reference price: day 10 is on
    time, day 11 raises the reminder."""
    fixed = date(2026, 3, 1)
    assert not rules.start_reminder_due(fixed, fixed)
    assert not rules.start_reminder_due(fixed, fixed + timedelta(days=10))
    assert rules.start_reminder_due(fixed, fixed + timedelta(days=11))


def test_check_round_terms_reports_every_broken_rule():
    """AN1, PR1, PR3, PR4, BI1: all refusals come back at once, each naming its rule."""
    terms = lawful_terms(
        starting_price=D("60000.00"),
        deposit=D("1.00"),
        increment=D("0"),
        starts_at=lawful_terms().starts_at - SECOND,
        ends_at=lawful_terms().starts_at + timedelta(hours=23),
    )
    assert round_rules(terms) == ["AN1", "PR1", "PR3", "PR4", "BI1"]


# --- Money parsing ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.50", "12.50"),
        ("  12.50 ", "12.50"),
        ("12.5", "12.50"),
        ("0.01", "0.01"),
        (5, "5.00"),
        (81000, "81000.00"),
        (Decimal("7.1"), "7.10"),
        ("999999999999.99", "999999999999.99"),
    ],
)
def test_parse_amount_accepts_positive_two_decimal_amounts(raw, expected):
    """parse_amount: decimal strings, ints and Decimals become a 2-dp Decimal."""
    parsed = rules.parse_amount(raw)
    assert parsed == D(expected) and str(parsed) == expected


@pytest.mark.parametrize(
    "raw",
    [
        12.5,  # floats never carry money
        1e3,
        "1e3",  # exponents, signs, separators and over-precise spellings are refused, not guessed
        "+5",
        "1_000",
        "1,000",
        "12.500",
        "１２",
        ".5",
        "5.",
        True,
        False,
        "-5",
        "-0.01",
        0,
        "0",
        "0.00",
        "-0",
        "12.345",
        "0.001",
        "1e20",
        10**20,
        "1000000000000.00",  # one cent above the column's range
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        "",
        "   ",
        "abc",
        "12,50",
        "¥12",
        None,
        [],
    ],
)
def test_parse_amount_refuses_everything_else(raw):
    """parse_amount: floats, bools, non-positive, over-precise, absurd and non-numeric → None."""
    assert rules.parse_amount(raw) is None


def test_percent_of_rounds_up_to_the_cent():
    """PR1, PR3: a computed boundary is rounded up, never in the bidder's favour."""
    assert rules.percent_of(D("99999.99"), D("0.70")) == D("70000.00")
    assert rules.percent_of(D("100000.00"), D("0.70")) == D("70000.00")


# --- ST2, ST4: after the auction --------------------------------------------------------------
def test_st2_winner_deposit_counts_towards_the_price():
    """ST2: the winner's deposit becomes part of the price; the balance is the rest."""
    assert rules.balance_due(D("150000.00"), D("20000.00")) == D("130000.00")
    assert rules.balance_due(D("20000.00"), D("20000.00")) == D("0.00")
    assert rules.balance_due(D("19999.99"), D("20000.00")) == D("0.00")


def test_st2_deposits_released_within_24_hours():
    """ST2 (NJA 23): other deposits are released within 24 hours of the end: overdue one second
    after the deadline, not at it."""
    assert rules.deposit_release_deadline(END) == END + timedelta(hours=24)
    assert not rules.deposit_release_overdue(END, END + timedelta(hours=24) - SECOND)
    assert not rules.deposit_release_overdue(END, END + timedelta(hours=24))
    assert rules.deposit_release_overdue(END, END + timedelta(hours=24) + SECOND)


def test_st4_forfeited_deposit_goes_to_costs_then_shortfall_then_debt():
    """ST4 (NJA 24): costs of re-selling first, then the shortfall, then the debt."""
    allocation = rules.allocate_forfeited_deposit(
        D("10000.00"), resale_costs=D("3000.00"), shortfall=D("5000.00"), debt=D("1000000.00")
    )
    assert allocation == rules.ForfeitureAllocation(D("3000.00"), D("5000.00"), D("2000.00"), D("0.00"))


def test_st4_costs_take_everything_when_they_exceed_the_deposit():
    """ST4: nothing reaches the shortfall or the debt before the costs are covered."""
    allocation = rules.allocate_forfeited_deposit(
        D("10000.00"), resale_costs=D("10000.01"), shortfall=D("1"), debt=D("1")
    )
    assert allocation == rules.ForfeitureAllocation(D("10000.00"), D("0.00"), D("0.00"), D("0.00"))


def test_st4_remainder_only_after_costs_shortfall_and_debt():
    """ST4: a remainder exists only once all three are covered; to the cent."""
    exact = rules.allocate_forfeited_deposit(D("10000.00"), resale_costs=D("1000"), shortfall=D("2000"), debt=D("7000"))
    assert exact.remainder == 0 and exact.debt == D("7000")
    over = rules.allocate_forfeited_deposit(D("10000.01"), resale_costs=D("1000"), shortfall=D("2000"), debt=D("7000"))
    assert over.remainder == CENT


def test_st4_shortfall_is_never_negative():
    """ST4: a resale at a higher price leaves no shortfall to cover."""
    assert rules.resale_shortfall(D("150000.00"), D("140000.00")) == D("10000.00")
    assert rules.resale_shortfall(D("150000.00"), D("150000.00")) == D("0.00")
    assert rules.resale_shortfall(D("150000.00"), D("150000.01")) == D("0.00")


@settings(deadline=None, max_examples=200)
@given(
    deposit=st.integers(min_value=0, max_value=10**8),
    costs=st.integers(min_value=0, max_value=10**8),
    shortfall=st.integers(min_value=0, max_value=10**8),
    debt=st.integers(min_value=0, max_value=10**8),
)
def test_st4_allocation_adds_up_in_order(deposit, costs, shortfall, debt):
    """ST4 (property): the shares add up to the deposit, none exceeds its claim, and a later
    claim receives money only when every earlier one is paid in full."""
    cents = [D(n) / 100 for n in (deposit, costs, shortfall, debt)]
    a = rules.allocate_forfeited_deposit(cents[0], resale_costs=cents[1], shortfall=cents[2], debt=cents[3])
    assert a.resale_costs + a.shortfall + a.debt + a.remainder == cents[0]
    assert a.resale_costs <= cents[1] and a.shortfall <= cents[2] and a.debt <= cents[3]
    assert a.shortfall == 0 or a.resale_costs == cents[1]
    assert a.debt == 0 or a.shortfall == cents[2]
    assert a.remainder == 0 or a.debt == cents[3]


# --- FA1, FA2, FA4, FA6, FA7 ------------------------------------------------------------------
def test_fa1_reauction_within_30_days_of_failure():
    """FA1 (NJA 26): after 流拍 the re-auction starts within 30 days: day 30 passes, day 31 fails."""
    failed = date(2026, 3, 1)
    assert rules.reauction_deadline(failed) == date(2026, 3, 31)
    assert rules.check_reauction_deadline(failed, failed) is None
    assert rules.check_reauction_deadline(failed, date(2026, 3, 31)) is None
    refusal = rules.check_reauction_deadline(failed, date(2026, 4, 1))
    assert (refusal.rule, refusal.field, refusal.code) == ("FA1", "starts_at", "reauction_too_late")
    assert refusal.params == {"date": "2026-03-31"}


SALE_START = datetime(2026, 6, 1, 10, 0, tzinfo=BEIJING)


def sale(**changes) -> list[rules.Refusal]:
    """FA2 refusals for a lawful 变卖 after a failed second round, with `changes` applied."""
    terms = {
        "price": D("56000.00"),
        "last_starting_price": D("56000.00"),
        "last_round_no": 2,
        "starts_at": SALE_START,
        "ends_at": SALE_START + timedelta(days=60),
    }
    terms.update(changes)
    return rules.check_sale_terms(**terms)


def sale_codes(**changes) -> list[str]:
    return [refusal.code for refusal in sale(**changes)]


def test_fa2_sale_at_the_last_starting_price():
    """FA2 (AVS): 变卖 is at the last starting price: a cent less or more is refused."""
    assert sale_codes() == []
    assert sale_codes(price=D("55999.99")) == ["sale_price_not_last_start"]
    assert sale_codes(price=D("56000.01")) == ["sale_price_not_last_start"]
    refusal = sale(price=D("55999.99"))[0]
    assert (refusal.rule, refusal.field, refusal.params) == ("FA2", "starting_price", {"price": "56000.00"})


def test_fa2_sale_runs_60_days():
    """FA2: the 变卖 period is 60 days: a second short or long is refused."""
    assert rules.sale_ends_at(SALE_START) == SALE_START + timedelta(days=60)
    assert sale_codes(ends_at=SALE_START + timedelta(days=60) - SECOND) == ["sale_period_not_60_days"]
    assert sale_codes(ends_at=SALE_START + timedelta(days=60) + SECOND) == ["sale_period_not_60_days"]


def test_fa2_sale_only_after_a_failed_reauction():
    """FA2: 变卖 follows a failed re-auction (round 2 or later), not a failed first round."""
    assert sale_codes(last_round_no=3) == []
    assert sale_codes(last_round_no=1) == ["sale_before_reauction"]
    assert sale(last_round_no=1)[0].rule == "FA2"


def test_fa2_buyer_pays_full_price_up_front():
    """FA2: a 变卖 buyer pays the whole price; a cent short is refused."""
    assert rules.check_sale_payment(D("56000.00"), D("56000.00")) is None
    assert rules.check_sale_payment(D("56000.01"), D("56000.00")) is None
    refusal = rules.check_sale_payment(D("55999.99"), D("56000.00"))
    assert (refusal.rule, refusal.code, refusal.params) == ("FA2", "sale_not_paid_in_full", {"price": "56000.00"})


def test_fa4_resume_within_5_days_of_the_cause_ending():
    """FA4 (NJA 28): bidding resumes within 5 days once the suspension's cause ends."""
    ended = date(2026, 2, 26)
    assert rules.resume_deadline(ended) == date(2026, 3, 3)
    assert rules.check_resume_deadline(ended, date(2026, 3, 3)) is None
    refusal = rules.check_resume_deadline(ended, date(2026, 3, 4))
    assert (refusal.rule, refusal.field, refusal.code) == ("FA4", "resumes_at", "resume_too_late")


def test_fa4_suspended_round_refuses_bids():
    """FA4: while suspended, bids are refused with auction_suspended."""
    refusal = refused(live(status="suspended"), ORDINARY, "100000.00")
    assert (refusal.code, refusal.rule) == (BidCode.SUSPENDED, "FA4")


def test_fa6_remaining_lots_stop_once_proceeds_cover_debt_and_costs():
    """FA6 (AVS): proceeds equal to debt + costs stop the rest; a cent less does not."""
    assert rules.remaining_lots_must_stop(D("1050000.00"), D("1000000.00"), D("50000.00"))
    assert rules.remaining_lots_must_stop(D("1050000.01"), D("1000000.00"), D("50000.00"))
    assert not rules.remaining_lots_must_stop(D("1049999.99"), D("1000000.00"), D("50000.00"))


def test_fa7_outage_in_final_five_minutes_gives_full_window_after_recovery():
    """FA7: an outage inside the final 5 minutes moves the end to recovery + 5 minutes."""
    assert rules.outage_extended_end(END, END - timedelta(minutes=3), END - timedelta(minutes=1)) == (
        END + timedelta(minutes=4)
    )


def test_fa7_outage_ending_exactly_when_final_window_opens_changes_nothing():
    """FA7: an outage that ends exactly 5:00 before the end left a full window: no change; one
    that ends 4:59 before moves the end by one second."""
    assert rules.outage_extended_end(END, END - timedelta(hours=1), END - FIVE_MINUTES) == END
    assert rules.outage_extended_end(END, END - timedelta(hours=1), END - FIVE_MINUTES + SECOND) == END + SECOND


def test_fa7_outage_starting_at_or_after_the_end_changes_nothing():
    """FA7: bidding had ended before an outage that starts at the end; one second earlier counts."""
    assert rules.outage_extended_end(END, END, END + timedelta(minutes=10)) == END
    assert rules.outage_extended_end(END, END - SECOND, END + timedelta(minutes=10)) == END + timedelta(minutes=15)


def test_fa7_outage_must_end_after_it_starts():
    """FA7: an outage is a real interval."""
    with pytest.raises(ValueError):
        rules.outage_extended_end(END, END - SECOND, END - SECOND)


@settings(deadline=None, max_examples=300)
@given(
    start_offset=st.integers(min_value=-3600, max_value=3600),
    length=st.integers(min_value=1, max_value=7200),
)
def test_fa7_extension_never_shortens_and_leaves_five_minutes(start_offset, length):
    """FA7 (property): the end never moves earlier; after an overlapping outage at least five
    minutes remain after recovery."""
    started = END + timedelta(seconds=start_offset)
    ended = started + timedelta(seconds=length)
    new_end = rules.outage_extended_end(END, started, ended)
    assert new_end >= END
    if started < END and ended > END - FIVE_MINUTES:
        assert new_end - ended == FIVE_MINUTES


# --- PD3, PD4: disclosure ---------------------------------------------------------------------
def test_pd3_party_access_ends_one_month_after_closing():
    """PD3 (JLP 4): online queries stay open until one month after the case closes."""
    closed = date(2026, 1, 31)
    assert rules.party_access_ends(closed) == date(2026, 2, 28)
    assert rules.party_access_open(closed, closed)
    assert rules.party_access_open(closed, date(2026, 2, 28))
    assert not rules.party_access_open(closed, date(2026, 3, 1))
    assert rules.party_access_open(None, date(2030, 1, 1))


def test_pd4_shielding_within_5_working_days():
    """PD4 (JLP 12): closed on a Monday → shielded by the next Monday; closed on a Friday → by
    the next Friday; weekends do not count."""
    assert rules.shielding_deadline(date(2026, 3, 2)) == date(2026, 3, 9)
    assert rules.shielding_deadline(date(2026, 3, 6)) == date(2026, 3, 13)
    assert rules.shielding_deadline(date(2026, 3, 7)) == date(2026, 3, 13)  # closed on a Saturday


def test_pd4_shielding_follows_the_holiday_calendar():
    """PD4: public holidays do not count; weekend days made working days (调休) do."""
    holidays = frozenset(date(2026, 10, day) for day in range(1, 9))
    workdays = frozenset({date(2026, 10, 10)})
    assert rules.shielding_deadline(date(2026, 9, 30)) == date(2026, 10, 7)
    assert rules.shielding_deadline(date(2026, 9, 30), holidays=holidays, workdays=workdays) == date(2026, 10, 14)
    assert rules.shielding_deadline(date(2026, 9, 30), holidays=holidays) == date(2026, 10, 15)


def test_pd4_working_day_calendar():
    """PD4: Monday–Friday work unless a holiday; a 调休 Saturday works."""
    assert rules.is_working_day(date(2026, 3, 6))
    assert not rules.is_working_day(date(2026, 3, 7))
    assert not rules.is_working_day(date(2026, 10, 1), holidays=frozenset({date(2026, 10, 1)}))
    assert rules.is_working_day(date(2026, 10, 10), workdays=frozenset({date(2026, 10, 10)}))

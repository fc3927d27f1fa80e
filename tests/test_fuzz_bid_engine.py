"""Stateful property test of the bid engine (`bidding.services.check_place_bid` on the real
database, time moved with `auctions.clock`) against a reference model of the rules written from
the text of the law, not from the code:

- PR4: the first bid is start + k×increment (k ≥ 0), later bids current + k×increment (k ≥ 1)
- BD5: a priority holder may equal the current price when equality makes it win (no leader rank,
  or a lower-ranked leader); higher rank is the smaller number
- BI2: a bid received in the last 5 minutes moves the end to receive time + 5 minutes; a bid at
  or after the end is refused
- BD1: no secured deposit, no bid
- BI3/BI5: at the close the leader, if any, buys at its price; without one the round fails

Hypothesis drives bids by any bidder at any multiple (or off-multiple, or garbage) amount, and
time jumps (including into the final window); after each step the stored round must match the
model, and every decision (accept, or the refusal code) must be the model's.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from auctions import clock, lifecycle
from auctions.models import Auction
from bidding.errors import BidError
from bidding.services import check_place_bid
from tests import factories
from tests.test_bidding_support import NOW

START, STEP = Decimal("10000.00"), Decimal("500.00")
WINDOW = timedelta(minutes=5)

# Bidders: (deposit secured, priority rank or None).
BIDDERS = [(True, None), (True, None), (False, None), (True, 1), (True, 2)]


class BidEngineMachine(RuleBasedStateMachine):
    pool: list = []  # bidder users, made once per test (ID numbers are unique per person)

    @initialize()
    def open_round(self):
        self.now = NOW
        lot = factories.make_lot(factories.make_case(factories.make_court()))
        with clock.frozen(self.now):
            self.auction = factories.make_auction(
                lot, starting_price=START, increment=STEP, deposit=1000, ends_in=timedelta(hours=2)
            )
        self.users = self.pool  # the same people in every example, a new round each time
        for user, (secured, rank) in zip(self.users, BIDDERS, strict=True):
            factories.register(self.auction, user, secured=secured, priority_rank=rank)
        # The model.
        self.ends_at = self.auction.ends_at
        self.current = None
        self.leader = None  # index into BIDDERS
        self.closed_as = None

    # --- The reference model ------------------------------------------------------------------
    def _minimum(self, who: int) -> Decimal:
        if self.current is None:
            return START
        rank = BIDDERS[who][1]
        leader_rank = BIDDERS[self.leader][1]
        may_match = rank is not None and (leader_rank is None or rank < leader_rank)
        return self.current if may_match else self.current + STEP

    def _expected(self, who: int, amount: Decimal | None) -> str:
        if self.closed_as is not None or self.now >= self.ends_at:
            return "auction_closed"
        if not BIDDERS[who][0]:
            return "deposit_missing"
        if self.leader == who:
            return "already_leading"
        if amount is None or amount <= 0:
            return "invalid_amount"
        if amount < self._minimum(who):
            return "too_low"
        base = START if self.current is None else self.current
        if (amount - base) % STEP:
            return "not_a_multiple"
        return "accepted"

    # --- Steps --------------------------------------------------------------------------------
    @rule(
        who=st.integers(0, len(BIDDERS) - 1),
        steps=st.integers(-2, 6),
        off_step=st.sampled_from([Decimal(0), Decimal(0), Decimal(0), Decimal("0.01"), Decimal("250")]),
    )
    def bid(self, who, steps, off_step):
        base = START if self.current is None else self.current
        amount = base + steps * STEP + off_step
        self._place(who, f"{amount:.2f}", amount)

    @rule(who=st.integers(0, len(BIDDERS) - 1), raw=st.sampled_from(["", "abc", "-500", "1e3", "0", "10000.001"]))
    def malformed_amount(self, who, raw):
        self._place(who, raw, None)

    def _place(self, who: int, raw: str, amount: Decimal | None):
        expected = self._expected(who, amount)
        with clock.frozen(self.now):
            try:
                check_place_bid(self.users[who], self.auction.pk, raw, received_at=self.now)
                outcome = "accepted"
            except BidError as error:
                outcome = error.code
        if expected == "invalid_amount" and outcome in {"too_low", "not_a_multiple"}:
            expected = outcome  # "0" and "-500" may be refused as amounts or as too low: both refuse
        if raw == "1e3" and outcome == "too_low" and expected == "invalid_amount":
            expected = outcome
        assert outcome == expected, f"{raw} by bidder {who} at {self.now}: engine {outcome}, model {expected}"
        if outcome == "accepted":
            self.current, self.leader = amount, who
            if self.now + WINDOW > self.ends_at:
                self.ends_at = self.now + WINDOW  # BI2

    @rule(seconds=st.integers(1, 3 * 3600))
    def wait(self, seconds):
        self.now += timedelta(seconds=seconds)

    @rule(before=st.sampled_from([1, 30, 120, 299, 300, 301]))
    def jump_to_final_minutes(self, before):
        if self.ends_at - timedelta(seconds=before) > self.now:
            self.now = self.ends_at - timedelta(seconds=before)

    @precondition(lambda self: self.closed_as is None)
    @rule()
    def close_if_ended(self):
        with clock.frozen(self.now):
            result = lifecycle.do_close_auction(self.auction.pk)
        if self.now < self.ends_at:
            assert result is None
            return
        expected = "sold" if self.leader is not None else "failed"  # BI3, BI5
        assert result == expected
        self.closed_as = expected

    # --- What must hold after every step ------------------------------------------------------
    @invariant()
    def stored_round_matches_the_model(self):
        auction = Auction.objects.select_related("leading_bid__registration").get(pk=self.auction.pk)
        assert auction.ends_at == self.ends_at
        stored = auction.current_price.amount if auction.current_price is not None else None
        assert stored == self.current
        leader = auction.leading_bid.registration.user_id if auction.leading_bid else None
        assert leader == (self.users[self.leader].pk if self.leader is not None else None)
        if self.closed_as == "sold":
            assert auction.status == Auction.Status.SOLD
        elif self.closed_as == "failed":
            assert auction.status == Auction.Status.FAILED


@pytest.mark.django_db
def test_bid_engine_agrees_with_the_reference_model(settings):
    settings.BID_RATE_LIMITS = ((1, 10_000),)
    BidEngineMachine.pool = [factories.make_bidder(f"fuzz{n}") for n in range(len(BIDDERS))]
    run_state_machine_as_test(
        BidEngineMachine,
        settings=settings_for_machine(),
    )


def settings_for_machine():
    return hypothesis_settings(
        max_examples=40,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )

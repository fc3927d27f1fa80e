"""The auction clock: rounds open at their start and close at their end (extensions included),
idempotently and safely with two clocks; closing decides sold or failed (BI3, BI5, BD5) and hands
off once; suspension and resumption (FA4). Disposal steps are recorded (PD5)."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from auctions import clock, lifecycle
from auctions.models import Auction, AuctionEvent
from bidding.bidlog import genesis_hash
from bidding.errors import BidError
from bidding.services import check_place_bid
from lots.models import DisposalRecord, Lot
from tests import factories
from tests.test_bidding_support import (
    NOW,
    bid,
    bidder,
    make_round,
)


@pytest.fixture
def handoffs(monkeypatch):
    calls = []
    monkeypatch.setattr("auctions.handoff.round_closed", lambda auction: calls.append(auction.pk))
    return calls


def events(auction) -> list:
    return list(AuctionEvent.objects.filter(auction=auction).order_by("seq").values_list("seq", "kind"))


def steps(auction) -> list:
    return list(DisposalRecord.objects.filter(auction=auction).order_by("id").values_list("kind", flat=True))


# --- Opening ----------------------------------------------------------------------------------
def test_bi1_open_due_rounds_opens_an_announced_round_at_its_start(lot):
    auction = make_round(lot, status=Auction.Status.ANNOUNCED, starts_in=timedelta(minutes=10))
    with clock.frozen(auction.starts_at - timedelta(milliseconds=1)):
        assert lifecycle.open_due_rounds() == 0
    with clock.frozen(auction.starts_at):
        assert lifecycle.open_due_rounds() == 1
        assert lifecycle.open_due_rounds() == 0  # idempotent
    auction.refresh_from_db()
    assert auction.status == Auction.Status.LIVE
    assert events(auction) == [(1, "started")]
    assert steps(auction) == [DisposalRecord.Kind.ROUND_STARTED]


# --- Closing ----------------------------------------------------------------------------------
def test_bi3_a_single_bid_at_the_starting_price_buys_the_lot(lot, handoffs):
    auction = make_round(lot)
    alice = bidder(auction, "alice")
    bid(alice, auction, "80000")
    with clock.frozen(auction.ends_at):
        assert lifecycle.do_close_auction(auction.pk) == "sold"
    auction.refresh_from_db()
    lot.refresh_from_db()
    assert (auction.status, auction.closed_at) == (Auction.Status.SOLD, auction.ends_at)
    assert lot.status == Lot.Status.SOLD
    closed = AuctionEvent.objects.get(auction=auction, kind="closed")
    code = auction.leading_bid.registration.code
    assert closed.payload == {
        "result": "sold",
        "price": "80000.00",
        "code": code,
        "final_hash": auction.bid_log_head,
        "bid_count": 1,
    }
    record = DisposalRecord.objects.get(auction=auction, kind=DisposalRecord.Kind.ROUND_SOLD)
    assert record.amount.amount == Decimal("80000.00") and record.detail["code"] == code
    assert handoffs == [auction.pk]


def test_bi5_no_valid_bid_means_the_round_fails(lot, handoffs):
    auction = make_round(lot)
    with clock.frozen(auction.ends_at):
        assert lifecycle.do_close_auction(auction.pk) == "failed"
    auction.refresh_from_db()
    lot.refresh_from_db()
    assert auction.status == Auction.Status.FAILED and lot.status == Lot.Status.LISTED
    closed = AuctionEvent.objects.get(auction=auction, kind="closed")
    assert closed.payload["result"] == "failed" and closed.payload["price"] is None
    assert closed.payload["final_hash"] == genesis_hash(auction.pk)  # the empty record's head
    assert steps(auction) == [DisposalRecord.Kind.ROUND_FAILED]
    assert handoffs == [auction.pk]


def test_bi5_bd5_the_matching_priority_holder_wins_at_the_close(lot, handoffs):
    auction = make_round(lot)
    alice, pat = bidder(auction, "alice"), bidder(auction, "pat", priority_rank=1)
    bid(alice, auction, "85000")
    matched = bid(pat, auction, "85000")
    with clock.frozen(auction.ends_at):
        lifecycle.do_close_auction(auction.pk)
    assert AuctionEvent.objects.get(auction=auction, kind="closed").payload["code"] == matched.code


def test_bi2_a_round_is_not_closed_before_its_extended_end(lot, handoffs):
    auction = make_round(lot)
    alice = bidder(auction, "alice")
    original_end = auction.ends_at
    bid(alice, auction, "80000", at=original_end - timedelta(seconds=30))
    with clock.frozen(original_end + timedelta(seconds=1)):
        assert lifecycle.close_due_rounds() == 0
        assert lifecycle.do_close_auction(auction.pk) is None
    auction.refresh_from_db()
    with clock.frozen(auction.ends_at + lifecycle.CLOSE_GRACE):
        assert lifecycle.close_due_rounds() == 1
    assert handoffs == [auction.pk]


def test_bi2_the_clock_waits_a_moment_past_the_end_for_bids_received_before_it(lot, handoffs):
    """A bid received before the end may still be queued for the lock; the clock gives it
    CLOSE_GRACE, which keeps the close well within one second of the end."""
    auction = make_round(lot)
    with clock.frozen(auction.ends_at):
        assert lifecycle.close_due_rounds() == 0
    with clock.frozen(auction.ends_at + lifecycle.CLOSE_GRACE):
        assert lifecycle.close_due_rounds() == 1
    assert lifecycle.CLOSE_GRACE + timedelta(seconds=0.25) < timedelta(seconds=1)


def test_closing_is_idempotent(lot, handoffs):
    auction = make_round(lot)
    with clock.frozen(auction.ends_at + timedelta(seconds=1)):
        assert lifecycle.close_due_rounds() == 1
        assert lifecycle.close_due_rounds() == 0
        assert lifecycle.do_close_auction(auction.pk) is None
    assert events(auction) == [(1, "closed")]
    assert handoffs == [auction.pk]


def test_an_announced_round_whose_whole_period_passed_closes_as_failed(lot, handoffs):
    auction = make_round(lot, status=Auction.Status.ANNOUNCED)
    with clock.frozen(auction.ends_at + timedelta(minutes=1)):
        assert lifecycle.open_due_rounds() == 0
        assert lifecycle.close_due_rounds() == 1
    auction.refresh_from_db()
    assert auction.status == Auction.Status.FAILED


def test_a_bid_after_the_close_is_refused(lot, handoffs):
    auction = make_round(lot)
    alice = bidder(auction, "alice")
    with clock.frozen(auction.ends_at):
        lifecycle.do_close_auction(auction.pk)
    with pytest.raises(BidError) as caught:
        bid(alice, auction, "80000", at=auction.ends_at - timedelta(minutes=1))  # even with an early time
    assert caught.value.code == "auction_closed"


# --- The command ------------------------------------------------------------------------------
def test_clock_command_once_publishes_opens_and_closes(lot, handoffs, monkeypatch):
    published = []
    monkeypatch.setattr("auctions.services.publish_due_announcements", lambda: published.append(1) or 0)
    opening = make_round(lot, status=Auction.Status.ANNOUNCED, starts_in=timedelta(minutes=-1))
    closing = make_round(factories.make_lot(lot.case), ends_in=timedelta(minutes=-1))
    with clock.frozen(NOW):
        call_command("auction_clock", "--once")
    opening.refresh_from_db()
    closing.refresh_from_db()
    assert (opening.status, closing.status) == (Auction.Status.LIVE, Auction.Status.FAILED)
    assert published == [1]


def test_clock_command_logs_a_failing_step_and_goes_on(lot, handoffs, monkeypatch, caplog):
    def broken():
        raise RuntimeError("announcements are broken")

    monkeypatch.setattr("auctions.services.publish_due_announcements", broken)
    closing = make_round(lot, ends_in=timedelta(minutes=-1))
    with clock.frozen(NOW):
        call_command("auction_clock", "--once")
    closing.refresh_from_db()
    assert closing.status == Auction.Status.FAILED
    assert "announcements are broken" in caplog.text


def test_the_clock_wakes_at_the_next_round_due_and_not_for_rounds_already_due(lot):
    """The clock sleeps until the next start, or the next end plus the grace, whichever is first;
    a round already due is left to the tick (it may be held, FA7) and never makes it spin."""
    grace, ms = lifecycle.CLOSE_GRACE, timedelta(milliseconds=1)
    closing = make_round(lot, ends_in=timedelta(seconds=10))
    assert lifecycle.next_transition_at(closing.ends_at - ms) == closing.ends_at + grace
    assert lifecycle.next_transition_at(closing.ends_at + grace - ms) == closing.ends_at + grace
    assert lifecycle.next_transition_at(closing.ends_at + grace) is None  # due: the tick's
    opening = make_round(factories.make_lot(lot.case), status=Auction.Status.ANNOUNCED, starts_in=timedelta(seconds=5))
    assert lifecycle.next_transition_at(opening.starts_at - ms) == opening.starts_at
    assert lifecycle.next_transition_at(opening.starts_at) == closing.ends_at + grace
    Auction.objects.filter(pk=closing.pk).update(status=Auction.Status.FAILED)
    assert lifecycle.next_transition_at(opening.starts_at) == opening.ends_at + grace


def test_the_clock_sleeps_the_rest_of_its_tick_or_until_the_next_round_due(lot):
    from auctions.management.commands.auction_clock import Command

    closing = make_round(lot, ends_in=timedelta(seconds=10))
    due = closing.ends_at + lifecycle.CLOSE_GRACE
    with clock.frozen(due - timedelta(milliseconds=100)):
        assert Command().pause(0.25) == pytest.approx(0.1)
    with clock.frozen(due - timedelta(seconds=1)):
        assert Command().pause(0.25) == 0.25
    with clock.frozen(due):
        assert Command().pause(-0.5) == 0.0  # a tick that overran: no sleep, never negative


def wait_for(condition, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_two_clock_processes_close_a_round_once_within_a_second(live_processes):
    """Two real clock workers against the same database: the round closes once, on time."""
    lot = factories.make_lot(factories.make_case(factories.make_court()))
    auction = factories.make_auction(lot, ends_in=timedelta(hours=1))
    alice = factories.make_bidder("alice")
    factories.register(auction, alice, secured=True)
    check_place_bid(alice, auction.pk, "80000", "")
    canary = factories.make_auction(factories.make_lot(lot.case), status=Auction.Status.ANNOUNCED)
    live_processes.command("auction_clock")
    live_processes.command("auction_clock")
    wait_for(lambda: Auction.objects.get(pk=canary.pk).status == Auction.Status.LIVE)
    time.sleep(2)  # the second worker is up too by now
    # Move the end close (no bid follows, so nothing extends it) and measure the close lag.
    Auction.objects.filter(pk=auction.pk).update(ends_at=clock.now() + timedelta(seconds=2))
    wait_for(lambda: Auction.objects.get(pk=auction.pk).status == Auction.Status.SOLD)
    auction.refresh_from_db()
    assert auction.closed_at - auction.ends_at < timedelta(seconds=1)
    assert [kind for _seq, kind in events(auction)] == ["bid", "closed"]
    assert steps(auction).count(DisposalRecord.Kind.ROUND_SOLD) == 1


# --- Suspension (FA4) and withdrawal (FA5) ---------------------------------------------------
def test_fa4_suspending_publishes_the_reason_and_refuses_bids(lot, clerk, handoffs):
    auction = make_round(lot)
    alice = bidder(auction, "alice")
    with clock.frozen(auction.ends_at - timedelta(hours=2)):
        lifecycle.suspend_round(auction.pk, clerk.user, "案外人提出异议")
    auction.refresh_from_db()
    assert auction.status == Auction.Status.SUSPENDED
    assert AuctionEvent.objects.get(auction=auction, kind="suspended").payload["reason"] == "案外人提出异议"
    record = DisposalRecord.objects.get(auction=auction, kind=DisposalRecord.Kind.ROUND_SUSPENDED)
    assert record.detail["remaining_seconds"] == 7200 and record.actor == clerk.user
    with pytest.raises(BidError) as caught:
        bid(alice, auction, "80000", at=auction.ends_at - timedelta(hours=1))
    assert caught.value.code == "auction_suspended"
    with clock.frozen(auction.ends_at + timedelta(hours=1)):
        assert lifecycle.close_due_rounds() == 0  # a suspended round is not closed


@pytest.mark.parametrize(
    ("left_at_suspension", "left_after_resume"),
    [(timedelta(hours=2), timedelta(hours=2)), (timedelta(seconds=30), timedelta(minutes=5))],
)
def test_fa4_resuming_restores_the_time_left_and_at_least_five_minutes(
    lot, clerk, left_at_suspension, left_after_resume
):
    auction = make_round(lot)
    with clock.frozen(auction.ends_at - left_at_suspension):
        lifecycle.suspend_round(auction.pk, clerk.user, "暂缓")
    resumed_at = auction.ends_at + timedelta(days=3)
    with clock.frozen(resumed_at):
        lifecycle.resume_round(auction.pk, clerk.user)
    auction.refresh_from_db()
    assert auction.status == Auction.Status.LIVE and auction.ends_at == resumed_at + left_after_resume
    assert [kind for _seq, kind in events(auction)] == ["suspended", "resumed"]
    assert steps(auction)[-1] == DisposalRecord.Kind.ROUND_RESUMED


def test_fa4_a_round_suspended_before_its_start_is_announced_again(lot, clerk):
    auction = make_round(lot, status=Auction.Status.ANNOUNCED, starts_in=timedelta(days=2))
    end = auction.ends_at
    with clock.frozen(NOW):
        lifecycle.suspend_round(auction.pk, clerk.user, "暂缓")
        lifecycle.resume_round(auction.pk, clerk.user)
    auction.refresh_from_db()
    assert (auction.status, auction.ends_at) == (Auction.Status.ANNOUNCED, end)


def test_fa4_only_staff_of_the_court_with_a_reason_may_suspend(lot, clerk, clerk_b, charlie):
    auction = make_round(lot)
    for actor, reason, code in [
        (clerk.user, " ", "reason_required"),
        (clerk_b.user, "暂缓", "forbidden"),
        (charlie, "暂缓", "forbidden"),
    ]:
        with pytest.raises(BidError) as caught, clock.frozen(NOW):
            lifecycle.suspend_round(auction.pk, actor, reason)
        assert caught.value.code == code
    with pytest.raises(BidError) as caught, clock.frozen(NOW):
        lifecycle.resume_round(auction.pk, clerk.user)
    assert caught.value.code == "wrong_status"
    auction.refresh_from_db()
    assert auction.status == Auction.Status.LIVE and not steps(auction)


@pytest.mark.parametrize("status", [Auction.Status.ANNOUNCED, Auction.Status.LIVE, Auction.Status.SUSPENDED])
def test_fa5_withdrawing_publishes_the_reason_and_hands_off_for_deposit_release(lot, clerk, handoffs, status):
    auction = make_round(lot, status=status)
    with clock.frozen(NOW):
        lifecycle.withdraw_round(auction.pk, clerk.user, "被执行人已履行全部债务")
    auction.refresh_from_db()
    assert (auction.status, auction.closed_at) == (Auction.Status.WITHDRAWN, NOW)
    event = AuctionEvent.objects.get(auction=auction, kind="withdrawn")
    assert event.payload == {"status": "withdrawn", "reason": "被执行人已履行全部债务"}
    assert steps(auction) == [DisposalRecord.Kind.ROUND_WITHDRAWN]
    assert handoffs == [auction.pk]
    with clock.frozen(NOW), pytest.raises(BidError) as caught:
        lifecycle.withdraw_round(auction.pk, clerk.user, "again")
    assert caught.value.code == "wrong_status"

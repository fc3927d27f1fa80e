"""PD5 for the steps before and at the close: each written by the service that takes it, in its
own transaction, with the moment it happened, who acted (the clerk, or the platform's clock) and
the amount: reference price, announcement, start, suspension and resumption (FA4), extension (BI2),
sale, default (ST4), withdrawal (FA5) and 流拍."""

from datetime import timedelta
from decimal import Decimal

import pytest

from auctions import clock, lifecycle
from auctions import services as auction_services
from bidding.services import check_place_bid
from lots import services as lot_services
from lots.models import DisposalRecord
from payments.models import Settlement
from payments.settlement import confirm_default
from tests import factories
from tests.results_support import buyer_with_deposit

K = DisposalRecord.Kind


def only(auction, kind) -> DisposalRecord:
    return DisposalRecord.objects.get(auction=auction, kind=kind)


def who(record) -> tuple:
    return record.at, record.actor, record.amount.amount if record.amount is not None else None


@pytest.fixture
def t0():
    return (clock.now() + timedelta(days=40)).replace(microsecond=0)


def scheduled(lot, clerk, t0):
    """A round scheduled and its announcement published by the clerk 31 days before it starts."""
    announce_at = t0 - timedelta(days=31)
    with clock.frozen(announce_at):
        auction = auction_services.schedule_round(
            lot,
            clerk.user,
            starting_price=80_000,
            increment=1_000,
            deposit=10_000,
            announce_at=announce_at,
            starts_at=t0,
            ends_at=t0 + timedelta(days=1),
            balance_due_at=t0 + timedelta(days=10),
        )
        auction_services.publish_announcement(auction, clerk.user)
    return auction


def test_pd5_each_step_of_a_round_has_its_time_actor_and_amount(lot, clerk, t0):
    priced_at = t0 - timedelta(days=35)
    with clock.frozen(priced_at):
        lot_services.set_reference_price(
            lot, clerk.user, method="online", value=Decimal("100000"), valuation_date=priced_at.date()
        )
    price = DisposalRecord.objects.get(lot=lot, kind=K.REFERENCE_PRICE_SET)
    assert who(price) == (priced_at, clerk.user, 100_000) and price.actor_label == clerk.name

    auction = scheduled(lot, clerk, t0)
    assert who(only(auction, K.ANNOUNCEMENT_PUBLISHED)) == (t0 - timedelta(days=31), clerk.user, None)
    with clock.frozen(t0 - timedelta(days=1)):
        user, registration = buyer_with_deposit(auction, "buyer_he", "何十三")

    with clock.frozen(t0):
        assert lifecycle.do_open_round(auction.pk)
    started = only(auction, K.ROUND_STARTED)
    assert who(started) == (t0, None, None) and started.actor_label == "系统"

    with clock.frozen(t0 + timedelta(minutes=10)):
        lifecycle.suspend_round(auction.pk, clerk.user, "案外人提出异议")
    suspended = only(auction, K.ROUND_SUSPENDED)
    assert who(suspended) == (t0 + timedelta(minutes=10), clerk.user, None)
    assert (
        suspended.detail["reason"] == "案外人提出异议" and suspended.detail["remaining_seconds"] == (24 * 60 - 10) * 60
    )
    with clock.frozen(t0 + timedelta(minutes=20)):
        lifecycle.resume_round(auction.pk, clerk.user)
    assert who(only(auction, K.ROUND_RESUMED)) == (t0 + timedelta(minutes=20), clerk.user, None)
    ends_at = t0 + timedelta(days=1, minutes=10)  # the time left at the suspension is restored (FA4)

    bid_at = ends_at - timedelta(minutes=2)
    with clock.frozen(bid_at):
        check_place_bid(user, auction.pk, "80000")
    extended = only(auction, K.ROUND_EXTENDED)
    assert who(extended) == (bid_at, None, 80_000) and extended.detail["code"] == registration.code

    closed_at = bid_at + timedelta(minutes=5, seconds=1)
    with clock.frozen(closed_at):
        assert lifecycle.do_close_auction(auction.pk) == "sold"
    sold = only(auction, K.ROUND_SOLD)
    assert who(sold) == (closed_at, None, 80_000) and sold.detail["code"] == registration.code
    assert who(only(auction, K.CONFIRMATION_ISSUED)) == (closed_at, None, 80_000)
    assert who(only(auction, K.DEPOSIT_APPLIED)) == (closed_at, None, 10_000)

    settlement = Settlement.objects.get(auction=auction)
    default_at = settlement.balance_due_at + timedelta(minutes=1)
    with clock.frozen(default_at):
        confirm_default(settlement.pk, clerk.user, resale_costs="1500", shortfall="0", debt="0")
    forfeited = only(auction, K.DEPOSIT_FORFEITED)
    assert who(forfeited) == (default_at, clerk.user, 10_000) and forfeited.detail["resale_costs"] == "1500.00"


def test_pd5_withdrawal_and_failure_have_their_time_and_actor(case, clerk, t0):
    withdrawn = scheduled(factories.make_lot(case), clerk, t0)
    with clock.frozen(t0 - timedelta(days=2)):
        lifecycle.withdraw_round(withdrawn.pk, clerk.user, "申请执行人撤回申请")
    record = only(withdrawn, K.ROUND_WITHDRAWN)
    assert who(record) == (t0 - timedelta(days=2), clerk.user, None)
    assert record.detail["reason"] == "申请执行人撤回申请"

    failed = scheduled(factories.make_lot(case), clerk, t0)
    with clock.frozen(t0 + timedelta(days=1, seconds=1)):
        assert lifecycle.do_close_auction(failed.pk) == "failed"
    record = only(failed, K.ROUND_FAILED)
    assert who(record) == (t0 + timedelta(days=1, seconds=1), None, None) and record.detail["bid_count"] == 0

"""Done when: one lot from a failed first round (流拍) through a sold re-auction, the buyer's default
(悔拍), a third round sold and paid, with the real services throughout (FA1, PR2, AN2, ST2–ST4,
BD4) and the case timeline and the ledger checked at every step."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from auctions import clock, lifecycle, services
from auctions.models import Auction
from bidding.errors import BidError
from bidding.services import check_place_bid, register_bidder
from lots.models import DisposalRecord, Lot
from payments import ledger, worker
from payments import services as payments
from payments.models import Deposit, Settlement
from payments.reconcile import reconcile
from payments.settlement import confirm_default
from tests import factories

K = DisposalRecord.Kind
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
# The steps this walk-through makes; kinds other work may add to the timeline are left out of the
# comparison (a result notice, say), so the order of these stays exact.
WALKED = [
    K.ROUND_SCHEDULED,
    K.REAUCTION_SCHEDULED,
    K.ANNOUNCEMENT_PUBLISHED,
    K.ROUND_STARTED,
    K.ROUND_FAILED,
    K.ROUND_SOLD,
    K.DEPOSIT_APPLIED,
    K.DEPOSIT_FORFEITED,
    K.BALANCE_PAID,
    K.PROCEEDS_RECEIVED,
]


def d(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def timeline(lot) -> list[tuple]:
    records = DisposalRecord.objects.filter(lot=lot, kind__in=WALKED).order_by("at", "id")
    return [(r.kind, r.auction_id, r.amount.amount if r.amount is not None else None) for r in records]


def books_balance() -> None:
    assert ledger.unbalanced_transactions() == []
    assert ledger.grand_total() == 0
    assert reconcile() == []


def schedule(lot, clerk, *, previous=None, price, deposit, notice_days) -> Auction:
    announce = clock.now() + timedelta(hours=1)
    starts = announce + timedelta(days=notice_days)
    return services.schedule_round(
        lot,
        clerk.user,
        previous=previous,
        starting_price=Decimal(price),
        increment=Decimal("1000"),
        deposit=Decimal(deposit),
        announce_at=announce,
        starts_at=starts,
        ends_at=starts + timedelta(days=1),
        balance_due_at=starts + timedelta(days=11),
    )


def publish_and_open(auction, clerk, bidders) -> Auction:
    """Publishes at its time, registers and pays each bidder's deposit, opens at the start."""
    with clock.frozen(auction.announce_at):
        services.publish_announcement(auction, clerk.user)
    with clock.frozen(auction.announce_at + timedelta(hours=2)):
        for user in bidders:
            registration = register_bidder(user, auction.pk, accept_terms=True)
            deposit = Deposit.objects.get(registration=registration)
            payments.start_deposit_payment(deposit.pk, user, "sandbox", deposit.amount.amount, "CNY")
    with clock.frozen(auction.starts_at):
        assert lifecycle.do_open_round(auction.pk)
    return auction


def close(auction) -> str:
    with clock.frozen(auction.ends_at):
        result = lifecycle.do_close_auction(auction.pk)
        worker.run_once()  # ST2: every losing deposit released at once
    return result


@pytest.mark.django_db
def test_fa1_st4_lot_fails_resells_defaults_and_sells_again_with_timeline_and_ledger(court, clerk):
    with clock.frozen(T0):
        lot = factories.make_lot(factories.make_case(court), reference=100_000)
    alice, bob, carol = (factories.make_bidder(name, name) for name in ("alice", "bob", "carol"))

    # 一拍: announced, one bidder pays a deposit and never bids: 流拍, the deposit goes back.
    with clock.frozen(T0):
        first = schedule(lot, clerk, price="80000", deposit="8000", notice_days=16)
    publish_and_open(first, clerk, [alice])
    assert close(first) == "failed"
    assert ledger.auction_totals(first)["paid_in"] == d(8000)
    assert ledger.auction_totals(first)["refunded"] == d(8000)
    assert ledger.escrow_balance(court) == 0 and ledger.owed_to_bidder(alice) == 0
    books_balance()

    # 二拍 (FA1 within 30 days, PR2 cut of exactly 20 %, AN2 7-day notice + 1): sold to bob.
    with clock.frozen(first.ends_at + timedelta(hours=1)):
        assert services.previous_round_for(lot) == first
        second = schedule(lot, clerk, previous=first, price="64000", deposit="6400", notice_days=8)
    publish_and_open(second, clerk, [bob, carol])
    with clock.frozen(second.starts_at + timedelta(hours=1)):
        check_place_bid(bob, second.pk, "64000")
        check_place_bid(carol, second.pk, "65000")
        check_place_bid(bob, second.pk, "66000")
    assert close(second) == "sold"
    deal = Settlement.objects.get(auction=second)
    assert (deal.price.amount, deal.deposit_applied.amount, deal.balance.amount) == (d(66000), d(6400), d(59600))
    totals = ledger.auction_totals(second)
    assert (totals["paid_in"], totals["refunded"], totals["applied"], totals["proceeds"]) == (
        d(12800),
        d(6400),
        d(6400),
        d(6400),
    )
    assert ledger.escrow_balance(court) == d(6400)
    books_balance()

    # 悔拍: bob does not pay by the deadline; the court confirms, the deposit pays ST4's uses.
    with clock.frozen(deal.balance_due_at + timedelta(hours=1)):
        forfeiture = confirm_default(deal.pk, clerk.user, resale_costs="1000", shortfall="", debt="", reason="逾期")
    assert (forfeiture.resale_costs.amount, forfeiture.remainder.amount) == (d(1000), d(5400))
    assert ledger.auction_totals(second)["forfeited"] == d(6400)
    assert ledger.auction_totals(second)["proceeds"] == 0
    assert ledger.escrow_balance(court) == d(6400)  # the court still holds it, now for ST4's uses
    assert Lot.objects.get(pk=lot.pk).status == Lot.Status.LISTED  # for sale again
    books_balance()

    # 三拍 after the default (ST4): bob is barred (BD4); carol buys and pays the balance.
    with clock.frozen(deal.balance_due_at + timedelta(hours=2)):
        assert services.previous_round_for(lot) == second
        third = schedule(lot, clerk, previous=second, price="64000", deposit="6400", notice_days=8)
    assert Lot.objects.get(pk=lot.pk).status == Lot.Status.LISTED
    assert third.round_no == 3 and third.round_label == "三拍"
    with clock.frozen(third.announce_at), pytest.raises(BidError) as barred:
        services.publish_announcement(third, clerk.user)
        register_bidder(bob, third.pk, accept_terms=True)
    assert (barred.value.rule, barred.value.data["reason"]) == ("BD4", "defaulter")
    third.refresh_from_db()
    with clock.frozen(third.announce_at + timedelta(hours=2)):
        registration = register_bidder(carol, third.pk, accept_terms=True)
        deposit = Deposit.objects.get(registration=registration)
        payments.start_deposit_payment(deposit.pk, carol, "sandbox", deposit.amount.amount, "CNY")
    with clock.frozen(third.starts_at):
        lifecycle.do_open_round(third.pk)
    with clock.frozen(third.starts_at + timedelta(hours=1)):
        check_place_bid(carol, third.pk, "64000")
    assert close(third) == "sold"
    deal3 = Settlement.objects.get(auction=third)
    assert deal3.balance.amount == d(57600)
    assert ledger.auction_totals(third)["proceeds"] == d(6400)
    with clock.frozen(third.ends_at + timedelta(days=1)):
        payments.start_balance_payment(deal3.pk, carol, "sandbox", "57600.00", "CNY")
    deal3.refresh_from_db()
    assert deal3.status == Settlement.Status.PAID
    assert ledger.auction_totals(third)["proceeds"] == d(64000)
    assert ledger.escrow_balance(court) == d(64000) + d(6400)
    assert ledger.owed_to_bidder(bob) == 0 and ledger.owed_to_bidder(carol) == 0
    books_balance()
    assert Lot.objects.get(pk=lot.pk).status == Lot.Status.SOLD

    # The whole timeline, in order, with the amounts.
    one, two, three = first.pk, second.pk, third.pk
    assert timeline(lot) == [
        (K.ROUND_SCHEDULED, one, d(80000)),
        (K.ANNOUNCEMENT_PUBLISHED, one, None),
        (K.ROUND_STARTED, one, None),
        (K.ROUND_FAILED, one, None),
        (K.REAUCTION_SCHEDULED, two, d(64000)),
        (K.ANNOUNCEMENT_PUBLISHED, two, None),
        (K.ROUND_STARTED, two, None),
        (K.ROUND_SOLD, two, d(66000)),
        (K.DEPOSIT_APPLIED, two, d(6400)),
        (K.DEPOSIT_FORFEITED, two, d(6400)),
        (K.REAUCTION_SCHEDULED, three, d(64000)),
        (K.ANNOUNCEMENT_PUBLISHED, three, None),
        (K.ROUND_STARTED, three, None),
        (K.ROUND_SOLD, three, d(64000)),
        (K.DEPOSIT_APPLIED, three, d(6400)),
        (K.BALANCE_PAID, three, d(57600)),
        (K.PROCEEDS_RECEIVED, three, d(64000)),
    ]
    reauctions = DisposalRecord.objects.filter(lot=lot, kind=K.REAUCTION_SCHEDULED).order_by("at")
    after = [(r.detail["after"], r.detail["previous_round_id"]) for r in reauctions]
    assert after == [("failed", one), ("default", two)]

"""The next lawful steps as services: re-auction after 流拍 (FA1 with PR2, AN2) or 悔拍 (ST4), 变卖
(FA2), 以物抵债 (FA3), withdrawal releasing every deposit (FA5) and FA6. Every refusal names its
rule and writes nothing: no round, no disposal record, no change to the lot."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from auctions import clock, lifecycle, rules, services, steps
from auctions.errors import RuleViolation
from auctions.models import Auction
from bidding.errors import BidError
from bidding.services import check_place_bid, register_bidder
from lots.models import DisposalRecord, Lot, Party
from payments import ledger, worker
from payments import services as payments
from payments.models import Deposit, Settlement
from tests import factories
from tests.test_payments_support import close_round, paid_bidder

pytestmark = pytest.mark.django_db
K = DisposalRecord.Kind
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def ended(lot, *, round_no=1, previous=None, kind=Auction.Kind.AUCTION, starting=80_000, deposit=8_000):
    """A round of `lot` that ran until T0 and failed there (the engine closes it)."""
    auction = Auction.objects.create(
        lot=lot,
        kind=kind,
        round_no=round_no,
        previous=previous,
        starting_price=factories.cny(starting),
        increment=factories.cny(1_000),
        deposit=factories.cny(deposit),
        announce_at=T0 - timedelta(days=10),
        starts_at=T0 - timedelta(days=1),
        scheduled_end_at=T0,
        ends_at=T0,
        balance_due_at=T0 + timedelta(days=10),
        status=Auction.Status.LIVE,
    )
    with clock.frozen(T0):
        assert lifecycle.do_close_auction(auction.pk) == "failed"
    return Auction.objects.get(pk=auction.pk)


def local(day_offset: int, hour: int = 10) -> datetime:
    """`day_offset` court days after T0's day, at `hour` Beijing time."""
    return datetime(2026, 3, 2, hour - 8, 0, tzinfo=UTC) + timedelta(days=day_offset)


def terms(*, starts_at, price="64000", deposit="6400", announce_at=None) -> dict:
    return {
        "starting_price": Decimal(price),
        "increment": Decimal("1000"),
        "deposit": Decimal(deposit),
        "announce_at": announce_at or T0 + timedelta(hours=1),
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(days=1),
        "balance_due_at": starts_at + timedelta(days=11),
    }


def counts():
    return Auction.objects.count(), DisposalRecord.objects.count()


def refused(call, *args, **kwargs) -> list[tuple[str, str]]:
    """Calls a step that must be refused; returns (rule, field) of each refusal, after checking
    that nothing was written."""
    before = counts()
    with pytest.raises(RuleViolation) as caught, clock.frozen(T0 + timedelta(minutes=30)):
        call(*args, **kwargs)
    assert counts() == before
    return [(refusal.rule, refusal.field) for refusal in caught.value.refusals]


# --- FA1, PR2, AN2 ------------------------------------------------------------------------------
def test_fa1_reauction_within_30_days_of_the_failure(lot, clerk):
    first = ended(lot)
    assert services.failed_on(first) == local(0).date()
    assert refused(services.schedule_round, lot, clerk.user, previous=first, **terms(starts_at=local(31))) == [
        ("FA1", "starts_at")
    ]
    with clock.frozen(T0 + timedelta(minutes=30)):
        second = services.schedule_round(lot, clerk.user, previous=first, **terms(starts_at=local(30, hour=23)))
    assert (second.round_no, second.previous_id, second.round_label) == (2, first.pk, "二拍")
    record = DisposalRecord.objects.get(auction=second)
    assert (record.kind, record.amount.amount, record.detail["after"]) == (
        K.REAUCTION_SCHEDULED,
        Decimal("64000"),
        "failed",
    )


def test_pr2_reauction_cut_at_most_20_percent(lot, clerk):
    first = ended(lot)
    rules_named = refused(
        services.schedule_round, lot, clerk.user, previous=first, **terms(starts_at=local(9), price="63999.99")
    )
    assert rules_named == [("PR2", "starting_price")]
    with clock.frozen(T0 + timedelta(minutes=30)):
        services.schedule_round(lot, clerk.user, previous=first, **terms(starts_at=local(9), price="64000.00"))


@pytest.mark.parametrize(("category", "days"), [(Lot.Category.VEHICLE, 7), (Lot.Category.REAL_ESTATE, 15)])
def test_an2_reauction_notice_7_or_15_days(case, clerk, category, days):
    lot = factories.make_lot(case, category=category)
    first = ended(lot)
    announce = T0 + timedelta(hours=1)
    short = terms(starts_at=announce + timedelta(days=days) - timedelta(minutes=1), announce_at=announce)
    assert refused(services.schedule_round, lot, clerk.user, previous=first, **short) == [("AN2", "starts_at")]
    with clock.frozen(T0 + timedelta(minutes=30)):
        services.schedule_round(
            lot, clerk.user, previous=first, **terms(starts_at=announce + timedelta(days=days), announce_at=announce)
        )


def test_fa1_reauction_of_a_sold_lot_is_refused(live_auction, clerk):
    user, winner, _deposit = paid_bidder(live_auction, "dora")
    sold = close_round(live_auction, winner, 95_000)
    deal = Settlement.objects.get(auction=sold)
    payments.start_balance_payment(deal.pk, user, "sandbox", "85000.00", "CNY")
    assert services.previous_round_for(sold.lot) is None
    assert steps.next_steps(sold) == steps.NextSteps()
    before = counts()
    with pytest.raises(RuleViolation) as caught:
        services.schedule_round(sold.lot, clerk.user, previous=sold, **terms(starts_at=clock.now() + timedelta(days=8)))
    assert caught.value.rules == ["FA1"]
    assert counts() == before


def test_fa1_only_one_round_follows_a_failure(lot, clerk):
    first = ended(lot)
    with clock.frozen(T0 + timedelta(minutes=30)):
        services.schedule_round(lot, clerk.user, previous=first, **terms(starts_at=local(9)))
    with pytest.raises(ValidationError), clock.frozen(T0 + timedelta(minutes=30)):
        services.schedule_round(lot, clerk.user, previous=first, **terms(starts_at=local(10)))


def test_reauction_initial_terms_pass_every_rule(lot):
    first = ended(lot)
    with clock.frozen(T0 + timedelta(minutes=30)):
        initial = steps.reauction_initial(first)
        assert initial["starting_price"] == Decimal("64000.00") and initial["deposit"] == Decimal("6400.00")
        names = ("starting_price", "increment", "deposit", "announce_at", "starts_at", "ends_at", "balance_due_at")
        assert services.round_refusals(lot, services.Terms(*(initial[n] for n in names)), previous=first) == []


# --- ST4: after a default ----------------------------------------------------------------------
def test_st4_reauction_after_default_bars_the_defaulter(live_auction, clerk):
    user, winner, _deposit = paid_bidder(live_auction, "dora")
    sold = close_round(live_auction, winner, 95_000)
    deal = Settlement.objects.get(auction=sold)
    with clock.travel(timedelta(days=11)):
        assert steps.next_steps(sold).reauction is False  # not before the court confirms the default
        payments_settlement_default(deal, clerk)
        assert Lot.objects.get(pk=sold.lot_id).status == Lot.Status.LISTED  # for sale again (ST4)
        allowed = steps.next_steps(Auction.objects.get(pk=sold.pk))
        assert (allowed.reauction, allowed.after_default, allowed.sale) == (True, True, False)
        now = clock.now()
        third = services.schedule_round(
            sold.lot, clerk.user, previous=sold, **terms(starts_at=now + timedelta(days=8), announce_at=now)
        )
        assert Lot.objects.get(pk=sold.lot_id).status == Lot.Status.LISTED
        services.publish_announcement(third, clerk.user)
        with pytest.raises(BidError) as barred:
            register_bidder(user, third.pk, accept_terms=True)
    assert barred.value.rule == "BD4"


def payments_settlement_default(deal, clerk):
    from payments.settlement import confirm_default

    return confirm_default(deal.pk, clerk.user, resale_costs="", shortfall="", debt="")


# --- FA2: 变卖 ----------------------------------------------------------------------------------
def sale_terms(starts_day=8):
    return {"announce_at": T0 + timedelta(hours=1), "starts_at": local(starts_day)}


def test_fa2_sale_only_after_a_failed_reauction(lot, clerk):
    first = ended(lot)
    assert steps.next_steps(first).sale is False
    assert refused(services.schedule_sale, first, clerk.user, **sale_terms()) == [("FA2", "")]


def test_fa2_sale_at_the_last_starting_price_for_60_days_paid_in_full(lot, clerk, client):
    first = ended(lot)
    second = ended(lot, round_no=2, previous=first, starting=64_000, deposit=6_400)
    assert steps.next_steps(second).sale
    with clock.frozen(T0 + timedelta(minutes=30)):
        sale = services.schedule_sale(second, clerk.user, **sale_terms())
    assert (sale.kind, sale.round_label, sale.starting_price.amount, sale.deposit.amount) == (
        Auction.Kind.SALE,
        "变卖",
        Decimal("64000.00"),
        Decimal("64000.00"),
    )
    assert sale.ends_at - sale.starts_at == timedelta(days=60)
    record = DisposalRecord.objects.get(auction=sale)
    assert (record.kind, record.amount.amount) == (K.SALE_STARTED, Decimal("64000.00"))
    assert "FA2" in sale.announcement.court_text

    with clock.frozen(sale.announce_at):
        services.publish_announcement(sale, clerk.user)
    with clock.frozen(sale.announce_at + timedelta(hours=1)):
        page = client.get(f"/auctions/{sale.pk}/").content.decode()
        notice = client.get(f"/auctions/{sale.pk}/announcement/").content.decode()
    terms = page.split('class="lot-terms')[1].split("</section>")[0]
    assert "变卖价" in terms and "应买须交全款" in terms and "加价幅度" not in terms
    assert "第一个以变卖价应买的竞买人为买受人" in notice
    with clock.frozen(sale.starts_at - timedelta(days=1)):
        buyers = [paid_bidder(sale, name) for name in ("eve", "finn")]
    with clock.frozen(sale.starts_at + timedelta(days=3)):
        lifecycle.open_due_rounds()
        with pytest.raises(BidError) as over:
            check_place_bid(buyers[0][0], sale.pk, "65000")
        assert (over.value.rule, over.value.code) == ("FA2", "not_sale_price")
        check_place_bid(buyers[1][0], sale.pk, "64000")
        worker.run_once()
    sale.refresh_from_db()
    assert sale.status == Auction.Status.SOLD and sale.closed_at == sale.starts_at + timedelta(days=3)
    assert Settlement.objects.get(auction=sale).status == Settlement.Status.PAID
    closing = [K.ROUND_SOLD, K.DEPOSIT_APPLIED, K.PROCEEDS_RECEIVED]
    kinds = DisposalRecord.objects.filter(auction=sale, kind__in=closing).order_by("id").values_list("kind", flat=True)
    assert list(kinds) == closing
    assert ledger.auction_totals(sale)["proceeds"] == Decimal("64000.00")
    assert Deposit.objects.get(registration=buyers[0][1]).status == Deposit.Status.RELEASED
    assert Lot.objects.get(pk=lot.pk).status == Lot.Status.SOLD


def test_fa2_sale_price_and_round_cannot_be_edited(lot, clerk):
    first = ended(lot)
    second = ended(lot, round_no=2, previous=first, starting=64_000, deposit=6_400)
    with clock.frozen(T0 + timedelta(minutes=30)):
        sale = services.schedule_sale(second, clerk.user, **sale_terms())
        with pytest.raises(ValidationError):
            services.update_round(sale, clerk.user, starting_price=Decimal("50000"))
    assert Auction.objects.get(pk=sale.pk).starting_price.amount == Decimal("64000.00")


# --- FA3: 以物抵债 -------------------------------------------------------------------------------
@pytest.fixture
def applicant(case):
    return Party.objects.create(case=case, role=Party.Role.APPLICANT, kind=Party.Kind.ORGANISATION, name="某银行")


def test_fa3_satisfaction_refused_before_a_failed_reauction(lot, clerk, applicant):
    first = ended(lot)
    assert refused(steps.satisfy_in_kind, first, clerk.user, applicant_id=applicant.pk) == [("FA3", "")]
    assert Lot.objects.get(pk=lot.pk).status == Lot.Status.LISTED


def test_fa3_satisfaction_at_the_failed_reauctions_starting_price(lot, clerk, applicant):
    first = ended(lot)
    second = ended(lot, round_no=2, previous=first, starting=64_000, deposit=6_400)
    assert refused(steps.satisfy_in_kind, first, clerk.user, applicant_id=applicant.pk) == [("FA3", "")]
    with clock.frozen(T0 + timedelta(hours=2)):
        record = steps.satisfy_in_kind(second, clerk.user, applicant_id=applicant.pk, note="申请执行人书面同意")
    assert (record.kind, record.amount.amount, record.auction_id) == (
        K.SATISFACTION_IN_KIND,
        Decimal("64000"),
        second.pk,
    )
    assert record.detail["applicant"] == "某银行" and record.actor == clerk.user
    assert Lot.objects.get(pk=lot.pk).status == Lot.Status.SATISFIED
    assert steps.next_steps(Auction.objects.get(pk=second.pk)) == steps.NextSteps()


def test_fa3_satisfaction_after_a_failed_sale_and_only_for_an_applicant(lot, clerk, applicant, case):
    first = ended(lot)
    second = ended(lot, round_no=2, previous=first, starting=64_000, deposit=6_400)
    sale = ended(lot, round_no=3, previous=second, kind=Auction.Kind.SALE, starting=64_000, deposit=64_000)
    respondent = Party.objects.create(case=case, role=Party.Role.RESPONDENT, name="王五")
    before = counts()
    with pytest.raises(ValidationError) as wrong:
        steps.satisfy_in_kind(sale, clerk.user, applicant_id=respondent.pk)
    assert "applicant" in wrong.value.error_dict and counts() == before
    record = steps.satisfy_in_kind(sale, clerk.user, applicant_id=applicant.pk)
    assert record.amount.amount == Decimal("64000")


# --- FA5: withdrawal releases every deposit ---------------------------------------------------------
def test_fa5_withdrawal_publishes_the_reason_and_releases_every_deposit(live_auction, clerk, court):
    paid = [paid_bidder(live_auction, name) for name in ("gus", "hal")]
    unpaid = factories.register(live_auction, factories.make_bidder("ian"), secured=False)
    check_place_bid(paid[0][0], live_auction.pk, "80000")
    assert ledger.escrow_balance(court) == Decimal("20000.00")
    lifecycle.withdraw_round(live_auction.pk, clerk.user, "被执行人已履行全部债务")
    assert worker.run_once()["released"] >= 2
    statuses = set(Deposit.objects.filter(registration__auction=live_auction).values_list("status", flat=True))
    assert statuses == {Deposit.Status.RELEASED}
    assert Deposit.objects.get(registration=unpaid).status == Deposit.Status.RELEASED
    assert ledger.escrow_balance(court) == 0
    assert ledger.auction_totals(live_auction)["refunded"] == Decimal("20000.00")
    record = DisposalRecord.objects.get(auction=live_auction, kind=K.ROUND_WITHDRAWN)
    assert record.detail["reason"] == "被执行人已履行全部债务"


# --- FA6 ----------------------------------------------------------------------------------------
@pytest.fixture
def two_lots(case, applicant):
    """Lot A sold for 95,000 and paid; lot B live with a paid deposit; the claim is 90,000."""
    Party.objects.filter(pk=applicant.pk).update(claim_amount=Decimal("90000"), claim_amount_currency="CNY")
    lot_a, lot_b = factories.make_lot(case), factories.make_lot(case)
    round_a, round_b = factories.make_auction(lot_a), factories.make_auction(lot_b)
    user, winner, _ = paid_bidder(round_a, "jo")
    close_round(round_a, winner, 95_000)
    payments.start_balance_payment(Settlement.objects.get(auction=round_a).pk, user, "sandbox", "85000.00", "CNY")
    _, registration_b, _ = paid_bidder(round_b, "kim")
    return round_a, round_b, registration_b


def test_fa6_refused_while_the_proceeds_do_not_cover_debt_and_costs(case, clerk, two_lots):
    _, round_b, _ = two_lots
    assert steps.collected(case) == Decimal("95000.00")
    before = counts()
    with pytest.raises(RuleViolation) as caught:
        steps.stop_remaining_lots(case, clerk.user, costs=Decimal("5000.01"))
    assert caught.value.rules == ["FA6"] and counts() == before
    assert Auction.objects.get(pk=round_b.pk).status == Auction.Status.LIVE


def test_fa6_remaining_lots_stop_once_debt_and_costs_are_covered(case, clerk, two_lots, court):
    round_a, round_b, registration_b = two_lots
    stopped = steps.stop_remaining_lots(case, clerk.user, costs=Decimal("5000.00"))
    assert [a.pk for a in stopped.rounds] == [round_b.pk] and stopped.debt == Decimal("90000.00")
    round_b.refresh_from_db()
    assert round_b.status == Auction.Status.WITHDRAWN
    assert Lot.objects.get(pk=round_b.lot_id).status == Lot.Status.WITHDRAWN
    assert Lot.objects.get(pk=round_a.lot_id).status == Lot.Status.SOLD
    withdrawn = DisposalRecord.objects.get(auction=round_b, kind=K.ROUND_WITHDRAWN)
    assert withdrawn.detail["rule"] == "FA6" and withdrawn.detail["reason"].startswith("FA6")
    summary = DisposalRecord.objects.get(case=case, lot=None, kind=K.ROUND_WITHDRAWN)
    assert summary.amount.amount == Decimal("95000.00") and summary.detail["costs"] == "5000.00"
    worker.run_once()
    assert Deposit.objects.get(registration=registration_b).status == Deposit.Status.RELEASED
    assert ledger.escrow_balance(court) == Decimal("95000.00")
    with pytest.raises(ValidationError):
        steps.stop_remaining_lots(case, clerk.user, costs=Decimal("0"))


def test_fa6_boundary_is_the_rule(case):
    assert rules.remaining_lots_must_stop(Decimal("95000.00"), Decimal("90000.00"), Decimal("5000.00"))
    assert not rules.remaining_lots_must_stop(Decimal("94999.99"), Decimal("90000.00"), Decimal("5000.00"))


# --- FA4: resumption within 5 days of the cause ending -------------------------------------------
@pytest.mark.parametrize(("ended_days_ago", "within"), [(5, True), (6, False)])
def test_fa4_resumption_records_the_5_day_deadline(live_auction, clerk, ended_days_ago, within):
    with clock.frozen(T0):
        lifecycle.suspend_round(live_auction.pk, clerk.user, "案外人提出异议")
    cause_ended = local(10).date() - timedelta(days=ended_days_ago)
    with clock.frozen(local(10)):
        lifecycle.resume_round(live_auction.pk, clerk.user, cause_ended.isoformat())
    record = DisposalRecord.objects.get(auction=live_auction, kind=K.ROUND_RESUMED)
    assert record.detail["cause_ended_on"] == cause_ended.isoformat()
    assert record.detail["resume_deadline"] == (cause_ended + timedelta(days=5)).isoformat()
    assert record.detail["within_deadline"] is within
    assert Auction.objects.get(pk=live_auction.pk).status != Auction.Status.SUSPENDED


@pytest.mark.parametrize("cause_ended_on", ["2026-03-13", "2026-02-30", "yesterday"])
def test_fa4_resumption_refuses_a_future_or_invalid_cause_end(live_auction, clerk, cause_ended_on):
    with clock.frozen(T0):
        lifecycle.suspend_round(live_auction.pk, clerk.user, "案外人提出异议")
    before = counts()
    with clock.frozen(local(10)), pytest.raises(BidError) as caught:
        lifecycle.resume_round(live_auction.pk, clerk.user, cause_ended_on)
    assert caught.value.rule == "FA4"
    assert counts() == before and Auction.objects.get(pk=live_auction.pk).status == Auction.Status.SUSPENDED


def test_fa5_published_withdrawal_reason_masks_personal_data(live_auction, clerk, case):
    Party.objects.create(case=case, role=Party.Role.RESPONDENT, name="王小明")
    lifecycle.withdraw_round(live_auction.pk, clerk.user, "被执行人王小明（110105199003071234）已履行")
    reason = live_auction.events.get(kind="withdrawn").payload["reason"]
    assert "王小明" not in reason and "110105199003071234" not in reason and reason.endswith("已履行")
    assert DisposalRecord.objects.get(auction=live_auction, kind=K.ROUND_WITHDRAWN).detail["reason"] == reason


# --- The pure rules behind these steps -----------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "round_no", "status", "allowed"),
    [
        ("auction", 1, "failed", False),  # only a first round failed: re-auction first
        ("auction", 2, "failed", True),
        ("auction", 3, "failed", True),
        ("sale", 3, "failed", True),
        ("auction", 2, "sold", False),
        ("sale", 3, "live", False),
        (None, 0, None, False),
    ],
)
def test_fa3_rule_only_after_a_failed_reauction_or_sale(kind, round_no, status, allowed):
    refusal = rules.check_satisfaction_in_kind(kind, round_no, status)
    assert (refusal is None) is allowed
    if refusal:
        assert (refusal.rule, refusal.code) == ("FA3", "satisfaction_too_early")


@pytest.mark.parametrize(("amount", "accepted"), [("63999.99", False), ("64000", True), ("64000.01", False)])
def test_fa2_sale_bid_is_exactly_the_sale_price(amount, accepted):
    state = rules.AuctionState(
        status="live",
        starts_at=T0,
        ends_at=T0 + timedelta(days=60),
        starting_price=Decimal("64000.00"),
        increment=Decimal("1000.00"),
        current_price=None,
        leader_id=None,
        leader_priority_rank=None,
        is_sale=True,
    )
    bidder = rules.BidderState(registration_id=1, priority_rank=None, deposit_secured=True)
    at_the_end = T0 + timedelta(days=60) - timedelta(minutes=1)  # no soft-close extension in a sale
    if accepted:
        result = rules.evaluate_bid(state, bidder, amount, at_the_end)
        assert (result.amount, result.extended, result.ends_at) == (Decimal("64000.00"), False, state.ends_at)
    else:
        with pytest.raises(rules.BidRefused) as refused:
            rules.evaluate_bid(state, bidder, amount, at_the_end)
        assert (refused.value.rule, refused.value.code) == ("FA2", rules.BidCode.NOT_SALE_PRICE)

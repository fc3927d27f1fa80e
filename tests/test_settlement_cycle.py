"""A round's money from the first deposit to the last release, with the sandbox and bank transfer:
ST2 (apply and release within 24 hours), ST3 (balance), ST4 (default), and the ledger throughout."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from auctions import clock
from lots.models import DisposalRecord
from payments import ledger, services, settlement, worker
from payments.errors import PaymentError
from payments.errors import PaymentErrorCode as Code
from payments.models import Deposit, LedgerTransaction, Payment, Refund, SandboxTransaction, Settlement
from payments.reconcile import reconcile
from tests import factories
from tests.test_payments_support import close_round, crash_before_commit, money, paid_bidder

S = Deposit.Status
ENDED = (S.APPLIED, S.RELEASED, S.FORFEITED)


@pytest.fixture
def three_paid(live_auction):
    return [paid_bidder(live_auction, name) for name in ("dora", "emil", "fang")]


def assert_books_balance():
    assert ledger.unbalanced_transactions() == []
    assert ledger.grand_total() == 0
    assert reconcile() == []


def test_st2_winner_applied_others_released_within_24_hours(live_auction, three_paid, court):
    (_, winner, _), *_ = three_paid
    closed = close_round(live_auction, winner, 95_000)
    s = Settlement.objects.get(auction=closed)
    assert s.release_deadline == closed.ends_at + timedelta(hours=24)
    assert (s.price.amount, s.deposit_applied.amount, s.balance.amount) == (money(95_000), money(10_000), money(85_000))
    assert s.balance_due_at == closed.balance_due_at
    assert Deposit.objects.get(registration=winner).status == S.APPLIED
    assert DisposalRecord.objects.filter(auction=closed, kind=DisposalRecord.Kind.DEPOSIT_APPLIED).count() == 1

    assert worker.run_once()["released"] == 2  # at once, not at the deadline
    statuses = sorted(Deposit.objects.filter(registration__auction=closed).values_list("status", flat=True))
    assert statuses == [S.APPLIED, S.RELEASED, S.RELEASED]
    assert ledger.escrow_balance(court) == money(10_000)  # only the winner's deposit stays, as price
    assert ledger.auction_totals(closed)["proceeds"] == money(10_000)
    assert SandboxTransaction.objects.filter(kind="refund").count() == 2
    assert_books_balance()


def test_every_deposit_of_a_closed_round_ends_applied_released_or_forfeited(live_auction, three_paid):
    never_paid = factories.register(live_auction, factories.make_bidder("gus"), secured=False)
    close_round(live_auction, three_paid[0][1], 80_000)
    call_command("release_deposits")
    deposits = Deposit.objects.filter(registration__auction=live_auction)
    assert {d.status for d in deposits} <= set(ENDED)
    assert Deposit.objects.get(registration=never_paid).status == S.RELEASED
    assert not Refund.objects.filter(deposit__registration=never_paid).exists()  # nothing to return
    assert_books_balance()


def test_st3_winner_is_told_and_pays_the_balance(live_auction, three_paid, court):
    user, winner, _ = three_paid[0]
    user.email = "dora@example.com"
    user.save()
    close_round(live_auction, winner, 95_000)
    worker.run_once()
    assert len(mail.outbox) == 1 and "85000.00" in mail.outbox[0].body
    worker.run_once()
    assert len(mail.outbox) == 1  # told once

    s = Settlement.objects.get(auction=live_auction)
    payment = services.start_balance_payment(s.pk, user, "sandbox", "85000.00", "CNY")
    assert payment.status == Payment.Status.SUCCEEDED
    s.refresh_from_db()
    assert s.status == Settlement.Status.PAID
    kinds = set(DisposalRecord.objects.filter(auction=live_auction).values_list("kind", flat=True))
    assert {DisposalRecord.Kind.BALANCE_PAID, DisposalRecord.Kind.PROCEEDS_RECEIVED} <= kinds
    assert ledger.auction_totals(live_auction)["proceeds"] == money(95_000)
    assert ledger.escrow_balance(court) == money(95_000)
    assert_books_balance()


def test_st3_balance_must_match_and_only_the_winner_pays(live_auction, three_paid):
    (user, winner, _), (other, *_), _ = three_paid
    close_round(live_auction, winner, 95_000)
    s = Settlement.objects.get(auction=live_auction)
    with pytest.raises(PaymentError) as wrong:
        services.start_balance_payment(s.pk, user, "sandbox", "80000.00", "CNY")
    assert wrong.value.code == Code.AMOUNT_MISMATCH
    with pytest.raises(PaymentError) as stranger:
        services.start_balance_payment(s.pk, other, "sandbox", "85000.00", "CNY")
    assert stranger.value.code == Code.NOT_FOUND
    with clock.travel(timedelta(days=11)), pytest.raises(PaymentError) as late:
        services.start_balance_payment(s.pk, user, "sandbox", "85000.00", "CNY")
    assert (late.value.code, late.value.rule) == (Code.BALANCE_OVERDUE, "ST3")
    assert not Payment.objects.filter(settlement=s).exists()


def test_st4_default_forfeits_in_the_law_order(live_auction, three_paid, clerk, court):
    user, winner, deposit = three_paid[0]
    close_round(live_auction, winner, 95_000)
    s = Settlement.objects.get(auction=live_auction)
    with pytest.raises(PaymentError) as early:
        settlement.confirm_default(s.pk, clerk.user, resale_costs="3000", shortfall="5000", debt="")
    assert (early.value.code, early.value.rule) == (Code.DEFAULT_NOT_DUE, "ST4")

    with clock.travel(timedelta(days=11)):
        forfeiture = settlement.confirm_default(
            s.pk, clerk.user, resale_costs="3000", shortfall="5000", debt="1000", reason="逾期未付尾款"
        )
    uses = (forfeiture.resale_costs, forfeiture.shortfall, forfeiture.debt, forfeiture.remainder)
    assert [m.amount for m in uses] == [money(3000), money(5000), money(1000), money(1000)]
    deposit.refresh_from_db()
    assert deposit.status == S.FORFEITED  # what the engine's BD4 bar looks for
    s.refresh_from_db()
    assert s.status == Settlement.Status.DEFAULTED
    record = DisposalRecord.objects.get(auction=live_auction, kind=DisposalRecord.Kind.DEPOSIT_FORFEITED)
    assert record.detail["shortfall"] == "5000.00" and record.actor == clerk.user
    assert ledger.auction_totals(live_auction)["forfeited"] == money(10_000)
    worker.run_once()
    assert_books_balance()


def test_st4_other_courts_clerk_cannot_confirm_a_default(live_auction, three_paid, clerk_b):
    close_round(live_auction, three_paid[0][1], 95_000)
    s = Settlement.objects.get(auction=live_auction)
    with clock.travel(timedelta(days=11)), pytest.raises(PaymentError) as refused:
        settlement.confirm_default(s.pk, clerk_b.user, resale_costs="", shortfall="", debt="")
    assert refused.value.code == Code.NOT_FOUND
    assert Settlement.objects.get(pk=s.pk).status == Settlement.Status.AWAITING_BALANCE


def test_failed_round_releases_everyone(live_auction, three_paid):
    close_round(live_auction)
    assert Settlement.objects.get(auction=live_auction).status == Settlement.Status.NO_SALE
    worker.run_once()
    assert set(Deposit.objects.filter(registration__auction=live_auction).values_list("status", flat=True)) == {
        S.RELEASED
    }
    assert_books_balance()


def test_hand_off_twice_changes_nothing_more(live_auction, three_paid):
    close_round(live_auction, three_paid[0][1], 95_000)
    from auctions.handoff import round_closed

    round_closed(live_auction)
    assert Settlement.objects.filter(auction=live_auction).count() == 1
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.APPLY).count() == 1


def test_release_twice_refunds_once(live_auction, three_paid):
    close_round(live_auction)
    _, _, deposit = three_paid[1]
    settlement.release_deposit(deposit.pk)
    settlement.release_deposit(deposit.pk)
    assert SandboxTransaction.objects.filter(kind="refund").count() == 1
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.REFUND_OUT).count() == 1


def test_two_workers_claim_a_release_once(live_auction, three_paid):
    close_round(live_auction)
    _, _, deposit = three_paid[1]
    now = clock.now()
    assert worker._claim_deposit(deposit.pk, now) is True
    assert worker._claim_deposit(deposit.pk, now) is False


def test_crash_after_the_refund_call_is_recovered_without_a_second_refund(live_auction, three_paid, monkeypatch):
    close_round(live_auction)
    _, _, deposit = three_paid[1]

    with crash_before_commit(monkeypatch, "payments.settlement.apply_refund"):
        worker.release_due()
    deposit.refresh_from_db()
    assert deposit.status == S.SECURED and "crash" in deposit.last_error
    assert SandboxTransaction.objects.filter(kind="refund").count() == 3  # the provider did refund

    with clock.travel(timedelta(minutes=10)):
        worker.release_due()
    deposit.refresh_from_db()
    assert deposit.status == S.RELEASED
    assert SandboxTransaction.objects.filter(kind="refund").count() == 3  # one per deposit, not six
    assert_books_balance()


def test_worker_retries_with_growing_delays_and_records_the_error(live_auction, three_paid, monkeypatch):
    close_round(live_auction)
    monkeypatch.setattr(settlement, "drive_refund", lambda pk: (_ for _ in ()).throw(RuntimeError("provider down")))
    worker.release_due()
    deposit = Deposit.objects.filter(status=S.SECURED).first()
    assert deposit.attempts == 1 and deposit.next_attempt_at > clock.now()
    assert deposit.last_error == "provider down"


def test_overdue_releases_are_reported(live_auction, three_paid, monkeypatch):
    close_round(live_auction)
    monkeypatch.setattr(settlement, "drive_refund", lambda pk: (_ for _ in ()).throw(RuntimeError("down")))
    with clock.travel(timedelta(hours=25)):
        assert len(worker.overdue_releases()) == 3


# --- Bank transfer -----------------------------------------------------------------------------
def test_bank_transfer_reference_and_clerk_confirmation(live_auction, clerk, clerk_b):
    user = factories.make_bidder("hana", "花")
    registration = factories.register(live_auction, user, secured=False)
    deposit = registration.deposit
    payment = services.start_deposit_payment(deposit.pk, user, "bank", "10000.00", "CNY")
    assert payment.status == Payment.Status.PENDING and payment.reference.startswith("BZJ")
    assert services.start_deposit_payment(deposit.pk, user, "bank", "10000", "cny").pk == payment.pk

    with pytest.raises(PaymentError) as other_court:
        services.confirm_bank_transfer(payment.pk, clerk_b.user, "10000.00", "B-1")
    assert other_court.value.code == Code.NOT_FOUND
    with pytest.raises(PaymentError) as short:
        services.confirm_bank_transfer(payment.pk, clerk.user, "9000.00", "B-1")
    assert short.value.code == Code.AMOUNT_MISMATCH
    deposit.refresh_from_db()
    assert deposit.status == S.PENDING

    services.confirm_bank_transfer(payment.pk, clerk.user, "10000.00", "B-1")
    deposit.refresh_from_db()
    assert deposit.status == S.SECURED and services.deposit_secured(registration)
    with pytest.raises(PaymentError) as twice:
        services.confirm_bank_transfer(payment.pk, clerk.user, "10000.00", "B-1")
    assert twice.value.code == Code.NOT_PAYABLE

    close_round(live_auction)
    worker.run_once()
    refund = Refund.objects.get(deposit=deposit)
    assert refund.status == Refund.Status.PENDING  # a transfer order waiting for the clerk
    settlement.confirm_bank_refund(refund.pk, clerk.user, "OUT-7")
    deposit.refresh_from_db()
    assert deposit.status == S.RELEASED
    assert_books_balance()


def test_bank_transfer_cannot_be_confirmed_after_the_end(live_auction, clerk):
    user = factories.make_bidder("ivan", "伊万")
    deposit = factories.register(live_auction, user, secured=False).deposit
    payment = services.start_deposit_payment(deposit.pk, user, "bank", "10000.00", "CNY")
    close_round(live_auction)
    with pytest.raises(PaymentError) as late:
        services.confirm_bank_transfer(payment.pk, clerk.user, "10000.00", "B-2")
    assert (late.value.code, late.value.rule) == (Code.AUCTION_ENDED, "BD1")
    worker.run_once()
    deposit.refresh_from_db()
    assert deposit.status == S.RELEASED
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.CANCELED
    assert_books_balance()

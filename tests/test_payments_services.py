"""Paying a deposit (BD1, BD2) through the sandbox: exactly once, and bad input changes nothing."""

from datetime import timedelta

import pytest

from auctions import clock
from payments import ledger, services
from payments.errors import PaymentError
from payments.errors import PaymentErrorCode as Code
from payments.models import CourtPaymentSettings, Deposit, LedgerTransaction, Payment, SandboxTransaction
from payments.reconcile import reconcile
from tests import factories
from tests.test_payments_support import crash_before_commit, money

S = Deposit.Status


@pytest.fixture
def bob_deposit(bob):
    return Deposit.objects.get(registration__user=bob)


def nothing_moved(deposit):
    deposit.refresh_from_db()
    assert deposit.status == S.PENDING
    assert not LedgerTransaction.objects.exists()
    assert not SandboxTransaction.objects.exists()


def test_bd1_sandbox_payment_secures_the_deposit_and_posts_it(bob, bob_deposit, court):
    payment = services.start_deposit_payment(bob_deposit.pk, bob, "sandbox", "10000.00", "CNY")
    assert payment.status == Payment.Status.SUCCEEDED
    bob_deposit.refresh_from_db()
    assert bob_deposit.status == S.SECURED and bob_deposit.provider == "sandbox"
    assert services.deposit_secured(bob_deposit.registration)
    assert ledger.held_for_deposit(bob_deposit) == money(10_000)
    assert ledger.owed_to_bidder(bob) == money(10_000)
    assert ledger.escrow_balance(court) == money(10_000)
    assert reconcile() == []


def test_bd1_demo_button_pays_in_one_click(bob, bob_deposit):
    deposit = services.pay_with_sandbox(bob_deposit.pk, bob)
    assert deposit.status == S.SECURED
    assert services.pay_with_sandbox(bob_deposit.pk, bob).status == S.SECURED  # a second click: no-op
    assert SandboxTransaction.objects.count() == 1


def test_double_submit_charges_once(bob, bob_deposit):
    first = services.start_deposit_payment(bob_deposit.pk, bob, "sandbox", "10000.00", "CNY")
    with pytest.raises(PaymentError) as again:
        services.start_deposit_payment(bob_deposit.pk, bob, "sandbox", "10000.00", "CNY")
    assert again.value.code == Code.NOT_PAYABLE
    assert Payment.objects.filter(status=Payment.Status.SUCCEEDED).count() == 1
    assert SandboxTransaction.objects.count() == 1
    assert LedgerTransaction.objects.get().payment == first


def test_a_click_while_the_first_is_open_reuses_its_payment(bob, bob_deposit, monkeypatch):
    """The first request committed its payment row and crashed before recording the charge."""
    with crash_before_commit(monkeypatch, "payments.services.apply_remote"), pytest.raises(RuntimeError):
        services.start_deposit_payment(bob_deposit.pk, bob, "sandbox", "10000.00", "CNY")
    assert SandboxTransaction.objects.count() == 1  # charged at the provider, not recorded here
    open_payment = Payment.objects.get()
    assert open_payment.status == Payment.Status.CREATED

    again = services.start_deposit_payment(bob_deposit.pk, bob, "sandbox", "10000.00", "CNY")
    assert again.pk == open_payment.pk and again.status == Payment.Status.SUCCEEDED
    assert SandboxTransaction.objects.count() == 1
    assert LedgerTransaction.objects.count() == 1


def test_crash_recovered_by_the_worker_asking_the_provider(bob, bob_deposit, monkeypatch):
    from payments import worker

    with crash_before_commit(monkeypatch, "payments.services.apply_remote"), pytest.raises(RuntimeError):
        services.start_deposit_payment(bob_deposit.pk, bob, "sandbox", "10000.00", "CNY")
    with clock.travel(timedelta(minutes=11)):
        assert worker.recheck_open_payments() == 1
    bob_deposit.refresh_from_db()
    assert bob_deposit.status == S.SECURED
    assert SandboxTransaction.objects.count() == 1 and LedgerTransaction.objects.count() == 1


def test_someone_elses_registration_is_not_found(bob_deposit, charlie):
    with pytest.raises(PaymentError) as refused:
        services.start_deposit_payment(bob_deposit.pk, charlie, "sandbox", "10000.00", "CNY")
    assert refused.value.code == Code.NOT_FOUND
    with pytest.raises(PaymentError):
        services.pay_with_sandbox(bob_deposit.pk, charlie)
    nothing_moved(bob_deposit)


def test_unknown_deposit_id_is_not_found(bob):
    with pytest.raises(PaymentError) as refused:
        services.start_deposit_payment(999_999, bob, "sandbox", "10000.00", "CNY")
    assert refused.value.code == Code.NOT_FOUND


@pytest.mark.parametrize(
    ("amount", "currency", "code", "field"),
    [
        ("9000.00", "CNY", Code.AMOUNT_MISMATCH, "amount"),
        ("10000.001", "CNY", Code.INVALID_AMOUNT, "amount"),
        ("-10000", "CNY", Code.INVALID_AMOUNT, "amount"),
        ("ten thousand", "CNY", Code.INVALID_AMOUNT, "amount"),
        (10000.0, "CNY", Code.INVALID_AMOUNT, "amount"),
        ("10000.00", "USD", Code.CURRENCY_MISMATCH, "currency"),
        ("10000.00", "", Code.CURRENCY_MISMATCH, "currency"),
    ],
)
def test_amount_or_currency_mismatch_moves_nothing(bob, bob_deposit, amount, currency, code, field):
    with pytest.raises(PaymentError) as refused:
        services.start_deposit_payment(bob_deposit.pk, bob, "sandbox", amount, currency)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert not Payment.objects.exists()
    nothing_moved(bob_deposit)


def test_bd1_paying_after_the_end_is_refused(bob, bob_deposit, live_auction):
    with clock.travel(timedelta(hours=25)), pytest.raises(PaymentError) as late:
        services.start_deposit_payment(bob_deposit.pk, bob, "sandbox", "10000.00", "CNY")
    assert (late.value.code, late.value.rule) == (Code.AUCTION_ENDED, "BD1")
    nothing_moved(bob_deposit)


def test_provider_the_court_does_not_offer_is_refused(bob, bob_deposit, court):
    CourtPaymentSettings.objects.create(court=court, providers=["bank"])
    with pytest.raises(PaymentError) as refused:
        services.start_deposit_payment(bob_deposit.pk, bob, "sandbox", "10000.00", "CNY")
    assert (refused.value.code, refused.value.field) == (Code.PROVIDER_NOT_OFFERED, "provider")
    nothing_moved(bob_deposit)


def test_sandbox_demo_switch_declines_and_a_retry_pays(bob, bob_deposit):
    failed = services.start_deposit_payment(bob_deposit.pk, bob, "sandbox", "10000.00", "CNY", decline=True)
    assert failed.status == Payment.Status.FAILED and failed.error
    bob_deposit.refresh_from_db()
    assert bob_deposit.status == S.PENDING and not LedgerTransaction.objects.exists()
    paid = services.start_deposit_payment(bob_deposit.pk, bob, "sandbox", "10000.00", "CNY")
    assert paid.pk != failed.pk and paid.status == Payment.Status.SUCCEEDED
    assert paid.key != failed.key


def test_an_open_payment_blocks_another_provider_until_cancelled(bob, bob_deposit):
    bank = services.start_deposit_payment(bob_deposit.pk, bob, "bank", "10000.00", "CNY")
    with pytest.raises(PaymentError) as busy:
        services.start_deposit_payment(bob_deposit.pk, bob, "sandbox", "10000.00", "CNY")
    assert busy.value.code == Code.NOT_PAYABLE
    assert services.cancel_payment(bank.pk, bob).status == Payment.Status.CANCELED
    assert services.start_deposit_payment(bob_deposit.pk, bob, "sandbox", "10000.00", "CNY").status == "succeeded"


def test_bd2_applicant_whose_claim_covers_the_deposit_owes_nothing(live_auction, case):
    from bidding.models import Registration
    from lots.models import Party

    user = factories.make_bidder("jin", "金")
    Party.objects.create(
        case=case,
        role=Party.Role.APPLICANT,
        name="金",
        id_number_hash=user.bidder.id_number_hash,
        claim_amount=factories.cny(50_000),
    )
    registration = Registration.objects.create(
        auction=live_auction, user=user, code="A0900", is_applicant=True, terms_accepted_at=clock.now()
    )
    deposit = services.open_deposit(registration)
    assert deposit.status == S.SECURED and deposit.amount.amount == 0
    assert services.deposit_secured(registration)

"""Deposits and paying in: the interface the bidding engine relies on (BD1, BD2) and payments of
deposits and balances (ST3) through a court's providers.

`open_deposit` is called when a bidder registers; `deposit_secured` is asked under the auction lock
before every bid. Paying in runs in three steps so no lock is held during a provider call:
1. under the locks, check and commit a `Payment` row whose key every provider call derives from;
2. call the provider with that key (outside any transaction);
3. under the locks again, record what the provider says: ledger, deposit status, case record.
A crash between 2 and 3 leaves an open payment; `drive_payment` asks the provider again and
records the same result once (the webhook, the payer's refresh and the worker all call it).
"""

import logging
import secrets
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from auctions import clock
from auctions.models import Auction
from auctions.rules import parse_amount
from bidding.models import Registration
from lots.access import staff_of
from lots.models import DisposalRecord, Party

from . import conf, ledger, locks
from .errors import PaymentError, ProviderError
from .errors import PaymentErrorCode as Code
from .gateways import get_gateway, offered_providers
from .interface import PaymentRequest, RemotePayment, RemoteStatus
from .models import BankTransfer, Deposit, LedgerAccount, LedgerTransaction, Payment, Settlement
from .records import record_disposal
from .rules import retry_delay

log = logging.getLogger(__name__)

CURRENCY = "CNY"
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a bank counter
RECHECK_AFTER = timedelta(minutes=10)
OPEN = Payment.OPEN_STATUSES


# --- The engine's interface (BD1, BD2) ----------------------------------------------------------
def applicant_deposit_due(deposit: Decimal, claim: Decimal | None) -> Decimal:
    """BD2: the applicant creditor bids without a deposit unless its claim is smaller than the
    deposit; then it pays the difference."""
    if claim is None:
        return deposit
    return max(deposit - claim, Decimal("0.00"))


def _applicant_claim(registration: Registration) -> Decimal | None:
    party = (
        Party.objects.filter(
            case=registration.auction.lot.case,
            role=Party.Role.APPLICANT,
            id_number_hash=registration.user.bidder.id_number_hash,
        )
        .exclude(claim_amount=None)
        .first()
    )
    return party.claim_amount.amount if party else None


@transaction.atomic
def open_deposit(registration: Registration) -> Deposit:
    """Creates the registration's deposit; an applicant whose claim covers it owes nothing (BD2)."""
    amount = registration.auction.deposit.amount
    if registration.is_applicant:
        amount = applicant_deposit_due(amount, _applicant_claim(registration))
    deposit = Deposit(registration=registration, amount=amount, status=Deposit.Status.PENDING)
    if amount == 0:
        deposit.status, deposit.provider, deposit.secured_at = Deposit.Status.SECURED, "exempt", clock.now()
    deposit.save()
    return deposit


def deposit_secured(registration: Registration) -> bool:
    """BD1: no deposit secured, no bid."""
    return Deposit.objects.filter(registration=registration, status=Deposit.Status.SECURED).exists()


def pay_with_sandbox(deposit_id: int, user) -> Deposit:
    """The demo button: pays the user's own pending deposit with the sandbox in one click.
    Raises PaymentError (not yours, bidding ended, sandbox not offered) with nothing changed."""
    deposit = Deposit.objects.filter(pk=deposit_id, registration__user=user).first()
    if deposit is None:
        raise locks.not_found(_("没有找到该保证金"))
    if deposit.status == Deposit.Status.PENDING:
        start_deposit_payment(deposit_id, user, "sandbox", deposit.amount.amount, CURRENCY)
        deposit.refresh_from_db()
    return deposit


# --- Checks -------------------------------------------------------------------------------------
def bidding_open(auction: Auction, now) -> bool:
    return auction.status in Auction.OPEN_STATUSES and now < auction.ends_at


def deposit_refusal(deposit: Deposit, now) -> PaymentError | None:
    """BD1: a deposit is paid while it is pending and until bidding ends."""
    if not bidding_open(deposit.registration.auction, now):
        return PaymentError(Code.AUCTION_ENDED, _("竞价已结束，不能再交纳保证金"), rule="BD1")
    if deposit.status != Deposit.Status.PENDING:
        return PaymentError(Code.NOT_PAYABLE, _("该保证金无需再支付"))
    return None


def balance_refusal(settlement: Settlement, now) -> PaymentError | None:
    """ST3: the buyer pays the balance by the announced deadline."""
    if settlement.status != Settlement.Status.AWAITING_BALANCE:
        return PaymentError(Code.NOT_PAYABLE, _("该成交没有待付的尾款"))
    if now > settlement.balance_due_at:
        return PaymentError(Code.BALANCE_OVERDUE, _("尾款支付期限已过，请联系法院"), rule="ST3")
    return None


def payable_refusal(payment: Payment, now) -> PaymentError | None:
    if payment.deposit_id:
        return deposit_refusal(payment.deposit, now)
    return balance_refusal(payment.settlement, now)


def check_amount(expected: Decimal, raw_amount, currency) -> Decimal:
    """The amount and currency a payer confirms must be exactly what is due."""
    if str(currency or "").strip().upper() != CURRENCY:
        raise PaymentError(Code.CURRENCY_MISMATCH, _("币种须为人民币（CNY）"), field="currency")
    amount = parse_amount(raw_amount)
    if amount is None:
        raise PaymentError(Code.INVALID_AMOUNT, _("金额须为正数，最多两位小数"), field="amount")
    if amount != expected:
        raise PaymentError(
            Code.AMOUNT_MISMATCH, _("金额应为 ¥%(expected)s") % {"expected": f"{expected:,.2f}"}, field="amount"
        )
    return amount


def check_provider(auction: Auction, provider: str) -> None:
    if provider not in offered_providers(auction.lot.court):
        raise PaymentError(Code.PROVIDER_NOT_OFFERED, _("本院不提供该支付方式"), field="provider")


def _mismatch(payment: Payment, remote: RemotePayment) -> bool:
    return remote.currency.upper() != CURRENCY or remote.amount != payment.amount.amount


# --- Starting a payment -------------------------------------------------------------------------
def _new_reference(purpose: str) -> str:
    prefix = "BZJ" if purpose == Payment.Purpose.DEPOSIT else "WK"
    return prefix + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))


def _open_payment(purpose: str, provider: str, payer, amount: Decimal, **owner) -> tuple[Payment, bool]:
    """The payable's open payment with this provider (a double click), or a new one."""
    existing = Payment.objects.filter(status__in=OPEN, **owner).first()
    if existing and existing.provider == provider:
        return existing, False
    if existing:
        raise PaymentError(Code.NOT_PAYABLE, _("您有一笔未完成的付款，请先完成或取消它"), field="provider")
    (subject,) = owner.values()
    number = Payment.objects.filter(**owner).count() + 1
    now = clock.now()
    payment = Payment.objects.create(
        purpose=purpose,
        provider=provider,
        payer=payer,
        amount=Money(amount, CURRENCY),
        key=f"{conf.idempotency_prefix()}:{purpose}{subject.pk}:pay{number}",
        reference=_new_reference(purpose),
        created_at=now,
        next_check_at=now + RECHECK_AFTER,
        **owner,
    )
    return payment, True


def start_deposit_payment(deposit_id: int, user, provider: str, amount, currency, *, decline=False) -> Payment:
    """Pays the user's own pending deposit (BD1) through one of the court's providers."""
    with transaction.atomic():
        deposit = locks.deposit_for_update(deposit_id, registration__user=user)
        refusal = deposit_refusal(deposit, clock.now())
        if refusal:
            raise refusal
        check_provider(deposit.registration.auction, provider)
        check_amount(deposit.amount.amount, amount, currency)
        payment, fresh = _open_payment(Payment.Purpose.DEPOSIT, provider, user, deposit.amount.amount, deposit=deposit)
    return drive_payment(payment.pk, first_call=fresh, decline=decline)


def start_balance_payment(settlement_id: int, user, provider: str, amount, currency, *, decline=False) -> Payment:
    """Pays the winner's balance (ST3) through one of the court's providers."""
    with transaction.atomic():
        settlement = locks.settlement_for_update(settlement_id, winner__user=user)
        refusal = balance_refusal(settlement, clock.now())
        if refusal:
            raise refusal
        check_provider(settlement.auction, provider)
        check_amount(settlement.balance.amount, amount, currency)
        payment, fresh = _open_payment(
            Payment.Purpose.BALANCE, provider, user, settlement.balance.amount, settlement=settlement
        )
    return drive_payment(payment.pk, first_call=fresh, decline=decline)


# --- Asking the provider and recording its answer -----------------------------------------------
def _request(payment: Payment, decline: bool) -> PaymentRequest:
    subject = f"deposit:{payment.deposit_id}" if payment.deposit_id else f"settlement:{payment.settlement_id}"
    return PaymentRequest(
        key=payment.key,
        amount=payment.amount.amount,
        currency=CURRENCY,
        reference=payment.reference,
        description=f"{payment.get_purpose_display()} {payment.reference}",
        metadata={"subject": subject},
        decline=decline,
    )


def _ask_provider(gateway, payment: Payment, first_call: bool, decline: bool) -> RemotePayment:
    if payment.provider_ref:
        return gateway.retrieve_payment(payment.provider_ref)
    if not first_call:  # an earlier call may have reached the provider before a crash
        found = gateway.find_payment(payment.key)
        if found:
            return found
    return gateway.create_payment(_request(payment, decline))


def _capture_or_cancel(gateway, payment: Payment, remote: RemotePayment) -> RemotePayment:
    """An authorisation is captured at once when it is what we asked for and still payable;
    otherwise it, or a payment still waiting for the payer, is cancelled."""
    if remote.status not in (RemoteStatus.PENDING, RemoteStatus.AUTHORISED):
        return remote
    wrong = remote.status == RemoteStatus.AUTHORISED and _mismatch(payment, remote)
    if wrong or payable_refusal(payment, clock.now()):
        log.warning("cancelling payment %s at %s: mismatch=%s", payment.reference, payment.provider, wrong)
        return gateway.cancel(remote.ref, payment.key)
    if remote.status == RemoteStatus.AUTHORISED:
        return gateway.capture(remote.ref, payment.key, payment.amount.amount)
    return remote


def drive_payment(payment_id: int, *, first_call: bool = False, decline: bool = False) -> Payment:
    """Brings an open payment up to date with its provider, once, whoever calls and how often."""
    payment = Payment.objects.select_related("deposit__registration__auction", "settlement").get(pk=payment_id)
    if not payment.is_open:
        return payment
    gateway = get_gateway(payment.provider)
    try:
        remote = _capture_or_cancel(gateway, payment, _ask_provider(gateway, payment, first_call, decline))
    except ProviderError as exc:
        return _provider_failed(payment_id, exc)
    with transaction.atomic():
        payment = locks.payment_for_update(payment_id)
        apply_remote(payment, remote)
    return payment


def _provider_failed(payment_id: int, exc: ProviderError) -> Payment:
    log.warning("provider call for payment %s failed: %s", payment_id, exc)
    with transaction.atomic():
        payment = locks.payment_for_update(payment_id)
        if payment.is_open:
            now = clock.now()
            payment.error = str(exc)[:300]
            if exc.declined:
                payment.status, payment.completed_at = Payment.Status.FAILED, now
            else:
                payment.next_check_at = now + retry_delay(1)
            payment.save(update_fields=["error", "status", "completed_at", "next_check_at"])
    if not exc.declined:
        raise PaymentError(Code.PROVIDER_UNAVAILABLE, _("支付服务暂时不可用，请稍后再试；不会重复扣款"))
    return payment


def apply_remote(payment: Payment, remote: RemotePayment, actor=None) -> None:
    """Records the provider's answer. The caller holds the payment's locks (locks.payment_for_update).
    `actor`: the clerk who matched a bank transfer, named in the disposal record (PD5)."""
    if not payment.is_open:
        if remote.status == RemoteStatus.CAPTURED and payment.status != Payment.Status.SUCCEEDED:
            log.error("payment %s captured at %s after it was closed here", payment.reference, payment.provider)
        return
    now = clock.now()
    payment.provider_ref = payment.provider_ref or remote.ref
    if remote.status == RemoteStatus.CAPTURED:
        if _mismatch(payment, remote):
            # Money we did not ask for: left open for the court and reported by reconcile.
            log.error(
                "payment %s captured %s %s, expected %s",
                payment.reference,
                remote.amount,
                remote.currency,
                payment.amount,
            )
            payment.error = "amount or currency mismatch at the provider"
        else:
            _money_arrived(payment, now, actor)
            return
    elif remote.status == RemoteStatus.FAILED:
        payment.status, payment.error, payment.completed_at = Payment.Status.FAILED, remote.error[:300], now
    elif remote.status == RemoteStatus.CANCELED:
        payment.status, payment.completed_at = Payment.Status.CANCELED, now
    elif refusal := payable_refusal(payment, now):
        payment.status, payment.error, payment.completed_at = Payment.Status.CANCELED, str(refusal)[:300], now
    else:
        payment.status = Payment.Status.PENDING
    payment.save()


def _money_arrived(payment: Payment, now, actor=None) -> None:
    """The money is in the court's escrow: post it and secure the deposit, or mark the round paid
    (ST3) and hand it to the case records (PD5)."""
    payment.status, payment.completed_at, payment.error = Payment.Status.SUCCEEDED, now, ""
    payment.save()
    amount = payment.amount.amount
    if payment.deposit_id:
        deposit = payment.deposit
        auction = deposit.registration.auction
        credit, owner = ledger.bidder(payment.payer), {"deposit": deposit}
    else:
        auction = payment.settlement.auction
        credit, owner = ledger.auction_account(LedgerAccount.Kind.PROCEEDS, auction), {}
    ledger.post(
        f"payment:{payment.pk}:in",
        LedgerTransaction.Kind.PAYMENT_IN,
        debit=ledger.escrow(auction.lot.court),
        credit=credit,
        amount=amount,
        auction=auction,
        payment=payment,
        **owner,
    )
    if payment.deposit_id:
        _deposit_paid(payment, now)
    else:
        _balance_paid(payment, now, actor)


def _deposit_paid(payment: Payment, now) -> None:
    deposit = payment.deposit
    if deposit.status != Deposit.Status.PENDING:
        # Late money for a deposit already closed: held on the ledger, reported by reconcile.
        log.error("deposit %s received payment %s while %s", deposit.pk, payment.reference, deposit.status)
        return
    deposit.move_to(Deposit.Status.SECURED, provider=payment.provider, provider_ref=payment.reference, secured_at=now)


def _balance_paid(payment: Payment, now, actor=None) -> None:
    settlement = payment.settlement
    settlement.status, settlement.paid_at = Settlement.Status.PAID, now
    settlement.save(update_fields=["status", "paid_at"])
    detail = {"payment": payment.reference, "provider": payment.provider}
    record_disposal(
        DisposalRecord.Kind.BALANCE_PAID, settlement.auction, amount=payment.amount.amount, actor=actor, detail=detail
    )
    record_disposal(
        DisposalRecord.Kind.PROCEEDS_RECEIVED,
        settlement.auction,
        amount=settlement.price.amount,
        detail={"deposit_applied": str(settlement.deposit_applied.amount), "balance": str(payment.amount.amount)},
    )


def cancel_payment(payment_id: int, user) -> Payment:
    """The payer gives up an open payment (to choose another provider). Money that already arrived
    is recorded instead."""
    payment = Payment.objects.filter(pk=payment_id, payer=user).first()
    if payment is None:
        raise locks.not_found()
    if not payment.is_open:
        return payment
    gateway = get_gateway(payment.provider)
    try:
        remote = (
            gateway.retrieve_payment(payment.provider_ref)
            if payment.provider_ref
            else gateway.find_payment(payment.key)
        )
        if remote and remote.status in (RemoteStatus.PENDING, RemoteStatus.AUTHORISED):
            remote = gateway.cancel(remote.ref, payment.key)
    except ProviderError as exc:
        raise PaymentError(Code.PROVIDER_UNAVAILABLE, _("支付服务暂时不可用，请稍后再试")) from exc
    with transaction.atomic():
        payment = locks.payment_for_update(payment_id)
        if remote and remote.status == RemoteStatus.CAPTURED:
            apply_remote(payment, remote)
        elif payment.is_open:
            payment.status, payment.completed_at = Payment.Status.CANCELED, clock.now()
            payment.save(update_fields=["status", "completed_at"])
    return payment


# --- The clerk's bank-statement matching -------------------------------------------------------
def staff_court(user):
    """The court a clerk works for; anyone else finds nothing."""
    staff = staff_of(user)
    if staff is None:
        raise locks.not_found()
    return staff.court


def court_payments(court):
    return Payment.objects.filter(
        Q(deposit__registration__auction__lot__court=court) | Q(settlement__auction__lot__court=court)
    )


def confirm_bank_transfer(payment_id: int, clerk, amount, bank_ref: str) -> Payment:
    """A clerk matched a statement line to a payment's reference: the money arrived (BD1, ST3)."""
    court = staff_court(clerk)
    if not court_payments(court).filter(pk=payment_id, provider="bank").exists():
        raise locks.not_found()
    with transaction.atomic():
        payment = locks.payment_for_update(payment_id)
        if not payment.is_open:
            raise PaymentError(Code.NOT_PAYABLE, _("该付款已处理"))
        refusal = payable_refusal(payment, clock.now())
        if refusal:
            raise PaymentError(
                refusal.code, _("%(reason)s；请将款项退回付款人") % {"reason": refusal}, rule=refusal.rule
            )
        received = check_amount(payment.amount.amount, amount, CURRENCY)
        BankTransfer.objects.create(
            direction=BankTransfer.Direction.IN,
            payment=payment,
            amount=Money(received, CURRENCY),
            bank_ref=bank_ref,
            confirmed_by=clerk,
            confirmed_at=clock.now(),
        )
        apply_remote(payment, get_gateway("bank").retrieve_payment(payment.reference), actor=clerk)
    return payment

"""After the close: the winner's deposit applied (ST2), the others released (ST2), the balance owed
(ST3) and a default (悔拍, ST4).

`settle_round` runs inside the engine's closing transaction; releases run later in the payments
worker, each in the three steps of payments/services.py (commit the refund row, call the provider
with its key, record the answer), so a crash never refunds twice.
"""

import logging

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from auctions import clock
from auctions.models import Auction
from auctions.rules import allocate_forfeited_deposit, balance_due, deposit_release_deadline, parse_amount
from lots.models import DisposalRecord, Lot

from . import conf, ledger, locks
from .errors import PaymentError
from .errors import PaymentErrorCode as Code
from .gateways import get_gateway
from .interface import RefundRequest, RemoteRefund, RemoteRefundStatus
from .models import BankTransfer, Deposit, Forfeiture, LedgerAccount, LedgerTransaction, Payment, Refund, Settlement
from .records import record_disposal
from .services import CURRENCY, drive_payment, staff_court

log = logging.getLogger(__name__)
Status = Deposit.Status


# --- The close hand-off ------------------------------------------------------------------------
def settle_round(auction: Auction) -> Settlement:
    """ST2 at the close: the winner's deposit becomes part of the price; every other deposit is due
    for release within 24 hours of the end. The caller holds the auction's lock; idempotent."""
    existing = Settlement.objects.filter(auction=auction).first()
    if existing:
        return existing
    now = clock.now()
    deposits = list(
        Deposit.objects.select_for_update(of=("self",))
        .filter(registration__auction=auction)
        .select_related("registration__user")
        .order_by("pk")
    )
    winner = auction.leading_bid.registration if auction.status == Auction.Status.SOLD and auction.leading_bid else None
    settlement = Settlement(auction=auction, release_deadline=deposit_release_deadline(auction.ends_at), created_at=now)
    if winner:
        winner_deposit = next((d for d in deposits if d.registration_id == winner.pk), None)
        applied = _apply(auction, winner_deposit) if winner_deposit else ledger.ZERO
        price = auction.current_price.amount
        balance = balance_due(price, applied)
        settlement.winner, settlement.balance_due_at = winner, auction.balance_due_at
        settlement.price, settlement.deposit_applied = Money(price, CURRENCY), Money(applied, CURRENCY)
        settlement.balance = Money(balance, CURRENCY)
        settlement.status = Settlement.Status.AWAITING_BALANCE if balance else Settlement.Status.PAID
    else:
        settlement.status = Settlement.Status.NO_SALE
    settlement.save()
    for deposit in deposits:
        if deposit.status in Deposit.OPEN_STATUSES and deposit.registration_id != getattr(winner, "pk", None):
            deposit.release_due_by, deposit.next_attempt_at = settlement.release_deadline, now
            deposit.save(update_fields=["release_due_by", "next_attempt_at"])
    return settlement


def _apply(auction: Auction, deposit: Deposit):
    """ST2: the winner's deposit becomes part of the price; returns the amount applied."""
    if deposit.status != Status.SECURED:
        # Cannot happen past BD1; never break the engine's close over it.
        log.error("winner's deposit %s is %s at the close of auction %s", deposit.pk, deposit.status, auction.pk)
        return ledger.ZERO
    held = ledger.held_for_deposit(deposit)
    if held:
        ledger.post(
            f"deposit:{deposit.pk}:apply",
            LedgerTransaction.Kind.APPLY,
            debit=ledger.bidder(deposit.registration.user),
            credit=ledger.auction_account(LedgerAccount.Kind.PROCEEDS, auction),
            amount=held,
            auction=auction,
            deposit=deposit,
        )
    deposit.move_to(Status.APPLIED, settled_at=clock.now())
    record_disposal(
        DisposalRecord.Kind.DEPOSIT_APPLIED, auction, amount=held, detail={"code": deposit.registration.code}
    )
    return held


# --- Releasing deposits (ST2) ------------------------------------------------------------------
def release_deposit(deposit_id: int) -> Deposit:
    """Returns what the ledger holds for a losing bidder through the provider it came in by, once.
    A deposit never paid is closed as released with nothing to return."""
    open_payments = Payment.objects.filter(deposit_id=deposit_id, status__in=Payment.OPEN_STATUSES)
    for payment_id in open_payments.values_list("pk", flat=True):
        drive_payment(payment_id)  # a late capture is recorded (and so refunded); the rest is cancelled
    with transaction.atomic():
        deposit = locks.deposit_for_update(deposit_id)
        if deposit.status not in Deposit.OPEN_STATUSES or deposit.release_due_by is None:
            return deposit
        held = ledger.held_for_deposit(deposit)
        if not held:
            deposit.move_to(Status.RELEASED, settled_at=clock.now(), next_attempt_at=None, last_error="")
            return deposit
        refund = Refund.objects.filter(deposit=deposit).first() or _new_refund(deposit, held)
    drive_refund(refund.pk)
    return Deposit.objects.get(pk=deposit_id)


def _new_refund(deposit: Deposit, held) -> Refund:
    paid = Payment.objects.get(deposit=deposit, status=Payment.Status.SUCCEEDED)
    return Refund.objects.create(
        deposit=deposit,
        payment=paid,
        provider=paid.provider,
        amount=Money(held, CURRENCY),
        key=f"{conf.idempotency_prefix()}:deposit{deposit.pk}:refund",
        created_at=clock.now(),
    )


def drive_refund(refund_id: int) -> Refund:
    """Asks the provider for the refund with its key (finding one an earlier attempt made), then
    records the answer."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status in (Refund.Status.SUCCEEDED, Refund.Status.FAILED):
        return refund
    gateway = get_gateway(refund.provider)
    remote = gateway.find_refund(refund.payment.provider_ref, refund.key) or gateway.refund(
        RefundRequest(
            key=refund.key,
            payment_ref=refund.payment.provider_ref,
            amount=refund.amount.amount,
            currency=CURRENCY,
            metadata={"deposit": str(refund.deposit_id)},
        )
    )
    with transaction.atomic():
        refund = locks.refund_for_update(refund_id)
        apply_refund(refund, remote)
    return refund


def apply_refund(refund: Refund, remote: RemoteRefund) -> None:
    """Records a provider's refund answer; the caller holds the refund's locks."""
    if refund.status in (Refund.Status.SUCCEEDED, Refund.Status.FAILED):
        return
    deposit, now = refund.deposit, clock.now()
    refund.provider_ref = remote.ref or refund.provider_ref
    if remote.status == RemoteRefundStatus.SUCCEEDED:
        refund.status, refund.completed_at = Refund.Status.SUCCEEDED, now
        refund.save()
        ledger.post(
            f"refund:{refund.pk}:out",
            LedgerTransaction.Kind.REFUND_OUT,
            debit=ledger.bidder(refund.payment.payer),
            credit=ledger.escrow(deposit.registration.auction.lot.court),
            amount=refund.amount.amount,
            auction=deposit.registration.auction,
            deposit=deposit,
            refund=refund,
        )
        deposit.move_to(Status.RELEASED, settled_at=now, next_attempt_at=None, last_error="")
        return
    if remote.status == RemoteRefundStatus.FAILED:
        refund.status, refund.error = Refund.Status.FAILED, "refused by the provider"
        log.error("refund %s of deposit %s failed at %s", refund.pk, deposit.pk, refund.provider)
    else:
        refund.status = Refund.Status.PENDING
        # A bank order waits for the clerk, who finishes the release; the worker need not retry.
        deposit.next_attempt_at = None
        deposit.save(update_fields=["next_attempt_at"])
    refund.save()


def confirm_bank_refund(refund_id: int, clerk, bank_ref: str) -> Refund:
    """A clerk executed the transfer order of a bank-transfer deposit's release (ST2)."""
    court = staff_court(clerk)
    with transaction.atomic():
        refund = locks.refund_for_update(refund_id, deposit__registration__auction__lot__court=court, provider="bank")
        if refund.status not in (Refund.Status.CREATED, Refund.Status.PENDING):
            raise PaymentError(Code.NOT_PAYABLE, _("该退款已处理"))
        BankTransfer.objects.create(
            direction=BankTransfer.Direction.OUT,
            refund=refund,
            amount=refund.amount,
            bank_ref=bank_ref,
            confirmed_by=clerk,
            confirmed_at=clock.now(),
        )
        apply_refund(refund, get_gateway("bank").find_refund(refund.payment.provider_ref, refund.key))
    return refund


# --- Default (悔拍, ST4) --------------------------------------------------------------------------
def confirm_default(settlement_id: int, clerk, *, resale_costs, shortfall, debt, reason: str = "") -> Forfeiture:
    """ST4: the buyer did not pay the balance by the deadline. The court confirms; the deposit is not
    returned and pays the re-sale costs, then the shortfall, then the debt (what is left stays
    with the court to apply); the defaulter is barred from the property's later rounds (BD4: the
    engine looks for this FORFEITED deposit)."""
    court = staff_court(clerk)
    claims = {
        "resale_costs": optional_amount(resale_costs, "resale_costs"),
        "shortfall": optional_amount(shortfall, "shortfall"),
        "debt": optional_amount(debt, "debt"),
    }
    with transaction.atomic():
        settlement = locks.settlement_for_update(settlement_id, auction__lot__court=court)
        if settlement.status != Settlement.Status.AWAITING_BALANCE:
            raise PaymentError(Code.NOT_PAYABLE, _("该成交不处于待付尾款状态"))
        if clock.now() <= settlement.balance_due_at:
            raise PaymentError(Code.DEFAULT_NOT_DUE, _("尾款支付期限尚未届满，不能认定悔拍"), rule="ST4")
        deposit = Deposit.objects.select_related("registration__user").get(registration=settlement.winner)
        amount = settlement.deposit_applied.amount
        use = allocate_forfeited_deposit(amount, **claims)
        _post_forfeiture(settlement.auction, deposit, vars(use))
        now = clock.now()
        deposit.move_to(Status.FORFEITED, settled_at=now)
        open_payments = Payment.objects.select_for_update().filter(
            settlement=settlement, status__in=Payment.OPEN_STATUSES
        )
        for payment in open_payments:
            payment.status, payment.completed_at = Payment.Status.CANCELED, now
            payment.save(update_fields=["status", "completed_at"])
        settlement.status, settlement.defaulted_at = Settlement.Status.DEFAULTED, now
        settlement.save(update_fields=["status", "defaulted_at"])
        # ST4: the lot is for sale again (re-auction: auctions/steps.py); the defaulter is barred (BD4).
        Lot.objects.filter(pk=settlement.auction.lot_id, status=Lot.Status.SOLD).update(
            status=Lot.Status.LISTED, updated_at=now
        )
        forfeiture = Forfeiture.objects.create(
            deposit=deposit,
            settlement=settlement,
            amount=Money(amount, CURRENCY),
            reason=reason,
            confirmed_by=clerk,
            confirmed_at=now,
            **{name: Money(value, CURRENCY) for name, value in vars(use).items()},
        )
        record_disposal(
            DisposalRecord.Kind.DEPOSIT_FORFEITED,
            settlement.auction,
            amount=amount,
            actor=clerk,
            detail={"code": deposit.registration.code, **{name: str(value) for name, value in vars(use).items()}},
        )
    return forfeiture


def _post_forfeiture(auction: Auction, deposit: Deposit, use: dict) -> None:
    """Moves the applied deposit out of the round's proceeds into one account per ST4 use."""
    proceeds = ledger.auction_account(LedgerAccount.Kind.PROCEEDS, auction)
    for kind, part in use.items():
        if part:
            ledger.post(
                f"deposit:{deposit.pk}:forfeit:{kind}",
                LedgerTransaction.Kind.FORFEIT,
                debit=proceeds,
                credit=ledger.auction_account(kind, auction),
                amount=part,
                auction=auction,
                deposit=deposit,
            )


def optional_amount(raw, field: str):
    """A non-negative yuan amount from the court's form; blank or zero means none."""
    text = str(raw if raw is not None else "").strip()
    if text in ("", "0", "0.0", "0.00"):
        return ledger.ZERO
    value = parse_amount(text)
    if value is None:
        raise PaymentError(Code.INVALID_AMOUNT, _("金额须为正数，最多两位小数"), field=field)
    return value

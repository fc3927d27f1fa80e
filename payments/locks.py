"""Row locks in the global order: Auction → Lot → Registration → Deposit, then within payments
Settlement → Payment → Refund, and ledger rows last. Every payments write takes its locks here.

`NOT_FOUND` answers both "missing" and "not yours", so ids of others' deposits reveal nothing.
"""

from django.utils.translation import gettext_lazy as _

from auctions.models import Auction

from .errors import PaymentError, PaymentErrorCode
from .models import Deposit, Payment, Refund, Settlement


def not_found(what=None) -> PaymentError:
    return PaymentError(PaymentErrorCode.NOT_FOUND, what or _("没有找到该付款事项"))


def _auction(auction_id: int) -> Auction:
    return Auction.objects.select_for_update(of=("self",)).select_related("lot__case", "lot__court").get(pk=auction_id)


def deposit_for_update(deposit_id, **scope) -> Deposit:
    """The deposit with its auction locked first. `scope` narrows it (`registration__user=user`,
    `registration__auction__lot__court=court`)."""
    auction_id = (
        Deposit.objects.filter(pk=deposit_id, **scope).values_list("registration__auction_id", flat=True).first()
    )
    if auction_id is None:
        raise not_found(_("没有找到该保证金"))
    auction = _auction(auction_id)
    deposit = Deposit.objects.select_for_update(of=("self",)).select_related("registration__user").get(pk=deposit_id)
    deposit.registration.auction = auction
    return deposit


def settlement_for_update(settlement_id, **scope) -> Settlement:
    row = Settlement.objects.filter(pk=settlement_id, **scope).values("auction_id", "winner_id").first()
    if row is None:
        raise not_found()
    auction = _auction(row["auction_id"])
    list(Deposit.objects.select_for_update(of=("self",)).filter(registration=row["winner_id"]))
    settlement = Settlement.objects.select_for_update(of=("self",)).get(pk=settlement_id)
    settlement.auction = auction
    return settlement


def payment_for_update(payment_id, **scope) -> Payment:
    """The payment with its auction, then its deposit or settlement, locked before it."""
    row = Payment.objects.filter(pk=payment_id, **scope).values("deposit_id", "settlement_id").first()
    if row is None:
        raise not_found()
    if row["deposit_id"]:
        deposit = deposit_for_update(row["deposit_id"])
        payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment_id)
        payment.deposit = deposit
    else:
        settlement = settlement_for_update(row["settlement_id"])
        payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment_id)
        payment.settlement = settlement
    return payment


def refund_for_update(refund_id, **scope) -> Refund:
    deposit_id = Refund.objects.filter(pk=refund_id, **scope).values_list("deposit_id", flat=True).first()
    if deposit_id is None:
        raise not_found()
    deposit = deposit_for_update(deposit_id)
    refund = Refund.objects.select_for_update(of=("self",)).select_related("payment").get(pk=refund_id)
    refund.deposit = deposit
    return refund

"""Offline bank transfer into the court's account. The bidder transfers with the payment's unique
reference; the provider's books are the statement lines a clerk matched (`BankTransfer`). Refunds
are transfer orders a clerk executes and confirms the same way.
"""

from decimal import Decimal

from django.db.models import Sum

from ..errors import ProviderError
from ..interface import (
    PaymentRequest,
    RefundRequest,
    RemotePayment,
    RemoteRefund,
    RemoteRefundStatus,
    RemoteStatus,
)
from ..models import BankTransfer, Payment
from .base import NothingToCapture

ZERO = Decimal("0.00")


def _refunded(payment: Payment) -> Decimal:
    total = BankTransfer.objects.filter(direction=BankTransfer.Direction.OUT, refund__payment=payment).aggregate(
        s=Sum("amount")
    )["s"]
    return total or ZERO


def _remote(payment: Payment) -> RemotePayment:
    received = BankTransfer.objects.filter(direction=BankTransfer.Direction.IN, payment=payment).first()
    if received:
        status, amount, currency = RemoteStatus.CAPTURED, received.amount.amount, str(received.amount.currency)
    else:
        canceled = payment.status == Payment.Status.CANCELED
        status = RemoteStatus.CANCELED if canceled else RemoteStatus.PENDING
        amount, currency = payment.amount.amount, str(payment.amount.currency)
    return RemotePayment(
        ref=payment.reference,
        status=status,
        amount=amount,
        currency=currency,
        key=payment.key,
        amount_refunded=_refunded(payment),
    )


class BankTransferGateway(NothingToCapture):
    name = "bank"
    asynchronous = True

    def create_payment(self, request: PaymentRequest) -> RemotePayment:
        return self.retrieve_payment(request.reference)

    def retrieve_payment(self, ref: str) -> RemotePayment:
        payment = Payment.objects.filter(reference=ref, provider=self.name).first()
        if payment is None:
            raise ProviderError(f"no bank transfer is expected with reference {ref}")
        return _remote(payment)

    def find_payment(self, key: str) -> RemotePayment | None:
        payment = Payment.objects.filter(key=key, provider=self.name).first()
        return _remote(payment) if payment else None

    def refund(self, request: RefundRequest) -> RemoteRefund:
        found = self.find_refund(request.payment_ref, request.key)
        if found:
            return found
        # The transfer order waits for a clerk to execute it and record the bank's reference.
        return RemoteRefund(
            ref="", status=RemoteRefundStatus.PENDING, amount=request.amount, currency=request.currency, key=request.key
        )

    def find_refund(self, payment_ref: str, key: str) -> RemoteRefund | None:
        sent = (
            BankTransfer.objects.filter(direction=BankTransfer.Direction.OUT, refund__key=key)
            .select_related("refund")
            .first()
        )
        if sent is None:
            return None
        return RemoteRefund(
            ref=sent.bank_ref,
            status=RemoteRefundStatus.SUCCEEDED,
            amount=sent.amount.amount,
            currency=str(sent.amount.currency),
            key=key,
        )

    def list_payments(self) -> list[RemotePayment]:
        received = BankTransfer.objects.filter(direction=BankTransfer.Direction.IN).select_related("payment")
        return [_remote(line.payment) for line in received]

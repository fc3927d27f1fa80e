"""The demo provider: answers at once, keeps its own books, honours idempotency keys like a real one.

`decline=True` on a request (the demo's "make it fail" switch) declines the charge.
"""

import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from djmoney.money import Money

from auctions import clock

from ..errors import ProviderError
from ..interface import (
    PaymentRequest,
    RefundRequest,
    RemotePayment,
    RemoteRefund,
    RemoteRefundStatus,
    RemoteStatus,
)
from ..models import SandboxTransaction
from .base import NothingToCapture

Kind = SandboxTransaction.Kind


def _payment(row: SandboxTransaction) -> RemotePayment:
    refunded = sum((r.amount.amount for r in row.refunds.all() if r.succeeded), Decimal("0.00"))
    return RemotePayment(
        ref=row.ref,
        status=RemoteStatus.CAPTURED if row.succeeded else RemoteStatus.FAILED,
        amount=row.amount.amount,
        currency=str(row.amount.currency),
        key=row.key,
        amount_refunded=refunded,
        error="" if row.succeeded else "declined by the sandbox demo switch",
    )


def _refund(row: SandboxTransaction) -> RemoteRefund:
    return RemoteRefund(
        ref=row.ref,
        status=RemoteRefundStatus.SUCCEEDED,
        amount=row.amount.amount,
        currency=str(row.amount.currency),
        key=row.key,
    )


class SandboxGateway(NothingToCapture):
    name = "sandbox"
    asynchronous = False

    def _record(self, key: str, **fields) -> SandboxTransaction:
        existing = SandboxTransaction.objects.filter(key=key).first()
        if existing:
            return existing  # the same key answers the same result, as a real provider does
        try:
            with transaction.atomic():
                return SandboxTransaction.objects.create(
                    ref="sbx_" + secrets.token_hex(8), key=key, created_at=clock.now(), **fields
                )
        except IntegrityError:
            return SandboxTransaction.objects.get(key=key)

    def create_payment(self, request: PaymentRequest) -> RemotePayment:
        row = self._record(
            request.key,
            kind=Kind.CHARGE,
            amount=Money(request.amount, request.currency),
            succeeded=not request.decline,
            metadata=request.metadata,
        )
        return _payment(row)

    def retrieve_payment(self, ref: str) -> RemotePayment:
        row = SandboxTransaction.objects.filter(ref=ref, kind=Kind.CHARGE).first()
        if row is None:
            raise ProviderError(f"sandbox has no payment {ref}")
        return _payment(row)

    def find_payment(self, key: str) -> RemotePayment | None:
        row = SandboxTransaction.objects.filter(key=key, kind=Kind.CHARGE).first()
        return _payment(row) if row else None

    def refund(self, request: RefundRequest) -> RemoteRefund:
        existing = SandboxTransaction.objects.filter(key=request.key).first()
        if existing:
            return _refund(existing)
        charge = SandboxTransaction.objects.filter(ref=request.payment_ref, kind=Kind.CHARGE, succeeded=True).first()
        if charge is None:
            raise ProviderError(f"sandbox has no captured payment {request.payment_ref}")
        if _payment(charge).amount_refunded + request.amount > charge.amount.amount:
            raise ProviderError("refund exceeds the captured amount")
        row = self._record(
            request.key,
            kind=Kind.REFUND,
            charge=charge,
            amount=Money(request.amount, request.currency),
            succeeded=True,
            metadata=request.metadata,
        )
        return _refund(row)

    def find_refund(self, payment_ref: str, key: str) -> RemoteRefund | None:
        row = SandboxTransaction.objects.filter(key=key, kind=Kind.REFUND).first()
        return _refund(row) if row else None

    def list_payments(self) -> list[RemotePayment]:
        rows = SandboxTransaction.objects.filter(kind=Kind.CHARGE).prefetch_related("refunds")
        return [_payment(row) for row in rows]

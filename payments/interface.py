"""What services and providers exchange: small frozen dataclasses with Decimal yuan amounts.

Minor units, SDK objects and provider error classes never cross this boundary; a gateway raises
`payments.errors.ProviderError` and answers with these values.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class RemoteStatus(StrEnum):
    """A payment as the provider sees it."""

    PENDING = "pending"  # waiting for the payer (card entry, bank transfer)
    AUTHORISED = "authorised"  # the card is authorised; we capture or cancel
    CAPTURED = "captured"
    FAILED = "failed"
    CANCELED = "canceled"


class RemoteRefundStatus(StrEnum):
    PENDING = "pending"  # accepted, the money is not yet out (a bank order waiting for the clerk)
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class PaymentRequest:
    key: str  # idempotency key: every call for this payment derives its own from it
    amount: Decimal
    currency: str
    reference: str  # shown to the payer; the bank-transfer reference
    description: str
    metadata: dict = field(default_factory=dict)
    decline: bool = False  # the sandbox's demo switch; real providers ignore it


@dataclass(frozen=True)
class RemotePayment:
    ref: str
    status: RemoteStatus
    amount: Decimal
    currency: str
    key: str = ""
    amount_refunded: Decimal = Decimal("0.00")
    client_secret: str = ""  # Stripe: what the browser confirms the card with
    error: str = ""


@dataclass(frozen=True)
class RefundRequest:
    key: str
    payment_ref: str
    amount: Decimal
    currency: str
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteRefund:
    ref: str
    status: RemoteRefundStatus
    amount: Decimal
    currency: str
    key: str = ""


@dataclass(frozen=True)
class RemoteEvent:
    """A verified webhook event: only its id and what it is about; state is always re-fetched."""

    id: str
    type: str
    object_id: str
    object_type: str


class Gateway(Protocol):
    name: str
    # A payer acts at the provider (card page, bank counter) before money arrives.
    asynchronous: bool

    def create_payment(self, request: PaymentRequest) -> RemotePayment: ...

    def retrieve_payment(self, ref: str) -> RemotePayment: ...

    def find_payment(self, key: str) -> RemotePayment | None:
        """Recovery: the payment created with this key, if an earlier call reached the provider."""

    def capture(self, ref: str, key: str, amount: Decimal) -> RemotePayment: ...

    def cancel(self, ref: str, key: str) -> RemotePayment: ...

    def refund(self, request: RefundRequest) -> RemoteRefund: ...

    def find_refund(self, payment_ref: str, key: str) -> RemoteRefund | None: ...

    def list_payments(self) -> list[RemotePayment]:
        """Every payment this platform made at the provider, for reconciliation."""

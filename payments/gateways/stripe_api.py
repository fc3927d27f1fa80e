"""Stripe PaymentIntents behind the gateway interface: the ONLY module that imports `stripe`, and the
only place where amounts are minor units.

Every create, capture, cancel and refund carries an idempotency key derived from our payment's or
refund's key and the operation, so a retried call returns the first call's result. Card deposits are
authorised (capture_method=manual), checked against what we expect, then captured at once: an
authorisation lapses after about seven days, long before a 30-day announcement period ends.
"""

from decimal import Decimal

import stripe

from .. import conf
from ..errors import ProviderError
from ..interface import (
    PaymentRequest,
    RefundRequest,
    RemoteEvent,
    RemotePayment,
    RemoteRefund,
    RemoteRefundStatus,
    RemoteStatus,
)

API_VERSION = "2026-10-28.endive"  # what stripe-python 16.1.0 was generated for
MINOR_PER_MAJOR = {"cny": 100}
KEY_FIELD = "payment_key"  # metadata field that finds a payment again after a crash
REFUND_KEY_FIELD = "refund_key"

STATUSES = {
    "requires_payment_method": RemoteStatus.PENDING,
    "requires_confirmation": RemoteStatus.PENDING,
    "requires_action": RemoteStatus.PENDING,
    "processing": RemoteStatus.PENDING,
    "requires_capture": RemoteStatus.AUTHORISED,
    "succeeded": RemoteStatus.CAPTURED,
    "canceled": RemoteStatus.CANCELED,
}
REFUND_STATUSES = {
    "succeeded": RemoteRefundStatus.SUCCEEDED,
    "pending": RemoteRefundStatus.PENDING,
    "requires_action": RemoteRefundStatus.PENDING,
    "failed": RemoteRefundStatus.FAILED,
    "canceled": RemoteRefundStatus.FAILED,
}


def to_minor(amount: Decimal, currency: str) -> int:
    factor = MINOR_PER_MAJOR[currency.lower()]
    minor = amount * factor
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    return int(minor)


def from_minor(value: int, currency: str) -> Decimal:
    return (Decimal(value) / MINOR_PER_MAJOR[currency.lower()]).quantize(Decimal("0.01"))


class WebhookRejected(Exception):
    """A webhook whose signature is missing, forged or stale, or whose body is not an event."""


def verify_webhook(payload: bytes, signature: str | None) -> RemoteEvent:
    """Checks the Stripe-Signature header against the endpoint's signing secret."""
    secret = conf.stripe_webhook_secret()
    if not secret or not signature:
        raise WebhookRejected("no signing secret configured or no signature sent")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=conf.WEBHOOK_TOLERANCE_SECONDS)
        obj = event["data"]["object"]
        return RemoteEvent(id=event["id"], type=event["type"], object_id=obj["id"], object_type=obj["object"])
    except (stripe.SignatureVerificationError, ValueError, KeyError) as exc:
        raise WebhookRejected(str(exc)) from exc


def _payment(pi) -> RemotePayment:
    data = pi.to_dict()
    currency = data["currency"]
    charge = data.get("latest_charge") if isinstance(data.get("latest_charge"), dict) else {}
    error = data.get("last_payment_error") or {}
    return RemotePayment(
        ref=data["id"],
        status=STATUSES.get(data["status"], RemoteStatus.PENDING),
        amount=from_minor(data["amount"], currency),
        currency=currency.upper(),
        key=(data.get("metadata") or {}).get(KEY_FIELD, ""),
        amount_refunded=from_minor(charge.get("amount_refunded") or 0, currency),
        client_secret=data.get("client_secret") or "",
        error=error.get("message", ""),
    )


def _refund(refund) -> RemoteRefund:
    data = refund.to_dict()
    return RemoteRefund(
        ref=data["id"],
        status=REFUND_STATUSES.get(data.get("status"), RemoteRefundStatus.PENDING),
        amount=from_minor(data["amount"], data["currency"]),
        currency=data["currency"].upper(),
        key=(data.get("metadata") or {}).get(REFUND_KEY_FIELD, ""),
    )


class StripeGateway:
    name = "stripe"
    asynchronous = True

    def __init__(self):
        base = conf.stripe_api_base()
        self.client = stripe.StripeClient(
            conf.stripe_secret_key(),
            stripe_version=API_VERSION,
            base_addresses={"api": base} if base else None,
            max_network_retries=2,  # the SDK retries with the same idempotency key
        )

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except stripe.CardError as exc:
            raise ProviderError(exc.user_message or str(exc), declined=True) from exc
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc

    def _retrieve(self, ref: str):
        return self._call(self.client.v1.payment_intents.retrieve, ref, params={"expand": ["latest_charge"]})

    def create_payment(self, request: PaymentRequest) -> RemotePayment:
        pi = self._call(
            self.client.v1.payment_intents.create,
            params={
                "amount": to_minor(request.amount, request.currency),
                "currency": request.currency.lower(),
                "capture_method": "manual",
                "payment_method_types": ["card"],
                "metadata": {
                    **request.metadata,
                    KEY_FIELD: request.key,
                    "reference": request.reference,
                    "description": request.description,
                },
            },
            options={"idempotency_key": f"{request.key}:create"},
        )
        return _payment(pi)

    def retrieve_payment(self, ref: str) -> RemotePayment:
        return _payment(self._retrieve(ref))

    def find_payment(self, key: str) -> RemotePayment | None:
        return next((payment for payment in self.list_payments() if payment.key == key), None)

    def capture(self, ref: str, key: str, amount: Decimal) -> RemotePayment:
        current = self.retrieve_payment(ref)
        if current.status != RemoteStatus.AUTHORISED:
            return current  # captured by an earlier call, or nothing to capture
        self._call(
            self.client.v1.payment_intents.capture,
            ref,
            params={"amount_to_capture": to_minor(amount, current.currency)},
            options={"idempotency_key": f"{key}:capture"},
        )
        return self.retrieve_payment(ref)

    def cancel(self, ref: str, key: str) -> RemotePayment:
        current = self.retrieve_payment(ref)
        if current.status in (RemoteStatus.CAPTURED, RemoteStatus.CANCELED):
            return current
        self._call(self.client.v1.payment_intents.cancel, ref, options={"idempotency_key": f"{key}:cancel"})
        return self.retrieve_payment(ref)

    def refund(self, request: RefundRequest) -> RemoteRefund:
        refund = self._call(
            self.client.v1.refunds.create,
            params={
                "payment_intent": request.payment_ref,
                "amount": to_minor(request.amount, request.currency),
                "metadata": {**request.metadata, REFUND_KEY_FIELD: request.key},
            },
            options={"idempotency_key": f"{request.key}:create"},
        )
        return _refund(refund)

    def find_refund(self, payment_ref: str, key: str) -> RemoteRefund | None:
        refunds = self._call(self.client.v1.refunds.list, params={"payment_intent": payment_ref, "limit": 100})
        return next((_refund(r) for r in refunds.auto_paging_iter() if _refund(r).key == key), None)

    def list_payments(self) -> list[RemotePayment]:
        prefix = conf.idempotency_prefix() + ":"
        listing = self._call(
            self.client.v1.payment_intents.list, params={"limit": 100, "expand": ["data.latest_charge"]}
        )
        payments = (_payment(pi) for pi in listing.auto_paging_iter())
        return [payment for payment in payments if payment.key.startswith(prefix)]

"""Stripe webhooks: verify the signature first, keep each event once, then ask Stripe for the
current state of what it is about. The event body is never trusted for amounts or status, so
duplicated and out-of-order deliveries change nothing."""

import logging

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from auctions import clock

from .errors import PaymentError, ProviderError
from .gateways import get_gateway
from .gateways.stripe_api import WebhookRejected, verify_webhook
from .interface import RemoteEvent
from .models import Payment, Refund, WebhookEvent
from .services import drive_payment
from .settlement import drive_refund

log = logging.getLogger(__name__)


def _payment_for(object_id: str) -> Payment | None:
    payment = Payment.objects.filter(provider="stripe", provider_ref=object_id).first()
    if payment is None:  # created at Stripe, but the crash came before we stored its id
        key = get_gateway("stripe").retrieve_payment(object_id).key
        payment = Payment.objects.filter(provider="stripe", key=key).first() if key else None
    return payment


def process_stripe_event(event: RemoteEvent) -> str:
    """Returns what was done; raising makes Stripe deliver the event again later."""
    try:
        with transaction.atomic():
            row = WebhookEvent.objects.create(
                provider="stripe",
                provider_event_id=event.id,
                type=event.type,
                object_id=event.object_id,
                received_at=clock.now(),
            )
    except IntegrityError:
        row = WebhookEvent.objects.get(provider="stripe", provider_event_id=event.id)
        if row.processed_at:
            return "duplicate"
    if event.object_type == "payment_intent":
        payment = _payment_for(event.object_id)
        outcome = f"payment {drive_payment(payment.pk).status}" if payment else "unknown_payment"
    elif event.object_type == "refund":
        refund = Refund.objects.filter(provider="stripe", provider_ref=event.object_id).first()
        outcome = f"refund {drive_refund(refund.pk).status}" if refund else "unknown_refund"
    else:
        outcome = "ignored"
    if outcome.startswith("unknown"):
        log.warning("stripe event %s (%s) is about %s, which is not ours", event.id, event.type, event.object_id)
    WebhookEvent.objects.filter(pk=row.pk).update(processed_at=clock.now(), outcome=outcome)
    return outcome


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """400 for a missing, forged or stale signature (logged, nothing changed); 200 once handled,
    including events about payments that are not ours (a 4xx would make Stripe retry for days)."""
    try:
        event = verify_webhook(request.body, request.headers.get("Stripe-Signature"))
    except WebhookRejected as exc:
        log.warning("rejected a Stripe webhook from %s: %s", request.META.get("REMOTE_ADDR"), exc)
        return JsonResponse({"code": "bad_signature", "message": "invalid or stale signature"}, status=400)
    try:
        outcome = process_stripe_event(event)
    except (PaymentError, ProviderError) as exc:
        log.warning("stripe event %s not processed yet: %s", event.id, exc)
        return JsonResponse({"code": "retry_later", "message": str(exc)}, status=503)
    return JsonResponse({"received": event.id, "outcome": outcome})

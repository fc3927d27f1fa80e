"""Signed webhooks to the courts' own systems: every disposal step of a court's cases is POSTed
to each of the court's active endpoints.

Durable outbox: `queue_deliveries` writes one WebhookDelivery row per endpoint inside the
transaction that records the step (`lots.services.record_disposal`), so the step and the promise
to report it commit together; the send is enqueued on commit (huey, notices/tasks.py). A failed
send is retried with exponential backoff; a periodic task re-enqueues any delivery whose time has
come (a lost task, a crashed worker). Delivery is at least once: receivers deduplicate by event id.

Signature (docs/court-api.md): header `Auction-Signature: t=<unix seconds>,v1=<hex>` where hex is
HMAC-SHA256 over `"<t>." + body` with the endpoint's secret.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from auctions import clock
from lots.models import Court, DisposalRecord

from .court_feed import record_json
from .models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Auction-Signature"
EVENT_ID_HEADER = "Auction-Event-Id"
EVENT_TYPE_HEADER = "Auction-Event-Type"
TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 12  # 1 min, 2, 4 … 6 h: about a day and a half of retries before giving up
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
SIGNATURE_TOLERANCE = timedelta(minutes=5)
REDELIVER_BATCH = 100
MAX_ENDPOINTS_PER_COURT = 5


# --- Signing --------------------------------------------------------------------------------------
def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify_signature(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (docs/court-api.md): parse t and v1, recompute, compare in constant
    time, and refuse a timestamp further than `tolerance` seconds from its own clock (replays)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, timestamp, body))


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed send: 1 min, 2, 4, 8 … at most 6 hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


# --- Endpoints ------------------------------------------------------------------------------------
def check_url(url: str) -> str:
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            {"url": ValidationError(_("请填写以 http:// 或 https:// 开头的完整地址。"), code="invalid_url")}
        ) from None
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ValidationError({"url": ValidationError(_("地址中不得包含用户名或密码。"), code="credentials_in_url")})
    if getattr(settings, "PRODUCTION", False):
        if parts.scheme != "https":
            raise ValidationError({"url": ValidationError(_("请使用 https:// 地址。"), code="https_required")})
        if _internal_host(parts.hostname or ""):
            raise ValidationError({"url": ValidationError(_("不能推送到本机或内网地址。"), code="internal_address")})
    return url


def _internal_host(host: str) -> bool:
    """Loopback, private, link-local or reserved literal addresses, and localhost: in production the
    platform must not be made to POST into its own network. (A name that resolves to such an
    address later is not caught here; the egress firewall is the real guard, docs/court-api.md.)"""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local or address.is_reserved


@transaction.atomic
def create_endpoint(court: Court, actor, *, url: str, description: str = "") -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret, returned here once and never shown again."""
    url = check_url(url)
    description = (description or "").strip()[:120]
    Court.objects.select_for_update().filter(pk=court.pk).first()  # serialises the count below
    if WebhookEndpoint.objects.filter(court=court, disabled_at__isnull=True).count() >= MAX_ENDPOINTS_PER_COURT:
        raise ValidationError(
            {
                "url": ValidationError(
                    _("每个法院最多%(n)s个启用的回传地址。") % {"n": MAX_ENDPOINTS_PER_COURT}, code="too_many"
                )
            }
        )
    if WebhookEndpoint.objects.filter(court=court, url=url, disabled_at__isnull=True).exists():
        raise ValidationError({"url": ValidationError(_("该地址已添加。"), code="duplicate_url")})
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        court=court,
        url=url,
        description=description,
        secret=secret,
        secret_hint=secret[:10],
        created_by=actor,
        created_at=clock.now(),
    )
    return endpoint, secret


@transaction.atomic
def disable_endpoint(endpoint: WebhookEndpoint, actor) -> WebhookEndpoint:
    """Stops new deliveries to the endpoint; pending ones are given up."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.disabled_at is None:
        endpoint.disabled_at = clock.now()
        endpoint.save(update_fields=["disabled_at"])
        endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.FAILED, last_error="endpoint disabled", next_attempt_at=None
        )
    return endpoint


# --- The outbox -----------------------------------------------------------------------------------
def event_type(record: DisposalRecord) -> str:
    return f"disposal.{record.kind}"


def queue_deliveries(record: DisposalRecord) -> list[WebhookDelivery]:
    """Called by `lots.services.record_disposal` inside the step's transaction: one delivery per
    active endpoint of the case's court, sent after commit."""
    endpoints = list(WebhookEndpoint.objects.filter(court_id=record.case.court_id, disabled_at__isnull=True))
    if not endpoints:
        return []
    now = clock.now()
    data = record_json(record)
    deliveries = []
    for endpoint in endpoints:
        delivery = WebhookDelivery(
            endpoint=endpoint, record=record, event_type=event_type(record), next_attempt_at=now, created_at=now
        )
        delivery.payload = {
            "id": str(delivery.event_id),
            "type": delivery.event_type,
            "created_at": data["at"],
            "data": data,
        }
        deliveries.append(delivery)
    WebhookDelivery.objects.bulk_create(deliveries)
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return deliveries


def _enqueue(ids: list[int]) -> None:
    from .tasks import deliver_webhook

    for delivery_id in ids:
        deliver_webhook(delivery_id)


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Takes a due delivery for one attempt: counts it and pushes its next time out by the backoff
    first, so a worker that dies mid-send leaves it for the periodic re-enqueue, not lost."""
    with transaction.atomic():
        now = clock.now()
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
        return delivery


def _send(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POSTs the event; (status code, error) where a 2xx status with no error is success."""
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(clock.now().timestamp())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "judicial-auctions-webhooks/1",
        EVENT_ID_HEADER: str(delivery.event_id),
        EVENT_TYPE_HEADER: delivery.event_type,
        SIGNATURE_HEADER: signature_header(delivery.endpoint.secret, timestamp, body),
    }
    try:
        response = requests.post(
            delivery.endpoint.url, data=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False
        )
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300]
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}"


def attempt(delivery_id: int) -> WebhookDelivery | None:
    """One send of a due delivery, then its outcome recorded: delivered, given up after
    MAX_ATTEMPTS, or left pending until `next_attempt_at` (and scheduled for then)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    status_code, error = _send(delivery)
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        delivery.last_status_code, delivery.last_error = status_code, error
        if not error:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                WebhookDelivery.Status.DELIVERED,
                clock.now(),
                None,
            )
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
            log.warning(
                "webhook %s to %s given up after %s attempts", delivery.event_id, delivery.endpoint_id, MAX_ATTEMPTS
            )
        delivery.save(update_fields=["last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"])
        if delivery.status == WebhookDelivery.Status.PENDING:
            retry_at = delivery.next_attempt_at
            transaction.on_commit(lambda: _schedule(delivery.pk, retry_at), robust=True)
    return delivery


def _schedule(delivery_id: int, at) -> None:
    from .tasks import deliver_webhook

    deliver_webhook.schedule((delivery_id,), delay=max((at - clock.now()).total_seconds(), 0))


def redeliver_due() -> int:
    """The periodic safety net: attempts every pending delivery whose time has come (its task was
    lost, or its worker died mid-send). Returns how many were attempted."""
    due = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=clock.now())
    ids = list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:REDELIVER_BATCH])
    return sum(attempt(pk) is not None for pk in ids)


@transaction.atomic
def retry_now(delivery: WebhookDelivery, actor) -> WebhookDelivery:
    """The court asks for a given-up or waiting delivery to be sent again at once."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    if delivery.status == WebhookDelivery.Status.DELIVERED or not delivery.endpoint.is_active:
        return delivery
    if delivery.status == WebhookDelivery.Status.FAILED:
        delivery.attempts = 0
    delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.PENDING, clock.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    transaction.on_commit(lambda: _enqueue([delivery.pk]), robust=True)
    return delivery

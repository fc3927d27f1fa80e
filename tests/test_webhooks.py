"""Court webhooks: the outbox row written in the step's own transaction, a real HTTP receiver on
loopback that verifies the HMAC-SHA256 signature and deduplicates by event id, retries with
exponential backoff, the periodic re-enqueue, and the console and API to configure endpoints."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from auctions import clock
from lots import services as lot_services
from lots.models import AppraisalAgency, DisposalRecord
from notices import tasks, webhooks
from notices.models import WebhookDelivery, WebhookEndpoint
from tests.results_support import buyer_with_deposit, close_round

K = DisposalRecord.Kind
D = WebhookDelivery.Status


class Receiver:
    """A court system's endpoint on loopback: answers with the queued statuses (then 200), keeps
    every request, and accepts each event id once, as docs/court-api.md tells receivers to."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        self.accepted: dict[str, dict] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if status == 200:
                    receiver.accepted.setdefault(self.headers["Auction-Event-Id"], json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/auctions"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def verified(request, secret: str) -> bool:
    now = int(clock.now().timestamp())
    return webhooks.verify_signature(secret, request["headers"]["Auction-Signature"], request["body"], now)


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def endpoint(court, clerk, receiver):
    endpoint, secret = webhooks.create_endpoint(court, clerk.user, url=receiver.url, description="执行系统")
    endpoint.plain_secret = secret
    return endpoint


def draw(lot, clerk, django_capture_on_commit_callbacks):
    """One disposal step of the court's case (RP2 agency draw), committed."""
    with django_capture_on_commit_callbacks(execute=True):
        lot.court.panel.add(AppraisalAgency.objects.create(name=f"评估{lot.pk}"))
        return lot_services.draw_agency(lot, clerk.user)


def test_step_is_delivered_signed_after_commit(lot, clerk, endpoint, receiver, django_capture_on_commit_callbacks):
    with clock.frozen(clock.now()):
        draw(lot, clerk, django_capture_on_commit_callbacks)
        assert len(receiver.requests) == 1
        request = receiver.requests[0]
        assert verified(request, endpoint.plain_secret)
        payload = json.loads(request["body"])
        record = DisposalRecord.objects.get(kind=K.AGENCY_DRAWN)
        assert payload["id"] == request["headers"]["Auction-Event-Id"]
        assert payload["type"] == request["headers"]["Auction-Event-Type"] == "disposal.agency_drawn"
        assert payload["data"]["id"] == record.pk and payload["data"]["case_number"] == lot.case.number
        assert payload["data"]["actor"] == clerk.name
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (D.DELIVERED, 1, 200)


def test_signature_fails_for_a_wrong_secret_a_changed_body_or_an_old_timestamp(
    lot, clerk, endpoint, receiver, django_capture_on_commit_callbacks
):
    draw(lot, clerk, django_capture_on_commit_callbacks)
    request = receiver.requests[0]
    header, body = request["headers"]["Auction-Signature"], request["body"]
    now = int(clock.now().timestamp())
    assert webhooks.verify_signature(endpoint.plain_secret, header, body, now)
    assert not webhooks.verify_signature("whsec_other", header, body, now)
    assert not webhooks.verify_signature(endpoint.plain_secret, header, body.replace(b"agency", b"agenc_"), now)
    assert not webhooks.verify_signature(endpoint.plain_secret, header, body, now + 301)  # replayed later
    assert webhooks.verify_signature(endpoint.plain_secret, header, body, now + 300)
    assert not webhooks.verify_signature(endpoint.plain_secret, "v1=abc", body, now)


def test_outbox_row_is_written_in_the_steps_transaction_and_rolls_back_with_it(lot, clerk, endpoint):
    lot.court.panel.add(AppraisalAgency.objects.create(name="评估甲"))
    with pytest.raises(RuntimeError), transaction.atomic():
        lot_services.draw_agency(lot, clerk.user)
        assert WebhookDelivery.objects.filter(record__kind=K.AGENCY_DRAWN).count() == 1  # before commit
        raise RuntimeError("the step fails after recording")
    assert not DisposalRecord.objects.filter(kind=K.AGENCY_DRAWN).exists()
    assert not WebhookDelivery.objects.exists()


def test_failing_receiver_is_retried_with_exponential_backoff_and_the_same_event_id(
    lot, clerk, court, django_capture_on_commit_callbacks
):
    start = clock.now()

    def at(seconds):
        return clock.frozen(start + timedelta(seconds=seconds))

    with Receiver(statuses=[500, 503]) as receiver:
        endpoint, secret = webhooks.create_endpoint(court, clerk.user, url=receiver.url)
        with at(0):
            draw(lot, clerk, django_capture_on_commit_callbacks)
            delivery = WebhookDelivery.objects.get()
            assert (delivery.status, delivery.attempts, delivery.last_status_code) == (D.PENDING, 1, 500)
            assert delivery.next_attempt_at == start + timedelta(minutes=1)
            assert webhooks.redeliver_due() == 0  # not yet due
        with at(59):
            assert webhooks.redeliver_due() == 0
        with at(60):
            assert webhooks.redeliver_due() == 1
            delivery.refresh_from_db()
            assert (delivery.status, delivery.attempts, delivery.last_status_code) == (D.PENDING, 2, 503)
            assert delivery.next_attempt_at == start + timedelta(minutes=3)  # 2 minutes: doubled
        with at(179):
            assert webhooks.redeliver_due() == 0
        with at(180):
            tasks.redeliver_webhooks.call_local()
            delivery.refresh_from_db()
            assert (delivery.status, delivery.attempts, delivery.last_status_code) == (D.DELIVERED, 3, 200)
            assert delivery.delivered_at == start + timedelta(minutes=3)

    ids = {request["headers"]["Auction-Event-Id"] for request in receiver.requests}
    assert len(receiver.requests) == 3 and ids == {str(delivery.event_id)}
    sent_at = (0, 60, 180)
    for request, offset in zip(receiver.requests, sent_at, strict=True):
        header = request["headers"]["Auction-Signature"]
        assert webhooks.verify_signature(secret, header, request["body"], int(start.timestamp()) + offset)
    assert len(receiver.accepted) == 1  # deduplicated by event id


def test_backoff_doubles_up_to_six_hours():
    assert [webhooks.backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert webhooks.backoff(9) == timedelta(minutes=256)
    assert webhooks.backoff(10) == webhooks.backoff(30) == timedelta(hours=6)


def test_unreachable_receiver_is_given_up_after_the_last_attempt(
    lot, clerk, court, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(webhooks, "MAX_ATTEMPTS", 2)
    with Receiver() as gone:
        url = gone.url  # a loopback port nobody listens on any more
    webhooks.create_endpoint(court, clerk.user, url=url)
    start = clock.now()
    with clock.frozen(start):
        draw(lot, clerk, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == D.PENDING and "ConnectionError" in delivery.last_error
    with clock.frozen(start + timedelta(minutes=1)):
        webhooks.redeliver_due()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (D.FAILED, 2, None)
    with clock.frozen(start + timedelta(days=1)):
        assert webhooks.redeliver_due() == 0


def test_a_lost_task_is_picked_up_by_the_periodic_re_enqueue(
    lot, clerk, endpoint, receiver, django_capture_on_commit_callbacks
):
    lot.court.panel.add(AppraisalAgency.objects.create(name="评估乙"))
    with django_capture_on_commit_callbacks(execute=False):  # committed, but the task never ran
        lot_services.draw_agency(lot, clerk.user)
    assert WebhookDelivery.objects.get().status == D.PENDING and receiver.requests == []
    tasks.redeliver_webhooks.call_local()
    assert WebhookDelivery.objects.get().status == D.DELIVERED and len(receiver.requests) == 1


def test_only_the_courts_own_active_endpoints_receive_its_steps(
    lot, clerk, clerk_b, other_court, endpoint, receiver, django_capture_on_commit_callbacks
):
    with Receiver() as other:
        webhooks.create_endpoint(other_court, clerk_b.user, url=other.url)
        draw(lot, clerk, django_capture_on_commit_callbacks)
        assert other.requests == [] and len(receiver.requests) == 1
    webhooks.disable_endpoint(endpoint, clerk.user)
    with django_capture_on_commit_callbacks(execute=True):
        lot_services.draw_agency(lot, clerk.user)
    assert len(receiver.requests) == 1


def test_a_close_sends_sold_confirmation_and_deposit_steps(
    live_auction, endpoint, receiver, django_capture_on_commit_callbacks
):
    _user, registration = buyer_with_deposit(live_auction, "buyer_zhao", "赵六")
    with django_capture_on_commit_callbacks(execute=True):
        close_round(live_auction, registration, 90_000)
    types = [json.loads(r["body"])["type"] for r in receiver.requests]
    assert {"disposal.round_sold", "disposal.confirmation_issued", "disposal.deposit_applied"} <= set(types)
    sold = next(
        json.loads(r["body"]) for r in receiver.requests if json.loads(r["body"])["type"] == "disposal.round_sold"
    )
    assert sold["data"]["amount"] == "90000.00" and sold["data"]["detail"]["code"] == registration.code
    assert "赵六" not in b"".join(r["body"] for r in receiver.requests).decode()


def test_url_must_be_http_or_https_without_credentials(court, clerk):
    for url in ("ftp://example.com/x", "javascript:alert(1)", "not a url", "https://user:pw@example.com/h", ""):
        with pytest.raises(ValidationError) as refused:
            webhooks.create_endpoint(court, clerk.user, url=url)
        assert "url" in refused.value.message_dict
    assert not WebhookEndpoint.objects.exists()


# --- Console ---------------------------------------------------------------------------------------
def test_console_shows_the_secret_once_and_scopes_to_the_court(client, clerk, clerk_b, receiver):
    client.force_login(clerk.user)
    response = client.post("/console/webhooks/", {"url": receiver.url, "description": "执行系统"})
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200 and endpoint.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    again = client.get("/console/webhooks/").content.decode()
    assert endpoint.secret not in again and endpoint.secret_hint in again

    bad = client.post("/console/webhooks/", {"url": "ftp://x"})
    assert bad.status_code == 200 and WebhookEndpoint.objects.count() == 1
    assert "http://" in bad.content.decode()

    client.force_login(clerk_b.user)
    assert client.post(f"/console/webhooks/{endpoint.pk}/disable/").status_code == 404
    assert receiver.url not in client.get("/console/webhooks/").content.decode()
    client.force_login(clerk.user)
    assert client.post(f"/console/webhooks/{endpoint.pk}/disable/").status_code == 302
    assert WebhookEndpoint.objects.get().disabled_at is not None


def test_console_webhooks_is_for_court_staff_only(client, alice):
    assert client.get("/console/webhooks/").status_code == 302  # to sign in
    client.force_login(alice)
    assert client.get("/console/webhooks/").status_code == 403


def test_the_same_active_address_is_not_added_twice(court, clerk, other_court, clerk_b):
    endpoint, _secret = webhooks.create_endpoint(court, clerk.user, url="https://court.example/hooks")
    with pytest.raises(ValidationError) as twice:
        webhooks.create_endpoint(court, clerk.user, url="https://court.example/hooks")
    assert twice.value.message_dict["url"]
    webhooks.create_endpoint(other_court, clerk_b.user, url="https://court.example/hooks")  # another court's
    webhooks.disable_endpoint(endpoint, clerk.user)
    webhooks.create_endpoint(court, clerk.user, url="https://court.example/hooks")  # again once disabled
    assert WebhookEndpoint.objects.filter(court=court).count() == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://court.example/hooks",
        "https://127.0.0.1/hooks",
        "https://localhost:8000/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.9/hooks",
        "https://169.254.169.254/latest",
        "https://[::1]/hooks",
    ],
)
def test_production_refuses_plain_http_and_internal_addresses(court, clerk, settings, url):
    settings.PRODUCTION = True
    with pytest.raises(ValidationError) as refused:
        webhooks.create_endpoint(court, clerk.user, url=url)
    assert refused.value.message_dict["url"]
    assert webhooks.create_endpoint(court, clerk.user, url="https://court.example/hooks")[0].pk

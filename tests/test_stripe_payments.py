"""Stripe PaymentIntents against a real `localstripe` server on a loopback port (no mocks of the
Stripe client): card deposits authorised and captured once, refunds once, crashes between the
provider call and the commit, webhook signatures, replays and out-of-order delivery, reconcile.

The test plays the cardholder's browser (Stripe.js) by confirming intents over localstripe's HTTP
API, and plays Stripe when it signs webhook payloads with the endpoint's secret.
"""

import hashlib
import hmac
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from auctions import clock
from payments import ledger, services, worker
from payments.models import Deposit, LedgerTransaction, Payment, Refund, Settlement, WebhookEvent
from payments.reconcile import reconcile
from tests import factories
from tests.servers import free_port, wait_for_port
from tests.test_payments_support import close_round, crash_before_commit, money

SECRET_KEY = "sk_test_payments"
WEBHOOK_SECRET = "whsec_payments_test"
# localstripe as shipped listens on every interface and pickles its store to one shared file in
# /tmp; here it serves only loopback and keeps its store in memory, private to this test run.
SERVER = """
import sys
import localstripe.resources
from aiohttp import web
from localstripe.server import app
localstripe.resources.Store.dump_to_disk = lambda self: None
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


class LocalStripe:
    def __init__(self, base: str):
        self.base = base

    def call(self, method: str, path: str, data: dict | None = None) -> tuple[int, dict]:
        body = urllib.parse.urlencode(data or {}).encode() if method == "POST" else None
        headers = {"Authorization": f"Bearer {SECRET_KEY}"}
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (http on loopback)
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def cardholder_confirms(self, intent_id: str, card: str = "pm_card_visa") -> int:
        """What Stripe.js does in the payer's browser: attach the card and confirm."""
        self.call("POST", f"/v1/payment_intents/{intent_id}", {"payment_method": card})
        return self.call("POST", f"/v1/payment_intents/{intent_id}/confirm")[0]

    def intents(self) -> list[dict]:
        return self.call("GET", "/v1/payment_intents?limit=100")[1]["data"]

    def intent(self, intent_id: str) -> dict:
        return self.call("GET", f"/v1/payment_intents/{intent_id}")[1]

    def refunds(self, intent_id: str) -> list[dict]:
        return self.call("GET", f"/v1/refunds?payment_intent={intent_id}&limit=100")[1]["data"]

    def events(self, kind: str) -> list[dict]:
        return self.call("GET", f"/v1/events?type={kind}&limit=100")[1]["data"]


@pytest.fixture(scope="session")
def localstripe_server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def stripe(localstripe_server, settings):
    server = LocalStripe(localstripe_server)
    server.call("DELETE", "/_config/data")  # every test starts with an empty Stripe account
    # ...and no webhook endpoint: a live test's registration would outlive its daphne.
    server.call("POST", "/_config/webhooks/payments", {"url": "http://127.0.0.1:9/", "secret": "-", "events[]": "none"})
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_payments"
    settings.STRIPE_API_BASE = localstripe_server
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return server


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send."""
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(client, event: dict, **signing):
    payload = json.dumps(event).encode()
    return client.post(
        reverse("payments:stripe_webhook"),
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, **signing),
    )


def bidder(auction, name):
    user = factories.make_bidder(name, name)
    return user, factories.register(auction, user, secured=False).deposit


def card_deposit(stripe, auction, name, card="pm_card_visa"):
    """A bidder pays the deposit by card: intent created by us, confirmed by the browser, then
    captured when the payer comes back (the refresh) or Stripe tells us (the webhook)."""
    user, deposit = bidder(auction, name)
    payment = services.start_deposit_payment(deposit.pk, user, "stripe", "10000.00", "CNY")
    assert payment.status == Payment.Status.PENDING and payment.provider_ref.startswith("pi_")
    stripe.cardholder_confirms(payment.provider_ref, card)
    payment = services.drive_payment(payment.pk)
    deposit.refresh_from_db()
    return user, deposit, payment


def captured_not_recorded(stripe, auction, name, monkeypatch):
    """The card is captured at Stripe, then the process dies before recording it."""
    user, deposit = bidder(auction, name)
    payment = services.start_deposit_payment(deposit.pk, user, "stripe", "10000.00", "CNY")
    stripe.cardholder_confirms(payment.provider_ref)
    with crash_before_commit(monkeypatch, "payments.services.apply_remote"), pytest.raises(RuntimeError):
        services.drive_payment(payment.pk)
    return deposit, payment


def test_bd1_card_deposit_is_authorised_then_captured_once(stripe, live_auction, court):
    user, deposit, payment = card_deposit(stripe, live_auction, "ada")
    assert payment.status == Payment.Status.SUCCEEDED
    assert deposit.status == Deposit.Status.SECURED and deposit.provider == "stripe"
    intent = stripe.intent(payment.provider_ref)
    assert intent["status"] == "succeeded" and intent["amount"] == 1_000_000  # minor units at Stripe only
    assert intent["currency"] == "cny" and intent["capture_method"] == "manual"
    assert intent["metadata"]["payment_key"] == payment.key
    assert ledger.escrow_balance(court) == money(10_000)
    services.drive_payment(payment.pk)  # the payer refreshes again
    assert LedgerTransaction.objects.count() == 1
    assert reconcile() == []


def test_double_submit_creates_one_payment_intent(stripe, live_auction):
    user, deposit = bidder(live_auction, "bea")
    first = services.start_deposit_payment(deposit.pk, user, "stripe", "10000.00", "CNY")
    second = services.start_deposit_payment(deposit.pk, user, "stripe", "10000.00", "CNY")
    assert first.pk == second.pk
    assert len(stripe.intents()) == 1


def test_crash_after_the_create_call_is_recovered_by_asking_stripe(stripe, live_auction, monkeypatch):
    user, deposit = bidder(live_auction, "cai")
    with crash_before_commit(monkeypatch, "payments.services.apply_remote"), pytest.raises(RuntimeError):
        services.start_deposit_payment(deposit.pk, user, "stripe", "10000.00", "CNY")
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.CREATED and payment.provider_ref == ""  # Stripe's id was lost
    assert len(stripe.intents()) == 1

    again = services.start_deposit_payment(deposit.pk, user, "stripe", "10000.00", "CNY")  # the payer retries
    assert again.pk == payment.pk and again.provider_ref == stripe.intents()[0]["id"]
    assert len(stripe.intents()) == 1


def test_crash_after_the_capture_is_recovered_without_a_second_capture(stripe, live_auction, monkeypatch):
    deposit, payment = captured_not_recorded(stripe, live_auction, "dai", monkeypatch)
    assert stripe.intent(payment.provider_ref)["status"] == "succeeded"  # captured at Stripe
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.PENDING  # but not recorded here

    with clock.travel(timedelta(minutes=11)):
        worker.recheck_open_payments()  # recovery: the worker asks Stripe
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.SECURED
    assert LedgerTransaction.objects.count() == 1
    assert reconcile() == []


def test_authorisation_for_another_amount_is_cancelled_not_captured(stripe, live_auction):
    user, deposit = bidder(live_auction, "eva")
    payment = services.start_deposit_payment(deposit.pk, user, "stripe", "10000.00", "CNY")
    stripe.call("POST", f"/v1/payment_intents/{payment.provider_ref}", {"amount": 100})  # tampered intent
    stripe.cardholder_confirms(payment.provider_ref)
    payment = services.drive_payment(payment.pk)
    assert payment.status == Payment.Status.CANCELED
    assert stripe.intent(payment.provider_ref)["status"] == "canceled"
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.PENDING and not LedgerTransaction.objects.exists()


def test_bd1_authorisation_after_the_end_is_cancelled(stripe, live_auction):
    user, deposit = bidder(live_auction, "fei")
    payment = services.start_deposit_payment(deposit.pk, user, "stripe", "10000.00", "CNY")
    stripe.cardholder_confirms(payment.provider_ref)
    close_round(live_auction)
    payment = services.drive_payment(payment.pk)
    assert payment.status == Payment.Status.CANCELED
    assert stripe.intent(payment.provider_ref)["status"] == "canceled"
    worker.run_once()
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.RELEASED and reconcile() == []


def test_declined_card_keeps_the_deposit_pending(stripe, live_auction):
    user, deposit = bidder(live_auction, "gao")
    payment = services.start_deposit_payment(deposit.pk, user, "stripe", "10000.00", "CNY")
    assert stripe.cardholder_confirms(payment.provider_ref, "pm_card_chargeCustomerFail") == 402
    payment = services.drive_payment(payment.pk)
    assert payment.status == Payment.Status.PENDING  # the payer may try another card or cancel
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.PENDING
    assert services.cancel_payment(payment.pk, user).status == Payment.Status.CANCELED
    assert stripe.intent(payment.provider_ref)["status"] == "canceled"


def test_st2_release_refunds_once_even_after_a_crash(stripe, live_auction, monkeypatch):
    _, deposit, payment = card_deposit(stripe, live_auction, "hu")
    close_round(live_auction)
    with crash_before_commit(monkeypatch, "payments.settlement.apply_refund"):
        worker.release_due()
    assert len(stripe.refunds(payment.provider_ref)) == 1  # refunded at Stripe, not recorded here
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.SECURED

    with clock.travel(timedelta(minutes=10)):
        worker.release_due()
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.RELEASED
    refunds = stripe.refunds(payment.provider_ref)
    assert len(refunds) == 1 and refunds[0]["amount"] == 1_000_000
    assert refunds[0]["metadata"]["refund_key"] == Refund.objects.get().key
    assert reconcile() == []


# --- Webhooks ----------------------------------------------------------------------------------
def test_webhook_records_a_capture_once_whatever_the_order(stripe, live_auction, client, monkeypatch):
    deposit, payment = captured_not_recorded(stripe, live_auction, "ivy", monkeypatch)
    (succeeded,) = stripe.events("payment_intent.succeeded")
    older = {**succeeded, "id": "evt_older_failure", "type": "payment_intent.payment_failed"}

    response = deliver(client, succeeded)
    assert response.status_code == 200 and response.json()["outcome"] == "payment succeeded"
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.SECURED
    assert deliver(client, succeeded).json()["outcome"] == "duplicate"  # replayed
    assert deliver(client, older).status_code == 200  # out of order: state is re-fetched, not read
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.SECURED
    assert LedgerTransaction.objects.count() == 1 and WebhookEvent.objects.count() == 2
    assert reconcile() == []


@pytest.mark.parametrize(
    "signing",
    [
        {"secret": "whsec_forged"},
        {"at": int(time.time()) - 3600},  # stale: an old capture replayed by an attacker
    ],
    ids=["forged", "stale"],
)
def test_forged_or_stale_signature_is_400_and_changes_nothing(stripe, live_auction, client, monkeypatch, signing):
    user, deposit = bidder(live_auction, "jia")
    payment = services.start_deposit_payment(deposit.pk, user, "stripe", "10000.00", "CNY")
    stripe.cardholder_confirms(payment.provider_ref)
    event = {
        "id": "evt_forged",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": payment.provider_ref, "object": "payment_intent"}},
    }
    response = deliver(client, event, **signing)
    assert response.status_code == 400 and response.json()["code"] == "bad_signature"
    assert not WebhookEvent.objects.exists()
    assert stripe.intent(payment.provider_ref)["status"] == "requires_capture"  # nothing captured
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.PENDING


def test_unsigned_or_malformed_webhook_is_400(stripe, client):
    url = reverse("payments:stripe_webhook")
    assert client.post(url, data=b"{}", content_type="application/json").status_code == 400
    payload = b"not json"
    bad = client.post(url, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload))
    assert bad.status_code == 400


def test_webhook_about_an_unknown_payment_is_acknowledged_and_ignored(stripe, client, db):
    _, intent = stripe.call("POST", "/v1/payment_intents", {"amount": 500, "currency": "cny"})
    event = {"id": "evt_other", "type": "payment_intent.created", "data": {"object": intent}}
    response = deliver(client, event)
    assert response.status_code == 200 and response.json()["outcome"] == "unknown_payment"
    assert not Payment.objects.exists()


# --- A whole round, and reconcile ----------------------------------------------------------------
def test_full_cycle_by_card_balances_and_reconciles(stripe, live_auction, court):
    winner_user, winner_deposit, _ = card_deposit(stripe, live_auction, "kong")
    for name in ("lan", "mo"):
        card_deposit(stripe, live_auction, name)
    close_round(live_auction, winner_deposit.registration, 120_000)
    worker.run_once()
    s = Settlement.objects.get()
    balance = services.start_balance_payment(s.pk, winner_user, "stripe", "110000.00", "CNY")
    stripe.cardholder_confirms(balance.provider_ref)
    services.drive_payment(balance.pk)
    s.refresh_from_db()
    assert s.status == Settlement.Status.PAID

    statuses = Deposit.objects.filter(registration__auction=live_auction).values_list("status", flat=True)
    assert sorted(statuses) == [Deposit.Status.APPLIED, Deposit.Status.RELEASED, Deposit.Status.RELEASED]
    assert ledger.grand_total() == 0 and ledger.unbalanced_transactions() == []
    assert ledger.escrow_balance(court) == money(120_000)
    assert reconcile() == []
    call_command("reconcile")  # exit status 0


def test_reconcile_reports_a_refund_made_outside_the_platform(stripe, live_auction):
    _, _, payment = card_deposit(stripe, live_auction, "nie")
    stripe.call("POST", "/v1/refunds", {"payment_intent": payment.provider_ref, "amount": 5000})
    differences = reconcile()
    assert [d.kind for d in differences] == ["refunded_differs"]
    assert differences[0].theirs == money(50)
    with pytest.raises(SystemExit) as exit_status:
        call_command("reconcile")
    assert exit_status.value.code == 1


def test_reconcile_reports_a_charge_the_ledger_does_not_know(stripe, live_auction, monkeypatch):
    deposit, payment = captured_not_recorded(stripe, live_auction, "ou", monkeypatch)
    assert [d.kind for d in reconcile(["stripe"])] == ["captured_differs"]
    services.drive_payment(payment.pk)
    assert reconcile() == []


def test_webhook_delivered_by_localstripe_to_a_live_server(stripe, live_processes, monkeypatch):
    """Stripe (localstripe) signs and POSTs the event to a real daphne; the server records the
    capture this process crashed before recording."""
    base = live_processes.daphne(
        STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_API_BASE=stripe.base, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET
    )
    status, _ = stripe.call(
        "POST",
        "/_config/webhooks/payments",
        {"url": base + reverse("payments:stripe_webhook"), "secret": WEBHOOK_SECRET},
    )
    assert status == 200
    auction = factories.make_auction(factories.make_lot(factories.make_case(factories.make_court())))
    deposit, payment = captured_not_recorded(stripe, auction, "pan", monkeypatch)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        deposit.refresh_from_db()
        if deposit.status == Deposit.Status.SECURED:
            break
        time.sleep(0.2)
    assert deposit.status == Deposit.Status.SECURED
    assert WebhookEvent.objects.filter(type="payment_intent.succeeded", processed_at__isnull=False).count() == 1
    assert LedgerTransaction.objects.count() == 1

"""The authorisation matrix: every route of the URL configuration, every operation of the API
schema and every socket route (those in tests/test_authz_sockets.py), against every persona,
checked for the allow or deny written in tests/authz_expectations.py. A route missing from that
table fails `test_every_route_has_an_expectation`.

The world is built once per module, inside a transaction, and each (route, persona) runs in a
savepoint rolled back after it, so a refused or allowed state change by one persona cannot colour
the next one's answer.
"""

import json
import os
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from auctions import clock
from auctions.models import Auction
from bidding.routing import websocket_urlpatterns
from config.api import api
from lots import services as lot_services
from lots.models import DisposalRecord
from lots.portal_views import SESSION_KEY as PORTAL_SESSION_KEY
from notices import webhooks
from notices.models import Confirmation, WebhookDelivery
from payments.models import Deposit, Payment, Refund, Settlement
from tests import authz_expectations as expect
from tests import factories
from tests.test_public_support import published_round

# Who may reach what does not depend on the database backend: checked once.
pytestmark = pytest.mark.backend_neutral

User = get_user_model()
API_PREFIX = "api/v1/"  # operations under it are checked from the schema, not the URL walk
LOGIN_PATHS = ("/accounts/login/", "/admin/login/", "/portal/")
ALWAYS_DENIED = frozenset({401, 403, 404})


# --- Routes as the configuration has them ---------------------------------------------------
def _route_text(pattern) -> str:
    text = str(pattern.pattern)
    if text.startswith("^"):  # a regex pattern: ^media/(?P<path>.*)$ → media/<path>
        text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", text.lstrip("^").rstrip("$"))
    return text


def url_routes(patterns=None, prefix: str = "") -> list[str]:
    """Every concrete route of config.urls, as the full route text (resolvers walked)."""
    routes = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + _route_text(entry)
        if isinstance(entry, URLResolver):
            routes.extend(url_routes(entry.url_patterns, route))
        elif isinstance(entry, URLPattern):
            routes.append(route)
    return routes


def checked_url_routes() -> set[str]:
    return {
        route
        for route in url_routes()
        if not route.startswith(expect.ADMIN_PREFIX) and not route.startswith(API_PREFIX)
    }


def api_operations() -> set[str]:
    schema = api.get_openapi_schema(path_prefix="/api")
    return {f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops}


def socket_routes() -> set[str]:
    return {str(entry.pattern) for entry in websocket_urlpatterns}


def test_every_route_has_an_expectation():
    """Adding a route without a row in tests/authz_expectations.py fails here (and so does a row
    whose route is gone)."""
    assert checked_url_routes() ^ set(expect.URL_RULES) == set(), "URL routes without a rule, or rules without a route"
    assert api_operations() ^ set(expect.API_RULES) == set(), "API operations without a rule, or the reverse"
    assert socket_routes() ^ set(expect.SOCKET_RULES) == set(), "socket routes without a rule, or the reverse"


def test_admin_routes_all_sit_behind_the_admin_site():
    """Everything under admin/ is the Django admin, whose views all check staff status."""
    entries = [e for e in get_resolver().url_patterns if str(e.pattern).startswith(expect.ADMIN_PREFIX)]
    assert [(str(e.pattern), getattr(e, "app_name", None)) for e in entries] == [(expect.ADMIN_PREFIX, "admin")]


# --- The world the routes point at ------------------------------------------------------------
def build_world() -> SimpleNamespace:
    court_a = factories.make_court(code="京0105", name="北京市朝阳区人民法院")
    court_b = factories.make_court(code="沪0101", name="上海市黄浦区人民法院")
    clerk_a = factories.make_staff(court_a, username="clerk_a")
    clerk_b = factories.make_staff(court_b, username="clerk_b")
    case_a = factories.make_case(court_a)
    case_b = factories.make_case(court_b)
    lot_a = factories.make_lot(case_a)
    factories.make_lot(case_b)
    auction = published_round(lot_a)
    bidder = factories.make_bidder("bidder", "艾丽丝")
    registration = factories.register(auction, bidder, secured=True)
    other_bidder = factories.make_bidder("other_bidder", "鲍勃")
    factories.register(auction, other_bidder, secured=False)
    deposit = Deposit.objects.get(registration=registration)
    now = clock.now()
    payment = Payment.objects.create(
        purpose=Payment.Purpose.DEPOSIT,
        deposit=deposit,
        payer=bidder,
        provider="bank",
        amount=deposit.amount,
        status=Payment.Status.PENDING,
        key="authz-payment",
        reference="P-AUTHZ-0001",
        created_at=now,
    )
    paid = Payment.objects.create(
        purpose=Payment.Purpose.DEPOSIT,
        deposit=deposit,
        payer=bidder,
        provider="sandbox",
        amount=deposit.amount,
        status=Payment.Status.SUCCEEDED,
        key="authz-paid",
        reference="P-AUTHZ-0002",
        created_at=now,
        completed_at=now,
    )
    refund = Refund.objects.create(
        deposit=deposit,
        payment=payment,
        provider="bank",
        amount=deposit.amount,
        status=Refund.Status.CREATED,
        key="authz-refund",
        created_at=now,
    )
    ended = factories.make_auction(
        factories.make_lot(case_a), status=Auction.Status.SOLD, starts_in=timedelta(days=-3), ends_in=timedelta(days=-2)
    )
    won = factories.register(ended, bidder, secured=True)
    settlement = Settlement.objects.create(
        auction=ended,
        winner=won,
        price=factories.cny(90_000),
        deposit_applied=factories.cny(10_000),
        balance=factories.cny(80_000),
        balance_due_at=now + timedelta(days=8),
        release_deadline=now + timedelta(days=3),
        status=Settlement.Status.AWAITING_BALANCE,
        created_at=now - timedelta(days=2),
    )
    confirmation = Confirmation.objects.create(
        auction=ended,
        number="（2026）授权测试第1号",
        issued_at=now,
        price=factories.cny(90_000),
        deposit_applied=factories.cny(10_000),
        balance=factories.cny(80_000),
        balance_due_at=now + timedelta(days=8),
        bidder_code=won.code,
        buyer=bidder,
        buyer_name="艾丽丝",
        buyer_name_masked="艾*",
        buyer_id_number=bidder.bidder.id_number,
        buyer_id_number_masked=bidder.bidder.id_number_masked,
        facts={},
    )
    endpoint, _secret = webhooks.create_endpoint(court_a, clerk_a.user, url="https://court-a.example/hooks")
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        record=DisposalRecord.objects.filter(case=case_a).first(),
        event_type="disposal.round_scheduled",
        payload={},
        status=WebhookDelivery.Status.FAILED,
        created_at=now,
    )
    token_a, plaintext_a = lot_services.issue_api_token(court_a, clerk_a.user, "执行办案系统")
    _token_b, plaintext_b = lot_services.issue_api_token(court_b, clerk_b.user, "执行办案系统")
    party_a = factories.make_party(case_a, name="某银行股份有限公司")  # applicants get query codes (PD1)
    party_b = factories.make_party(case_b, name="另一银行股份有限公司")
    factories.issue_code(party_a)
    factories.issue_code(party_b)
    code_a = party_a.query_codes.get(revoked_at__isnull=True)
    code_b = party_b.query_codes.get(revoked_at__isnull=True)
    superuser = User.objects.create_superuser("root", password="pw-root")
    return SimpleNamespace(
        users={
            expect.ANONYMOUS: None,
            expect.BIDDER: bidder,
            expect.OTHER_BIDDER: other_bidder,
            expect.CLERK_A: clerk_a.user,
            expect.CLERK_B: clerk_b.user,
            expect.PARTY: None,
            expect.OTHER_PARTY: None,
            expect.SUPERUSER: superuser,
        },
        tokens={expect.CLERK_A: plaintext_a, expect.CLERK_B: plaintext_b},
        portal_codes={expect.PARTY: code_a.pk, expect.OTHER_PARTY: code_b.pk},
        case_a_number=case_a.number,
        args={
            "auction_id": auction.pk,
            "court_code": court_a.code,
            "round_id": auction.pk,
            "lot_id": lot_a.pk,
            "case_id": case_a.pk,
            "deposit_id": deposit.pk,
            "settlement_id": settlement.pk,
            "ended_auction_id": confirmation.auction_id,
            "endpoint_id": endpoint.pk,
            "delivery_id": delivery.pk,
            "payment_id": payment.pk,
            "refund_id": refund.pk,
            "token_id": token_a.pk,
            "party_id": party_a.pk,
            "code_id": code_a.pk,
            "reference": paid.reference,
            "uidb64": "MQ",
            "token": "set-password",
            "path": MEDIA_PROBE,
        },
    )


# Per process: test runs sharing a checkout must not delete each other's probe.
MEDIA_PROBE = f"authz-probe-{os.getpid()}.txt"


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """The world, built once for the module inside a transaction that is rolled back at its end.
    pytest-django runs the module's `db` tests together, before any transactional test."""
    probe = Path(settings.MEDIA_ROOT) / MEDIA_PROBE
    probe.parent.mkdir(parents=True, exist_ok=True)
    probe.write_text("public")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer._from_testcase = True  # as Django's TestCase marks its own: durable blocks may nest in it
        outer.__enter__()
        built = build_world()
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        probe.unlink(missing_ok=True)


@pytest.fixture
def world(db, shared_world):
    """The shared world; `db` wraps each test in a savepoint rolled back after it, so whatever a
    case changes is gone before the next one."""
    return shared_world


def client_for(world, persona: str) -> Client:
    client = Client()
    user = world.users[persona]
    if user is not None:
        client.force_login(user)
    if persona in world.portal_codes:  # signed in on the party portal, as lots/portal_views does
        session = client.session
        session[PORTAL_SESSION_KEY] = world.portal_codes[persona]
        session.save()
    return client


def fill(template: str, world, rule: expect.Rule) -> str:
    """The concrete path: each <converter:name> or {name} becomes the world's object id."""

    def value(match):
        name = match.group(1) or match.group(2)
        return str(world.args[rule.kwargs.get(name, name)])

    return re.sub(r"<(?:\w+:)?(\w+)>|\{(\w+)\}", value, template)


def outcome(response, rule: expect.Rule) -> str:
    status = response.status_code
    assert status < 500, f"server error {status}"
    assert status != 405, "the rule's method is not one the route accepts"
    if status in ALWAYS_DENIED or status in rule.deny_statuses:
        return "deny"
    if status in (301, 302, 303) and urlparse(response["Location"]).path in LOGIN_PATHS and not rule.signs_out:
        return "deny"
    return "allow"


def send(client: Client, method: str, url: str, rule: expect.Rule, **headers):
    if method == "GET":
        return client.get(url, **headers)
    body = rule.body
    if isinstance(body, dict) and url.startswith("/api/"):
        return client.generic(method, url, json.dumps(body), content_type="application/json", **headers)
    if isinstance(body, str):
        return client.generic(method, url, body, content_type="application/json", **headers)
    return client.post(url, body or {}, **headers)


# --- The matrix -------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", expect.PERSONAS)
@pytest.mark.parametrize("route", sorted(expect.URL_RULES))
def test_url_route(world, route, persona):
    rule = expect.URL_RULES[route]
    url = "/" + fill(route, world, rule)
    response = send(client_for(world, persona), rule.method, url, rule)
    expected = "allow" if persona in rule.allowed else "deny"
    assert outcome(response, rule) == expected, f"{rule.method} {url} as {persona}: {response.status_code}"
    assert_no_other_court_data(world, persona, rule, response)


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def assert_no_other_court_data(world, persona: str, rule: expect.Rule, response) -> None:
    """A page or call that every court's staff may use shows each court its own rows only: court
    A's case number never reaches clerk B (public pages, which show case numbers to all, aside)."""
    if persona == expect.CLERK_B and rule.allowed == expect.ANY_COURT_STAFF:
        assert world.case_a_number not in body_text(response), "court A's case reached clerk B"


def admin_urls() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    return urls


@pytest.mark.parametrize("persona", expect.PERSONAS)
def test_admin_pages(world, persona):
    client = client_for(world, persona)
    expected = "allow" if persona in expect.ADMIN_RULE.allowed else "deny"
    for url in admin_urls():
        response = client.get(url)
        assert outcome(response, expect.ADMIN_RULE) == expected, f"GET {url} as {persona}: {response.status_code}"


@pytest.mark.parametrize("persona", expect.PERSONAS)
@pytest.mark.parametrize("operation", sorted(expect.API_RULES))
def test_api_operation(world, operation, persona):
    """Court staff call with their court's bearer token; everyone else with a session cookie only."""
    rule = expect.API_RULES[operation]
    method, template = operation.split(" ", 1)
    url = fill(template, world, rule)
    headers = {}
    if persona in world.tokens:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[persona]}"
    response = send(client_for(world, persona), method, url, rule, **headers)
    expected = "allow" if persona in rule.allowed else "deny"
    assert outcome(response, rule) == expected, f"{operation} as {persona}: {response.status_code} {response.content!r}"
    assert_no_other_court_data(world, persona, rule, response)


def test_a_session_cookie_does_not_open_the_court_api(world):
    """The court API takes bearer tokens only: clerk A's console session without a token is a 401."""
    client = client_for(world, expect.CLERK_A)
    response = client.get("/api/v1/court/staff")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_other_court_marker_shows_where_it_belongs(world):
    """The check above can fail: court A's case number is on clerk A's own case list."""
    response = client_for(world, expect.CLERK_A).get("/console/cases/")
    assert world.case_a_number in body_text(response)

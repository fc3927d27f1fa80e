"""Accessibility (issue 9 item 7): axe-core (axe-playwright-python) in Chromium finds no serious
or critical violation on the public pages, the bidder pages and the court console pages, on a
desktop and on a 390 px phone. The same visits prove the Content-Security-Policy blocks nothing
the pages need: no CSP violation and no script error on any of them."""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client

from auctions.models import Auction
from tests import factories
from tests.test_public_support import published_round

pytestmark = [pytest.mark.browser, pytest.mark.backend_neutral]
SERIOUS = {"serious", "critical"}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def session_cookie(user, base: str) -> dict:
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base,
    }


def audit_pages(browser, base: str, paths: list[str], user=None, viewport=DESKTOP, cookies=()) -> dict[str, list[str]]:
    """Each page's serious or critical axe findings and its CSP or script errors."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    if user is not None:
        context.add_cookies([session_cookie(user, base)])
    if cookies:
        context.add_cookies(list(cookies))
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda response: failed.append(response) if response.status >= 400 else None)
    failed: list = []
    axe = Axe()
    findings, seen = {}, []
    for path in paths:
        errors.clear()
        failed.clear()
        response = page.goto(base + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        page.wait_for_load_state("networkidle")
        violations = axe.run(page).response["violations"]
        problems = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in violations
            if v["impact"] in SERIOUS
        ]
        problems += [f"console: {text}" for text in errors if not text.startswith("Failed to load resource")]
        problems += [f"{r.status} {r.url}" for r in failed if not r.url.endswith("/favicon.ico")]
        seen.append((path, len(violations)))
        if problems:
            findings[path] = problems
    context.close()
    print("axe findings of any impact per page:", seen)  # noqa: T201  (shown with -s)
    return findings


@pytest.fixture
def site(court, clerk):
    lot = factories.make_lot(factories.make_case(court))
    live = published_round(lot)
    upcoming = published_round(factories.make_lot(factories.make_case(court)), starts_in=timedelta(days=3))
    ended = factories.make_auction(
        factories.make_lot(factories.make_case(court)),
        status=Auction.Status.FAILED,
        starts_in=timedelta(days=-3),
        ends_in=timedelta(hours=-2),
    )
    alice = factories.make_bidder("alice", "艾丽丝")
    factories.register(live, alice, secured=True)
    factories.register(ended, alice, secured=True)
    bob = factories.make_bidder("bob", "鲍勃")
    factories.register(live, bob, secured=False)
    return {"live": live, "upcoming": upcoming, "ended": ended, "alice": alice, "bob": bob, "clerk": clerk}


def public_paths(site) -> list[str]:
    live = site["live"]
    return [
        "/",
        "/auctions/",
        "/auctions/?q=%E8%BD%BF%E8%BD%A6",
        f"/auctions/{live.pk}/",
        f"/auctions/{live.pk}/announcement/",
        f"/auctions/{site['upcoming'].pk}/",
        "/accounts/login/",
        "/accounts/signup/",
        "/courts/",
        f"/courts/{live.lot.court.code}/",
        "/calendar/",
        "/open-data/",
        "/notices/",
        "/portal/",
    ]


def bidder_paths(site) -> list[str]:
    return [
        "/me/",
        f"/auctions/{site['live'].pk}/register/",
        f"/auctions/{site['live'].pk}/",
        "/payments/mine/",
        "/notifications/",
        "/notifications/settings/",
    ]


def console_paths(site) -> list[str]:
    live, ended = site["live"], site["ended"]
    return [
        "/console/",
        "/console/cases/",
        f"/console/cases/{live.lot.case_id}/",
        "/console/cases/new/",
        "/console/lots/",
        f"/console/lots/{live.lot_id}/",
        f"/console/lots/{live.lot_id}/edit/",
        "/console/lots/new/",
        f"/console/rounds/{live.pk}/",
        "/console/api-tokens/",
        "/console/audit/",
        "/payments/court/",
        f"/payments/court/auctions/{ended.pk}/",
        "/payments/court/transfers/",
        "/payments/court/forfeitures/",
        f"/console/cases/{live.lot.case_id}/parties/",
        "/console/messages/",
        "/console/webhooks/",
    ]


def test_public_pages_have_no_serious_accessibility_violations(live_processes, browser, site):
    base = live_processes.daphne()
    assert audit_pages(browser, base, public_paths(site)) == {}
    assert audit_pages(browser, base, public_paths(site)[:4], viewport=PHONE) == {}


def test_bidder_pages_have_no_serious_accessibility_violations(live_processes, browser, site):
    base = live_processes.daphne()
    assert audit_pages(browser, base, bidder_paths(site), user=site["alice"]) == {}
    assert audit_pages(browser, base, bidder_paths(site)[:2], user=site["bob"], viewport=PHONE) == {}


def test_party_portal_pages_have_no_serious_accessibility_violations(live_processes, browser, site):
    from lots.portal_views import SESSION_KEY

    base = live_processes.daphne()
    case = site["live"].lot.case
    party = factories.make_party(case)
    factories.issue_code(party)
    client = Client()
    session = client.session
    session[SESSION_KEY] = party.query_codes.get(revoked_at__isnull=True).pk
    session.save()
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base}
    paths = [f"/portal/cases/{case.pk}/", f"/portal/cases/{case.pk}/messages/"]
    assert audit_pages(browser, base, paths, cookies=[cookie]) == {}
    assert audit_pages(browser, base, paths[:1], cookies=[cookie], viewport=PHONE) == {}


def test_console_pages_have_no_serious_accessibility_violations(live_processes, browser, site):
    base = live_processes.daphne()
    assert audit_pages(browser, base, console_paths(site), user=site["clerk"].user) == {}
    assert audit_pages(browser, base, console_paths(site)[:3], user=site["clerk"].user, viewport=PHONE) == {}

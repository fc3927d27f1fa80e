"""The lot page in Chromium (issue 9 item 1): its facts and tabs, and the watchers and registration
counts moving on a visitor's page, without a reload, while two bidders register and bid in their
own browsers. Screenshots of the page, desktop and 390 px phone, in both languages."""

from datetime import timedelta
from pathlib import Path

import pytest

from lots.models import Lot
from tests import factories
from tests.test_browser_bidding import WAIT_MS, bid, logged_in_page, open_lot, panel
from tests.test_browser_notices import serious_accessibility_problems
from tests.test_public_support import lot_for, published_round

pytestmark = pytest.mark.browser
SCREENS = Path("/tmp/team/screens")

TAXES = [{"item": "契税", "rate": "3", "payer": "buyer"}, {"item": "增值税", "rate": "5.6", "payer": "each"}]
LOANS = [{"bank": "中国建设银行", "max_ltv": "70", "rate": "3.95"}]


def fact(page, name: str):
    return page.locator(f'#lot-counts [data-fact="{name}"]')


def wait_fact(page, name: str, value: str) -> None:
    page.wait_for_function(
        '([name, value]) => document.querySelector(`#lot-counts [data-fact="${name}"]`).textContent === value',
        arg=[name, value],
        timeout=WAIT_MS,
    )


def register_in_browser(page, base_url: str, auction) -> None:
    """Accepts the terms, registers and pays the sandbox deposit, as a bidder does."""
    page.goto(f"{base_url}/auctions/{auction.pk}/register/")
    page.check("input[name=accept_terms]")
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"{base_url}/auctions/{auction.pk}/register/")
    page.click("form[action$='/sandbox-pay/'] button[type=submit]")
    page.wait_for_url(f"{base_url}/auctions/{auction.pk}/register/")


def test_counts_move_live_while_two_bidders_register_and_bid(live_processes, browser, court):
    auction = published_round(lot_for(court, title="望京西园三区住宅一套"))
    alice, charlie = factories.make_bidder("alice", "艾丽丝"), factories.make_bidder("charlie", "查理")
    base = live_processes.daphne(LOT_FACTS_POLL_MS=1000)  # the counts are polled: the shortest interval

    visitor = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    visitor.goto(f"{base}/auctions/{auction.pk}/")
    assert fact(visitor, "watchers").inner_text() == "1"
    assert fact(visitor, "registration_count").inner_text() == "0"

    page_a, page_c = logged_in_page(browser, base, alice), logged_in_page(browser, base, charlie)
    register_in_browser(page_a, base, auction)
    wait_fact(visitor, "registration_count", "1")
    open_lot(page_a, base, auction)
    wait_fact(visitor, "watchers", "2")

    register_in_browser(page_c, base, auction)
    open_lot(page_c, base, auction)
    wait_fact(visitor, "registration_count", "2")
    wait_fact(visitor, "watchers", "3")

    bid(page_a, "80000.00", "¥80,000.00")
    wait_fact(visitor, "bid_count", "1")
    visitor.locator('.lot-terms [data-fact="current_price_text"]').filter(has_text="¥80,000.00").wait_for(
        timeout=WAIT_MS
    )
    panel(visitor, "price").filter(has_text="¥80,000.00").wait_for(timeout=WAIT_MS)
    # A reload by the same visitor does not count again (distinct viewers, not requests).
    visitor.reload()
    assert fact(visitor, "watchers").inner_text() == "3"
    assert fact(visitor, "registration_count").inner_text() == "2"


def test_lot_page_facts_tabs_and_screenshots_in_both_languages(live_processes, browser, court):
    lot = lot_for(
        court,
        title="朝阳区望京西园三区住宅一套",
        category=Lot.Category.REAL_ESTATE,
        reference=2_000_000,
        taxes=TAXES,
        loan_offers=LOANS,
        leases="整租给某公司，租期至2027年6月，带租拍卖",
        purchase_restriction="需具备北京市购房资格",
        occupancy="现由承租人使用",
    )
    auction = published_round(lot, starting_price=1_600_000, increment=10_000, deposit=200_000)
    published_round(lot_for(court), starts_in=timedelta(days=3))
    base = live_processes.daphne()

    for lang in ("zh-hans", "en"):
        for name, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
            context = browser.new_context(locale="zh-CN", viewport=viewport)
            context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
            page = context.new_page()
            page.goto(f"{base}/auctions/{auction.pk}/")
            assert page.locator("html").get_attribute("lang") == lang
            badges = page.locator(".lot-badges").inner_text()
            assert ("一拍" in badges) == (lang == "zh-hans")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (lang, name)
            # One tab at a time; the first is the announcement.
            assert page.locator("#tab-announcement").is_visible()
            assert page.locator("#tab-disclosure").is_hidden()
            page.click("a[href='#tab-disclosure']")
            assert page.locator("#tab-disclosure").is_visible() and page.locator("#tab-announcement").is_hidden()
            assert page.locator("#tax-table").is_visible() and "3%" in page.locator("#tax-table").inner_text()
            assert "中国建设银行" in page.locator("#loan-table").inner_text()
            assert "需具备北京市购房资格" in page.locator("#disclosure-restriction").inner_text()
            page.screenshot(path=str(SCREENS / f"lotpage-disclosure-{lang}-{name}.png"), full_page=False)
            for tab in ("instructions", "balance", "attachments", "contact", "description"):
                page.click(f"a[href='#tab-{tab}']")
                assert page.locator(f"#tab-{tab}").is_visible(), tab
            page.goto(f"{base}/auctions/{auction.pk}/")
            assert serious_accessibility_problems(page) == [], (lang, name)
            page.screenshot(path=str(SCREENS / f"lotpage-{lang}-{name}.png"), full_page=True)
            context.close()

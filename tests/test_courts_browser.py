"""Court pages and the calendar in Chromium (issue 9 item 3): from the home page to the calendar,
a day of the month grid to its list entry, a court's page with its rounds and results; usable on
a 390 px phone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from auctions import clock
from auctions.models import Auction
from tests.test_browser_notices import serious_accessibility_problems
from tests.test_public_support import lot_for, published_round, set_result

pytestmark = pytest.mark.browser
SCREENS = "/tmp/team/screens"


def test_calendar_and_court_page_on_a_phone_and_a_desktop(live_processes, browser, court, other_court):
    # Two rounds hours apart on one local day, three days ahead, whatever the hour the test runs.
    midnight = timezone.localtime(clock.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    ten, noon = (midnight + timedelta(days=3, hours=hour) - clock.now() for hour in (10, 12))
    upcoming = published_round(lot_for(court, title="朝阳车位"), starts_in=ten)
    published_round(lot_for(other_court, title="浦东商铺"), starts_in=noon)
    set_result(
        published_round(lot_for(court, title="朝阳轿车"), starts_in=timedelta(days=-5)), Auction.Status.SOLD, 99_000
    )
    base = live_processes.daphne()
    month = timezone.localtime(upcoming.starts_at).strftime("%Y-%m")
    day = timezone.localtime(upcoming.starts_at).date().isoformat()

    for name, viewport in (("phone", {"width": 390, "height": 844}), ("desktop", {"width": 1280, "height": 900})):
        page = browser.new_page(locale="zh-CN", viewport=viewport)
        page.goto(base + "/")
        page.click("a[href='/calendar/']")
        page.wait_for_url(f"{base}/calendar/")
        page.goto(f"{base}/calendar/?month={month}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        page.click(f"a.day-count[href='#day-{day}']")
        listed = page.locator(f"#day-{day} + .auction-grid").inner_text()
        assert "朝阳车位" in listed and "浦东商铺" in listed
        page.screenshot(path=f"{SCREENS}/calendar-{name}.png", full_page=True)
        assert serious_accessibility_problems(page) == [], name

        page.select_option("#cal-court", court.code)
        page.click(".calendar-head button[type=submit]")
        page.wait_for_url(lambda url: "court=" in url)
        assert "浦东商铺" not in page.locator(".day-list").inner_text()

        page.goto(f"{base}/calendar/?month=2026-13")
        assert "月份格式应为 YYYY-MM" in page.locator("#calendar-errors").inner_text()

        page.goto(f"{base}/courts/")
        page.click(f".court-list a:has-text('{court.name}')")
        page.wait_for_selector("#court-auctions")
        assert "朝阳车位" in page.locator("#court-auctions").inner_text()
        assert "朝阳轿车" in page.locator("#court-results").inner_text()
        assert "¥99,000.00" in page.locator("#court-results").inner_text()
        assert page.locator("#court-sold").inner_text() == "1"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        page.screenshot(path=f"{SCREENS}/court-{name}.png", full_page=True)
        assert serious_accessibility_problems(page) == [], name
        page.close()

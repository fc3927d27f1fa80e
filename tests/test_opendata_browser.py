"""Open data in Chromium (issue 9 item 6): a researcher picks a court and dates on the open data
page and downloads the results as CSV and the announcements as JSON, personal data masked."""

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from auctions.models import Auction
from tests.test_browser_notices import serious_accessibility_problems
from tests.test_public_support import assert_no_personal_data, lot_for, pii_lot, published_round, set_result

pytestmark = pytest.mark.browser


def test_researcher_downloads_filtered_results_and_announcements(live_processes, browser, court, other_court):
    set_result(
        published_round(pii_lot(court), starting_price=1_500_000, deposit=100_000, starts_in=timedelta(days=-4)),
        Auction.Status.SOLD,
        1_600_000,
    )
    set_result(
        published_round(lot_for(other_court, title="浦东商铺"), starts_in=timedelta(days=-4)), Auction.Status.FAILED
    )
    base = live_processes.daphne()

    page = browser.new_page(locale="zh-CN", viewport={"width": 390, "height": 844}, accept_downloads=True)
    page.goto(base + "/")
    page.click("a[href='/open-data/']")
    page.wait_for_url(f"{base}/open-data/")
    assert serious_accessibility_problems(page) == []
    page.select_option("#od-court", court.code)
    page.fill("#od-from", "2000-01-01")
    with page.expect_download() as info:
        page.click("a[href^='/api/v1/open-data/results.csv']")
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["court_code"] for row in rows] == [court.code]
    assert rows[0]["final_price"] == "1600000.00" and rows[0]["status"] == "sold"
    assert_no_personal_data(text)

    href = page.locator("a[href^='/api/v1/open-data/announcements.json']").get_attribute("href")
    assert "court=" in href and "from=2000-01-01" in href
    document = json.loads(page.request.get(base + href).text())
    assert {row["court_code"] for row in document["results"]} == {court.code}

    bad = page.request.get(base + "/api/v1/open-data/results.json?from=2026-02-30")
    assert bad.status == 400 and "from" in bad.json()["errors"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

"""A visitor in Chromium finds an auction by search and reads its announcement in Chinese, then in
English; the public pages fit a 390px phone without sideways scrolling."""

import re
from datetime import timedelta

import pytest

from tests.test_public_support import lot_for, published_round


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.browser
def test_visitor_finds_an_auction_and_reads_its_announcement_in_both_languages(live_processes, browser, court):
    lot = lot_for(court, title="望京西园三区住宅一套", known_defects="卫生间有渗水痕迹")
    auction = published_round(lot, starts_in=timedelta(days=2))
    published_round(lot_for(court, title="另一辆轿车"))
    base = live_processes.daphne()

    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page.goto(base + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("#home-q", "望京西园")
    page.click(".hero-search button[type=submit]")
    page.wait_for_url(re.compile(r"/auctions/\?q="))
    cards = page.locator(".auction-card")
    assert cards.count() == 1
    cards.first.locator(".auction-title a").click()
    page.wait_for_url(f"{base}/auctions/{auction.pk}/")
    assert page.locator("h1").inner_text() == "望京西园三区住宅一套"
    assert page.locator(".lot-countdown .countdown").inner_text() != ""

    page.click(f"a[href='/auctions/{auction.pk}/announcement/']")
    page.wait_for_url(f"{base}/auctions/{auction.pk}/announcement/")
    assert "拍卖公告" in page.locator("h1").inner_text()
    warning = page.locator("#section-warning_as_is")
    assert warning.is_visible() and "卫生间有渗水痕迹" in warning.inner_text()
    assert page.locator("#section-property").is_visible()

    page.select_option("#lang-select", "en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.url == f"{base}/auctions/{auction.pk}/announcement/"
    assert "拍卖公告" not in page.locator("h1").inner_text()  # the English page, the lot's own title
    assert "望京西园三区住宅一套" in page.locator("h1").inner_text()
    assert page.locator("#section-warning_as_is").is_visible()
    assert "卫生间有渗水痕迹" in page.locator("#section-warning_as_is").inner_text()  # the court's own words
    assert page.locator("#section-property").is_visible()
    page.close()

    phone = browser.new_page(locale="zh-CN", viewport={"width": 390, "height": 844})
    for path in ("/", "/auctions/", f"/auctions/{auction.pk}/", f"/auctions/{auction.pk}/announcement/"):
        phone.goto(base + path)
        assert no_sideways_scroll(phone), path
    phone.close()

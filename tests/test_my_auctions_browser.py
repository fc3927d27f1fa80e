"""My auctions in Chromium (issue 9 item 4): Alice keeps "my auctions" open while she and Charlie
bid in their own browsers; her row turns from leading to outbid and shows the new price without
a reload."""

import pytest

from tests import factories
from tests.test_browser_bidding import WAIT_MS, bid, logged_in_page, open_lot
from tests.test_browser_notices import serious_accessibility_problems
from tests.test_public_support import lot_for, published_round

pytestmark = pytest.mark.browser
SCREENS = "/tmp/team/screens"


def row_text(page, auction, fact: str, text: str) -> None:
    page.locator(f'[data-row="{auction.pk}"] [data-fact="{fact}"]').filter(has_text=text).wait_for(timeout=WAIT_MS)


def test_my_auctions_follow_the_round_without_a_reload(live_processes, browser, court):
    auction = published_round(lot_for(court, title="望京西园三区住宅一套"))
    alice, charlie = factories.make_bidder("alice", "艾丽丝"), factories.make_bidder("charlie", "查理")
    factories.register(auction, alice, secured=True)
    factories.register(auction, charlie, secured=True)
    base = live_processes.daphne(LOT_FACTS_POLL_MS=1000)  # the rows are polled: the shortest interval

    mine = logged_in_page(browser, base, alice)
    mine.goto(f"{base}/me/")
    row_text(mine, auction, "standing_label", "未出价")
    assert "¥10,000.00" in mine.locator(f'[data-row="{auction.pk}"]').inner_text()  # the deposit

    alice_lot = mine.context.new_page()
    open_lot(alice_lot, base, auction)
    bid(alice_lot, "80000.00", "¥80,000.00")
    row_text(mine, auction, "standing_label", "领先")
    row_text(mine, auction, "price_text", "¥80,000.00")

    charlie_lot = logged_in_page(browser, base, charlie)
    open_lot(charlie_lot, base, auction)
    bid(charlie_lot, "81000.00", "¥81,000.00")
    row_text(mine, auction, "standing_label", "已被超越")
    row_text(mine, auction, "price_text", "¥81,000.00")
    standing = mine.locator(f'[data-row="{auction.pk}"] [data-standing]')
    assert standing.get_attribute("data-standing") == "outbid" and "standing-outbid" in standing.get_attribute("class")
    mine.set_viewport_size({"width": 390, "height": 844})
    assert mine.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    mine.screenshot(path=f"{SCREENS}/me-phone.png", full_page=True)
    assert serious_accessibility_problems(mine) == []

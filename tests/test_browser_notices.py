"""In Chromium over a real daphne: a bidder sets a reminder (设置提醒) on the lot page and sees it
counted, is outbid and finds the notification in the site; a visitor reads the public notices and
their Atom feed. The pages fit a 390 px phone."""

from datetime import timedelta

import pytest

from auctions import lifecycle
from bidding import services
from tests import factories
from tests.test_browser_bidding import in_a_plain_thread, logged_in_page
from tests.test_public_support import lot_for, published_round

pytestmark = pytest.mark.browser

WAIT_MS = 15_000


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def serious_accessibility_problems(page, context: str | None = None) -> list[str]:
    """axe-core's serious and critical violations (issue 9 item 7), on the page or one part of it."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=context)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_a_bidder_sets_a_reminder_is_outbid_and_reads_it_and_a_visitor_reads_the_notices(
    live_processes, browser, court, tmp_path
):
    lot = lot_for(court, title="望京西园三区住宅一套")
    auction = published_round(lot)
    lifecycle.do_open_round(auction.pk)
    published_round(lot_for(court, title="朝阳区写字楼一层"), starts_in=timedelta(days=3))
    alice, bob = factories.make_bidder("alice", "艾丽丝"), factories.make_bidder("bob", "鲍勃")
    factories.register(auction, alice, secured=True)
    factories.register(auction, bob, secured=True)
    base = live_processes.daphne()

    # Alice sets a reminder on the lot page and sees herself counted.
    page = logged_in_page(browser, base, alice)
    page.goto(f"{base}/auctions/{auction.pk}/")
    box = page.locator(".reminder-box")
    assert box.locator("[data-reminder-count]").inner_text() == "0"
    box.locator("button", has_text="设置提醒").click()
    page.wait_for_url(f"{base}/auctions/{auction.pk}/")
    assert page.locator(".messages").inner_text().startswith("已设置提醒")
    assert box.locator("[data-reminder-count]").inner_text() == "1"
    assert box.locator("button", has_text="取消提醒").is_visible()
    assert serious_accessibility_problems(page, ".reminder-box") == []
    page.screenshot(path=tmp_path / "lot-reminder-desktop.png", full_page=False)

    # Bob outbids her; she finds it in the site: a count in the nav, then the notification.
    in_a_plain_thread(services.check_place_bid, alice, auction.pk, "80000.00", "a-1")
    in_a_plain_thread(services.check_place_bid, bob, auction.pk, "81000.00", "b-1")
    page.goto(f"{base}/")
    badge = page.locator(".main-nav [data-unread-count]")
    assert badge.get_attribute("data-unread-count") == "1"
    page.locator(".main-nav a", has_text="通知").click()
    page.wait_for_url(f"{base}/notifications/")
    note = page.locator(".notification.kind-outbid")
    assert note.locator("h2").inner_text() == "您的出价已被超越"
    assert "¥81,000.00" in note.inner_text() and "鲍勃" not in note.inner_text()
    page.screenshot(path=tmp_path / "notifications-desktop.png", full_page=True)
    assert serious_accessibility_problems(page) == []
    page.goto(f"{base}/")
    assert page.locator(".main-nav [data-unread-count]").count() == 0  # read now
    page.goto(f"{base}/notifications/settings/")
    page.screenshot(path=tmp_path / "preferences-desktop.png", full_page=True)
    assert serious_accessibility_problems(page) == []

    # A visitor reads the public notices, filters them and follows one to its announcement.
    visitor = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    visitor.goto(f"{base}/")
    visitor.locator(".main-nav a", has_text="公告").click()
    visitor.wait_for_url(f"{base}/notices/")
    titles = visitor.locator(".notice h2").all_inner_texts()
    assert "拍卖公告：望京西园三区住宅一套（一拍）" in titles and "拍卖公告：朝阳区写字楼一层（一拍）" in titles
    visitor.screenshot(path=tmp_path / "notices-desktop.png", full_page=True)
    assert serious_accessibility_problems(visitor) == []
    visitor.select_option("#id_kind", "announcement")
    visitor.locator(".notice-filters button").click()
    visitor.wait_for_url(f"{base}/notices/?kind=announcement*")
    visitor.locator(".notice h2 a", has_text="望京西园").click()
    visitor.wait_for_url(f"{base}/auctions/{auction.pk}/announcement/")
    atom = visitor.request.get(f"{base}/notices/atom.xml")
    assert atom.ok and "望京西园三区住宅一套" in atom.text()
    visitor.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    phone.add_cookies(page.context.cookies())
    mobile = phone.new_page()
    for path, shot in (
        ("/notices/", "notices-phone.png"),
        ("/notifications/", "notifications-phone.png"),
        ("/notifications/settings/", "preferences-phone.png"),
        (f"/auctions/{auction.pk}/", "lot-reminder-phone.png"),
    ):
        mobile.goto(base + path)
        assert no_sideways_scroll(mobile), path
        mobile.screenshot(path=tmp_path / shot, full_page=path != f"/auctions/{auction.pk}/")
    if (reminder := mobile.locator(".reminder-box")).count():
        reminder.screenshot(path=tmp_path / "reminder-box-phone.png")
    phone.close()

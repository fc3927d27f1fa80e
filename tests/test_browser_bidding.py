"""Two bidders in separate browsers on the live lot page, over a real daphne and the clock worker:
bids, outbids, an extension (BI2) and the close (BI5) reach both pages without a reload."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client

from auctions import clock
from auctions.models import Auction
from bidding import services
from tests import factories, servers
from tests.test_bidder_pages import published

pytestmark = pytest.mark.browser

WAIT_MS = 15_000


def in_a_plain_thread(function, *args):
    """Runs engine code off this thread: Playwright's sync API keeps an event loop here, and the
    engine publishes events with async_to_sync, which refuses to run beside a loop."""

    def call():
        try:
            return function(*args)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def logged_in_page(browser, base_url: str, user):
    """A page in its own browser context, carrying the user's session cookie."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}])
    return context.new_page()


def panel(page, role: str):
    return page.locator(f'#live-panel [data-role="{role}"]')


def open_lot(page, base_url: str, auction) -> None:
    page.goto(f"{base_url}/auctions/{auction.pk}/")
    # The snapshot has arrived once the bidder's own standing replaces "connecting".
    panel(page, "me").locator(".live-standing").wait_for(timeout=WAIT_MS)


def bid(page, amount: str, shown: str) -> None:
    """Types the amount, asks to bid, checks the confirmation shows it and confirms."""
    panel(page, "amount").fill(amount)
    panel(page, "bid-btn").click()
    dialog = panel(page, "dialog")
    assert dialog.locator('[data-role="confirm-amount"]').inner_text() == shown
    dialog.locator('[data-role="confirm"]').click()


def expect_text(page, role: str, text: str, timeout: int = WAIT_MS) -> None:
    panel(page, role).filter(has_text=text).wait_for(timeout=timeout)


def round_with_two_bidders(lot, alice, bob, **timing):
    auction = published(factories.make_auction(lot, **timing))
    factories.register(auction, alice, secured=True)
    factories.register(auction, bob, secured=True)
    return auction


def test_bi2_bi5_two_bidders_see_bids_extension_and_close_live(live_processes, browser):
    court = factories.make_court()
    lot = factories.make_lot(factories.make_case(court))
    alice, bob = factories.make_bidder("alice", "艾丽丝"), factories.make_bidder("bob", "鲍勃")
    main = round_with_two_bidders(lot, alice, bob, ends_in=timedelta(hours=24))
    # The closing round ends once its pages are open and the steps above are done (below).
    closing = round_with_two_bidders(factories.make_lot(lot.case), alice, bob, ends_in=timedelta(hours=1))
    # Alice's bid on the closing round was made ten minutes ago: no extension, she leads at the end.
    with clock.travel(-timedelta(minutes=10)):
        in_a_plain_thread(services.check_place_bid, alice, closing.pk, "80000.00", "early-bid")

    base_url = live_processes.daphne()
    live_processes.command("auction_clock")
    page_a, page_b = logged_in_page(browser, base_url, alice), logged_in_page(browser, base_url, bob)
    closing_a, closing_b = page_a.context.new_page(), page_b.context.new_page()
    for page in (closing_a, closing_b):
        open_lot(page, base_url, closing)
    for page in (page_a, page_b):
        open_lot(page, base_url, main)

    # Alice bids; Bob sees it without a reload and outbids; Alice sees she is outbid.
    bid(page_a, "80000.00", "¥80,000.00")
    expect_text(page_b, "price", "¥80,000.00")
    expect_text(page_b, "log", "A0001")
    expect_text(page_a, "me", "领先")
    bid(page_b, "81000.00", "¥81,000.00")
    expect_text(page_a, "price", "¥81,000.00")
    expect_text(page_a, "me", "已被超越")
    expect_text(page_b, "me", "领先")
    assert panel(page_a, "extensions").inner_text() == "0"

    # A bid in the last five minutes moves the end on both pages (BI2).
    last_minutes = round_with_two_bidders(factories.make_lot(lot.case), alice, bob, ends_in=timedelta(minutes=3))
    for page in (page_a, page_b):
        open_lot(page, base_url, last_minutes)
    ends_before = panel(page_b, "ends-at").get_attribute("datetime")
    bid(page_b, "80000.00", "¥80,000.00")
    for page in (page_a, page_b):
        expect_text(page, "extensions", "1")
        panel(page, "extended").wait_for(state="visible", timeout=WAIT_MS)
        expect_text(page, "notice", "延时")
        assert panel(page, "ends-at").get_attribute("datetime") != ends_before

    # The clock worker closes the other round; both pages show the result without a reload (BI5).
    for page in (closing_a, closing_b):
        assert "已成交" not in panel(page, "status").inner_text()
    Auction.objects.filter(pk=closing.pk).update(ends_at=clock.now() + timedelta(seconds=2))
    for page in (closing_a, closing_b):
        expect_text(page, "status", "已成交", timeout=60_000)
    expect_text(closing_b, "result", "A0001")
    expect_text(closing_a, "result", "恭喜")
    assert panel(closing_a, "bid-form").is_hidden()


def daphne_on(live_processes, port: int) -> subprocess.Popen:
    """A daphne on a given port, so that a restarted server is found at the same address."""
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=servers.ROOT,
        env=servers.child_env(),
    )
    live_processes.processes.append(process)
    servers.wait_for_port(port, process)
    return process


def test_watcher_reconnects_after_a_server_restart_and_catches_up(live_processes, browser):
    """The banner shows while the server is away; on reconnect (?since=) the missed bid appears."""
    lot = factories.make_lot(factories.make_case(factories.make_court()))
    alice = factories.make_bidder("alice", "艾丽丝")
    auction = published(factories.make_auction(lot))
    factories.register(auction, alice, secured=True)
    port = servers.free_port()
    server = daphne_on(live_processes, port)
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    page.goto(f"http://127.0.0.1:{port}/auctions/{auction.pk}/")
    panel(page, "log-empty").filter(has_text="暂无出价").wait_for(timeout=WAIT_MS)

    server.kill()  # a crash, not a graceful stop: the sockets just drop
    server.wait(timeout=10)
    panel(page, "banner").wait_for(state="visible", timeout=WAIT_MS)
    in_a_plain_thread(services.check_place_bid, alice, auction.pk, "80000.00", "while-away")
    daphne_on(live_processes, port)

    expect_text(page, "price", "¥80,000.00", timeout=40_000)
    expect_text(page, "log", "A0001")
    panel(page, "banner").wait_for(state="hidden", timeout=WAIT_MS)

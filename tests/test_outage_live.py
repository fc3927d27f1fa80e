"""FA7 with real processes: the bid path is stopped during a round's final 5 minutes (every
daphne process killed, or the database stopped), and the round is extended to a full 5 minutes
after recovery, with the reason published on the live page and in the disposal record."""

import asyncio
import json
import time
from datetime import timedelta

import pytest

from auctions import clock
from auctions.models import Auction, AuctionEvent, OutageWindow, ServiceHeartbeat
from bidding.protocol import iso
from lots.models import DisposalRecord
from tests import factories, servers
from tests.test_bidder_pages import published
from tests.test_bidding_support import run_async
from tests.test_browser_bidding import WAIT_MS, bid, daphne_on, expect_text, logged_in_page, open_lot, panel
from tests.test_faults import Peer, session_cookie, until

FIVE_MINUTES = timedelta(minutes=5)


def wait_for(condition, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def web_is_beating() -> bool:
    return ServiceHeartbeat.objects.filter(role=ServiceHeartbeat.Role.WEB).exists()


def outage_extensions(auction) -> list[DisposalRecord]:
    return list(
        DisposalRecord.objects.filter(auction=auction, kind=DisposalRecord.Kind.OUTAGE_EXTENSION).order_by("id")
    )


@pytest.mark.browser
def test_fa7_every_web_process_down_in_the_final_minutes_extends_and_the_page_says_why(live_processes, browser):
    lot = factories.make_lot(factories.make_case(factories.make_court()))
    alice = factories.make_bidder("alice", "艾丽丝")
    auction = published(factories.make_auction(lot, ends_in=timedelta(minutes=2)))  # in its final 5 minutes
    factories.register(auction, alice, secured=True)
    port = servers.free_port()
    server = daphne_on(live_processes, port)
    live_processes.command("auction_clock")
    base_url = f"http://127.0.0.1:{port}"
    page = logged_in_page(browser, base_url, alice)
    open_lot(page, base_url, auction)
    assert panel(page, "outage").is_hidden()
    wait_for(web_is_beating, what="the web heartbeat")

    # Seconds before the end, the only web process crashes: no bid can be accepted.
    Auction.objects.filter(pk=auction.pk).update(ends_at=clock.now() + timedelta(seconds=8))
    auction.refresh_from_db()
    server.kill()
    server.wait(timeout=10)
    wait_for(lambda: OutageWindow.objects.filter(ended_at__isnull=True).exists(), what="the outage to be seen")
    # The round's end passes while nobody can bid: it is not closed.
    wait_for(lambda: clock.now() > auction.ends_at + timedelta(seconds=2), what="the end to pass")
    assert Auction.objects.get(pk=auction.pk).status == Auction.Status.LIVE

    daphne_on(live_processes, port)  # recovery
    wait_for(lambda: OutageWindow.objects.filter(applied_at__isnull=False).exists(), what="the extension")
    window = OutageWindow.objects.get()
    extended = Auction.objects.get(pk=auction.pk)
    assert window.cause == OutageWindow.Cause.WEB_DOWN
    assert window.started_at < auction.ends_at < window.ended_at
    assert extended.status == Auction.Status.LIVE and extended.ends_at == window.ended_at + FIVE_MINUTES
    (record,) = outage_extensions(auction)
    assert record.detail["cause"] == "web_down" and "FA7" in record.detail["reason"]

    # The page reconnects, receives the "extended" event and publishes the reason.
    panel(page, "outage").wait_for(state="visible", timeout=40_000)
    outage_text = panel(page, "outage").inner_text()
    assert "FA7" in outage_text and "全部网站进程停止" in outage_text
    assert panel(page, "ends-at").get_attribute("datetime") == iso(extended.ends_at)
    expect_text(page, "countdown", ":")
    # After recovery the bidder has the full window: the bid is accepted.
    bid(page, "80000.00", "¥80,000.00")
    expect_text(page, "feedback", "出价成功")

    # A page loaded afterwards shows the published reason from the server.
    fresh = logged_in_page(browser, base_url, alice)
    open_lot(fresh, base_url, auction)
    assert "FA7" in panel(fresh, "outage").inner_text()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    phone.goto(f"{base_url}/auctions/{auction.pk}/")
    panel(phone, "outage").wait_for(state="visible", timeout=WAIT_MS)


@pytest.mark.services
def test_fa7_database_down_in_the_final_minutes_extends_after_recovery(disposable_services, live_processes):
    """The database stops during the final window: bids are refused at once with "unavailable"
    (FA7 named), nothing closes, and after recovery the round ends 5 minutes after it."""
    env = disposable_services.child_env()
    lot = factories.make_lot(factories.make_case(factories.make_court()))
    auction = published(factories.make_auction(lot, ends_in=timedelta(seconds=30)))
    alice, dave = factories.make_bidder("alice"), factories.make_bidder("dave")
    for user in (alice, dave):
        factories.register(auction, user, secured=True)
    cookies = {user.username: session_cookie(user) for user in (alice, dave)}
    server = live_processes.daphne(**env)
    live_processes.command("auction_clock", **env)
    wait_for(web_is_beating, what="the web heartbeat")

    async def scenario():
        alice_peer, dave_peer = Peer(auction.pk, cookies["alice"]), Peer(auction.pk, cookies["dave"])
        for peer in (alice_peer, dave_peer):
            await peer.connect(server)
        await until(lambda: alice_peer.last_seq is not None and dave_peer.last_seq is not None)
        first = await alice_peer.bid("80000.00")
        await asyncio.to_thread(disposable_services.postgres.stop)
        try:
            refused = await dave_peer.bid("81000.00", timeout=40)
        finally:
            await asyncio.to_thread(disposable_services.postgres.start)
        # Bids succeed again once the pool has fresh connections (the same bid: never twice).
        for _attempt in range(20):
            answer = await dave_peer.bid("81000.00", client_bid_id="after-recovery")
            if answer["type"] == "ack":
                break
            await asyncio.sleep(0.5)
        for peer in (alice_peer, dave_peer):
            await peer.close()
        return first, refused, answer

    first, refused, resumed = run_async(scenario)
    disposable_services.postgres.forget_connections()
    assert first["type"] == "ack" and resumed["type"] == "ack"
    assert refused["type"] == "error" and refused["code"] == "unavailable" and refused["rule"] == "FA7"
    wait_for(
        lambda: OutageWindow.objects.exists() and not OutageWindow.objects.filter(applied_at__isnull=True).exists(),
        what="the outage to be applied",
    )
    windows = list(OutageWindow.objects.order_by("ended_at"))
    assert {w.cause for w in windows} <= {OutageWindow.Cause.DATABASE, OutageWindow.Cause.WEB_DOWN}
    round_now = Auction.objects.get(pk=auction.pk)
    assert round_now.status == Auction.Status.LIVE
    assert round_now.ends_at >= windows[-1].ended_at + FIVE_MINUTES
    records = outage_extensions(auction)
    assert records
    for record in records:
        window = OutageWindow.objects.get(pk=record.detail["outage_id"])
        assert record.detail["ends_at"] == window_end_iso(window)
    events = AuctionEvent.objects.filter(auction=auction, kind="extended").order_by("seq")
    assert [json.dumps(e.payload["rule"]) for e in events] == ['"FA7"'] * len(records)
    # Both acknowledged bids are stored.
    assert sorted(str(b.amount.amount) for b in auction.bids.all()) == ["80000.00", "81000.00"]


def window_end_iso(window) -> str:
    return iso(window.ended_at + FIVE_MINUTES)

"""A clerk in a real browser after 流拍: the failed round offers 安排重新拍卖, the form comes prefilled
with lawful terms, a cut over 20 % is refused on the starting price naming PR2, the fixed terms are
scheduled and recorded as a re-auction (FA1)."""

import re
from datetime import timedelta

import pytest

from auctions import clock, lifecycle
from auctions.models import Announcement, Auction
from lots.models import DisposalRecord
from tests import factories


def failed_round(lot) -> Auction:
    now = clock.now()
    auction = Auction.objects.create(
        lot=lot,
        starting_price=factories.cny(80_000),
        increment=factories.cny(1_000),
        deposit=factories.cny(8_000),
        announce_at=now - timedelta(days=17),
        starts_at=now - timedelta(days=1, minutes=5),
        scheduled_end_at=now - timedelta(minutes=5),
        ends_at=now - timedelta(minutes=5),
        balance_due_at=now + timedelta(days=10),
        status=Auction.Status.LIVE,
    )
    Announcement.objects.create(auction=auction, publish_at=auction.announce_at, published_at=auction.announce_at)
    assert lifecycle.do_close_auction(auction.pk) == "failed"
    return auction


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}])
def test_fa1_clerk_schedules_a_reauction_after_liupai_refused_once_by_pr2(live_processes, browser, viewport):
    court = factories.make_court(code="京0105", name="北京市朝阳区人民法院")
    factories.make_staff(court, username="clerk1")
    lot = factories.make_lot(factories.make_case(court))
    first = failed_round(lot)
    base = live_processes.daphne()
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)

    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "clerk1")
    page.fill("#id_password", "pw-clerk1")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/console/")

    page.goto(base + f"/console/rounds/{first.pk}/")
    assert "FA1" in page.locator("#next-steps").inner_text()
    page.click("#step-reauction")
    page.wait_for_url(re.compile(rf"/console/rounds/{first.pk}/reauction/$"))
    assert page.input_value("#id_starting_price") == "64000.00"  # the largest cut PR2 allows
    assert page.input_value("#id_deposit") == "6400.00"

    page.fill("#id_starting_price", "60000")
    page.fill("#id_deposit", "6000")
    page.click("button:has-text('排期')")
    error = page.locator("#field-starting_price .errorlist")
    assert error.inner_text().startswith("PR2：")
    assert not Auction.objects.filter(previous=first).exists()

    page.fill("#id_starting_price", "64000")
    page.fill("#id_deposit", "6400")
    page.click("button:has-text('排期')")
    page.wait_for_url(re.compile(r"/console/rounds/\d+/$"))
    second = Auction.objects.get(previous=first)
    assert (second.round_label, second.starting_price.amount) == ("二拍", 64000)
    assert DisposalRecord.objects.filter(auction=second, kind=DisposalRecord.Kind.REAUCTION_SCHEDULED).exists()
    assert "二拍" in page.locator("h1").inner_text()
    context.close()

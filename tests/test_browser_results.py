"""In Chromium over a real daphne: a visitor reads the result notice on the lot page and opens the
masked public confirmation; the buyer gets the full copy; the clerk sees the result on the console
round page, downloads the full confirmation and records the delivery (ST1, ST3, AN5). Screenshots
go to /tmp/results/."""

from pathlib import Path

import pytest

from notices.models import Confirmation
from tests import factories
from tests.results_support import buyer_with_deposit, close_round, pay_balance
from tests.test_confirmation import pdf_text
from tests.test_public_support import published_round

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/results")
WAIT_MS = 15_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def new_page(browser, *, phone: bool = False):
    context = browser.new_context(viewport=PHONE if phone else DESKTOP, locale="zh-CN", accept_downloads=True)
    return context.new_page()


def sign_in(page, base: str, user, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-" + user.username)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_url}")


def test_st1_result_notice_and_confirmation_for_public_buyer_and_court(live_processes, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    court = factories.make_court()
    clerk = factories.make_staff(court, username="clerkresults")
    auction = published_round(factories.make_lot(factories.make_case(court)))
    buyer, registration = buyer_with_deposit(auction, "buyer_chen", "陈十二")
    auction = close_round(auction, registration, 96_000)
    confirmation = Confirmation.objects.get(auction=auction)
    base = live_processes.daphne()

    # A visitor on a phone: the notice on the lot page, then its own page and the public copy.
    visitor = new_page(browser, phone=True)
    visitor.goto(f"{base}/auctions/{auction.pk}/")
    notice = visitor.locator("#result")
    notice.wait_for(timeout=WAIT_MS)
    assert "¥96,000.00" in notice.inner_text() and "A0001" in notice.inner_text()
    assert "陈十二" not in visitor.inner_text("main")
    notice.scroll_into_view_if_needed()
    visitor.screenshot(path=str(SHOTS / "lot-result-phone.png"))
    visitor.get_by_role("link", name="结果公告页").click()
    visitor.wait_for_url(f"{base}/auctions/{auction.pk}/result/")
    visitor.screenshot(path=str(SHOTS / "result-page-phone.png"), full_page=True)
    public_href = visitor.locator("#public-confirmation").get_attribute("href")
    public_pdf = visitor.request.get(base + public_href)
    assert public_pdf.status == 200 and public_pdf.headers["content-type"] == "application/pdf"
    public_text = pdf_text(public_pdf.body())
    assert "陈**" in public_text and buyer.bidder.id_number not in public_text

    desktop = new_page(browser)
    desktop.goto(f"{base}/auctions/{auction.pk}/")
    desktop.locator("#result").scroll_into_view_if_needed()
    desktop.screenshot(path=str(SHOTS / "lot-result-desktop.png"))

    # The buyer: a link to the full copy on the lot page.
    buyer_page = new_page(browser, phone=True)
    sign_in(buyer_page, base, buyer, f"/auctions/{auction.pk}/")
    with buyer_page.expect_download() as download:
        buyer_page.locator("#buyer-confirmation").click()
    full_text = pdf_text(Path(download.value.path()).read_bytes())
    assert "陈十二" in full_text and buyer.bidder.id_number in full_text and "¥96,000.00" in full_text

    # The clerk: the result card, the full copy, then the delivery once the balance is paid.
    clerk_page = new_page(browser)
    sign_in(clerk_page, base, clerk.user, f"/console/rounds/{auction.pk}/")
    card = clerk_page.locator("#result")
    assert "陈十二" in card.inner_text() and confirmation.number in card.inner_text()
    assert "买受人付清全部价款后方可登记交付" in card.inner_text()
    with clerk_page.expect_download() as download:
        clerk_page.locator("#console-confirmation").click()
    court_text = pdf_text(Path(download.value.path()).read_bytes())
    assert buyer.bidder.id_number in court_text and auction.lot.title in court_text
    card.scroll_into_view_if_needed()
    clerk_page.screenshot(path=str(SHOTS / "console-result-desktop.png"))

    pay_balance(auction, buyer)
    clerk_page.reload()
    clerk_page.get_by_text("登记交付标的物（ST3）").click()
    clerk_page.get_by_label("交付说明").fill("钥匙已当面交付买受人")
    clerk_page.screenshot(path=str(SHOTS / "console-delivery-form.png"))
    clerk_page.locator("#record-delivery").click()
    clerk_page.get_by_text("已登记交付标的物。").wait_for(timeout=WAIT_MS)
    assert "钥匙已当面交付买受人" in clerk_page.locator("#result").inner_text()
    clerk_page.locator("#result").scroll_into_view_if_needed()
    clerk_page.screenshot(path=str(SHOTS / "console-delivered-desktop.png"))

    phone_clerk = new_page(browser, phone=True)
    sign_in(phone_clerk, base, clerk.user, f"/console/rounds/{auction.pk}/")
    phone_clerk.locator("#result").scroll_into_view_if_needed()
    phone_clerk.screenshot(path=str(SHOTS / "console-result-phone.png"))


def test_result_of_a_failed_round_on_the_lot_page(live_processes, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    court = factories.make_court()
    auction = close_round(published_round(factories.make_lot(factories.make_case(court))))
    base = live_processes.daphne()
    page = new_page(browser, phone=True)
    page.goto(f"{base}/auctions/{auction.pk}/")
    notice = page.locator("#result")
    notice.wait_for(timeout=WAIT_MS)
    assert "流拍" in notice.inner_text() and "confirmation" not in notice.inner_html()
    notice.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "lot-failed-phone.png"))


def test_clerk_adds_a_webhook_endpoint_and_sees_its_deliveries(live_processes, browser):
    """The court configures its system's address in the console; the secret is shown once; the
    next disposal step reaches the receiver on loopback, signed, and is listed as delivered."""
    from lots import services as lot_services
    from lots.models import AppraisalAgency
    from notices import webhooks
    from notices.models import WebhookEndpoint
    from tests.test_webhooks import Receiver

    SHOTS.mkdir(parents=True, exist_ok=True)
    court = factories.make_court()
    clerk = factories.make_staff(court, username="clerkhooks")
    lot = factories.make_lot(factories.make_case(court))
    court.panel.add(AppraisalAgency.objects.create(name="北京评估有限公司"))
    base = live_processes.daphne()
    with Receiver() as receiver:
        page = new_page(browser)
        sign_in(page, base, clerk.user, "/console/webhooks/")
        page.get_by_label("接收地址").fill("ftp://wrong.example")
        page.locator("#add-endpoint").click()
        page.get_by_text("请填写以 http:// 或 https:// 开头的完整地址。").wait_for(timeout=WAIT_MS)
        page.get_by_label("接收地址").fill(receiver.url)
        page.get_by_label("说明").fill("执行案件管理系统")
        page.locator("#add-endpoint").click()
        secret = page.locator("#new-secret").inner_text(timeout=WAIT_MS).strip()
        assert secret.startswith("whsec_") and WebhookEndpoint.objects.get().secret == secret
        page.screenshot(path=str(SHOTS / "console-webhooks-secret.png"), full_page=True)

        lot_services.draw_agency(lot, clerk.user)  # a disposal step; this process's tasks run inline on commit
        page.goto(f"{base}/console/webhooks/")
        assert secret not in page.content()
        assert len(receiver.requests) == 1
        request = receiver.requests[0]
        now = int(request["headers"]["Auction-Signature"].split(",")[0][2:])
        assert webhooks.verify_signature(secret, request["headers"]["Auction-Signature"], request["body"], now)
        page.get_by_text("已送达").wait_for(timeout=WAIT_MS)
        assert WebhookEndpoint.objects.count() == 1
        page.screenshot(path=str(SHOTS / "console-webhooks-desktop.png"), full_page=True)
        phone = new_page(browser, phone=True)
        sign_in(phone, base, clerk.user, "/console/webhooks/")
        phone.screenshot(path=str(SHOTS / "console-webhooks-phone.png"), full_page=True)

"""Two bidders in Chromium over a real daphne, the auction clock and the payments worker: each pays
a sandbox deposit on the payment page (BD1), both bid through the engine's HTTP endpoint, the clock
closes the round, the worker releases the loser's deposit (ST2) and the pages show the refund to
the loser and the balance due to the winner (ST3). Screenshots go to /tmp/payments/."""

import time
from datetime import timedelta
from pathlib import Path

import pytest

from auctions import clock
from auctions.models import Auction
from payments.models import CourtPaymentSettings, Deposit, Payment, Refund, Settlement
from tests import factories

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/payments")
WAIT_MS = 15_000


def signed_in(browser, base: str, user, *, phone: bool = False):
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/accounts/login/?next=/payments/mine/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-" + user.username)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/payments/mine/")
    return page


def pay_deposit(page, base: str, deposit: Deposit, shot: str) -> None:
    page.goto(f"{base}/payments/deposits/{deposit.pk}/pay/")
    page.check("input[name=provider][value=sandbox]")
    page.screenshot(path=str(SHOTS / f"{shot}-pay.png"), full_page=True)
    page.get_by_role("button", name="确认支付").click()
    page.get_by_text("款项已到账").wait_for(timeout=WAIT_MS)
    page.screenshot(path=str(SHOTS / f"{shot}-paid.png"), full_page=True)


def bid(page, base: str, auction: Auction, amount: str) -> None:
    """The engine's HTTP bid endpoint, with the browser's session and CSRF token."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{base}/auctions/{auction.pk}/bids",
        data={"type": "bid", "amount": amount, "client_bid_id": f"browser-{amount}"},
        headers={"X-CSRFToken": token, "Referer": base + "/"},
    )
    assert response.status == 200, response.text()


def wait_until(check, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_st2_st3_loser_sees_the_refund_and_winner_the_balance(live_processes, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    court = factories.make_court()
    clerk = factories.make_staff(court, username="clerkpay")
    auction = factories.make_auction(factories.make_lot(factories.make_case(court)))
    loser, winner = factories.make_bidder("lu", "陆"), factories.make_bidder("wang", "王")
    loser_deposit = factories.register(auction, loser, secured=False).deposit
    winner_deposit = factories.register(auction, winner, secured=False).deposit
    base = live_processes.daphne()

    loser_page = signed_in(browser, base, loser)
    winner_page = signed_in(browser, base, winner, phone=True)
    pay_deposit(loser_page, base, loser_deposit, "loser")
    pay_deposit(winner_page, base, winner_deposit, "winner-phone")
    bid(loser_page, base, auction, "80000.00")
    bid(winner_page, base, auction, "81000.00")

    Auction.objects.filter(pk=auction.pk).update(ends_at=clock.now() - timedelta(seconds=5))
    live_processes.command("auction_clock")
    live_processes.command("payments_worker", "--interval", "0.5")
    wait_until(lambda: Deposit.objects.get(pk=loser_deposit.pk).status == Deposit.Status.RELEASED)
    assert Deposit.objects.get(pk=winner_deposit.pk).status == Deposit.Status.APPLIED

    loser_page.goto(f"{base}/payments/mine/")
    refund = Refund.objects.get(deposit=loser_deposit)
    assert refund.status == Refund.Status.SUCCEEDED
    loser_page.locator(".refunds").get_by_text("已退还").wait_for(timeout=WAIT_MS)
    assert "¥10,000.00" in loser_page.locator(".refunds").inner_text()
    loser_page.screenshot(path=str(SHOTS / "loser-mine.png"), full_page=True)

    winner_page.goto(f"{base}/payments/mine/")
    owed = winner_page.locator(".balance-due")
    owed.get_by_text("应付尾款").wait_for(timeout=WAIT_MS)
    assert "¥71,000.00" in owed.inner_text()  # 81,000 less the 10,000 deposit applied
    winner_page.screenshot(path=str(SHOTS / "winner-mine-phone.png"), full_page=True)

    clerk_page = signed_in(browser, base, clerk.user)
    clerk_page.goto(f"{base}/payments/court/auctions/{auction.pk}/")
    clerk_page.get_by_text("保证金明细").wait_for(timeout=WAIT_MS)
    clerk_page.screenshot(path=str(SHOTS / "court-auction.png"), full_page=True)
    clerk_page.goto(f"{base}/payments/court/")
    clerk_page.screenshot(path=str(SHOTS / "court-index.png"), full_page=True)


def test_bd1_st4_clerk_confirms_a_bank_transfer_and_then_a_default(live_processes, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    court = factories.make_court()
    CourtPaymentSettings.objects.create(
        court=court,
        providers=["bank", "sandbox"],
        bank_name="中国工商银行北京朝阳支行",
        account_name="北京市第一人民法院执行款专户",
        account_number="0200 0012 3456 7890 123",
    )
    clerk = factories.make_staff(court, username="clerkbank")
    auction = factories.make_auction(factories.make_lot(factories.make_case(court)))
    user = factories.make_bidder("zhao", "赵")
    deposit = factories.register(auction, user, secured=False).deposit
    base = live_processes.daphne()

    bidder_page = signed_in(browser, base, user, phone=True)
    bidder_page.goto(f"{base}/payments/deposits/{deposit.pk}/pay/")
    bidder_page.check("input[name=provider][value=bank]")
    bidder_page.get_by_role("button", name="确认支付").click()
    bidder_page.get_by_text("转账附言请务必填写付款编号").wait_for(timeout=WAIT_MS)
    reference = Payment.objects.get(deposit=deposit).reference
    assert reference in bidder_page.inner_text("main")
    bidder_page.screenshot(path=str(SHOTS / "bank-instructions-phone.png"), full_page=True)

    clerk_page = signed_in(browser, base, clerk.user)
    clerk_page.goto(f"{base}/payments/court/transfers/")
    card = clerk_page.locator(".card", has_text=reference)
    card.get_by_label("到账金额（元）").fill("9000")
    card.get_by_label("银行流水号").fill("ICBC-20261124-0001")
    card.get_by_role("button", name="确认到账").click()
    clerk_page.get_by_text("金额应为 ¥10,000.00").wait_for(timeout=WAIT_MS)
    clerk_page.screenshot(path=str(SHOTS / "court-transfer-error.png"), full_page=True)
    card = clerk_page.locator(".card", has_text=reference)
    card.get_by_label("到账金额（元）").fill("10000.00")
    card.get_by_label("银行流水号").fill("ICBC-20261124-0001")
    card.get_by_role("button", name="确认到账").click()
    clerk_page.get_by_text("已确认到账").wait_for(timeout=WAIT_MS)
    assert Deposit.objects.get(pk=deposit.pk).status == Deposit.Status.SECURED

    bid(bidder_page, base, auction, "80000.00")
    Auction.objects.filter(pk=auction.pk).update(ends_at=clock.now() - timedelta(seconds=5))
    live_processes.command("auction_clock")
    wait_until(lambda: Settlement.objects.filter(auction=auction).exists())
    Settlement.objects.filter(auction=auction).update(balance_due_at=clock.now() - timedelta(minutes=1))

    clerk_page.goto(f"{base}/payments/court/auctions/{auction.pk}/")
    clerk_page.get_by_role("link", name="认定悔拍（ST4）").click()
    clerk_page.get_by_label("重新拍卖费用（元）").fill("1500")
    clerk_page.get_by_label("说明").fill("买受人逾期未支付尾款")
    clerk_page.screenshot(path=str(SHOTS / "court-default-form.png"), full_page=True)
    clerk_page.get_by_role("button", name="确认悔拍，保证金不予退还").click()
    clerk_page.get_by_text("已认定悔拍").wait_for(timeout=WAIT_MS)
    assert Deposit.objects.get(pk=deposit.pk).status == Deposit.Status.FORFEITED
    clerk_page.goto(f"{base}/payments/court/forfeitures/")
    assert "¥1,500.00" in clerk_page.inner_text("main")
    clerk_page.screenshot(path=str(SHOTS / "court-forfeitures.png"), full_page=True)

    bidder_page.goto(f"{base}/payments/receipts/{reference}/")
    assert "ICBC-20261124-0001" in bidder_page.inner_text("main")
    bidder_page.screenshot(path=str(SHOTS / "receipt-phone.png"), full_page=True)
    bidder_page.goto(f"{base}/payments/mine/")
    assert "不予退还" in bidder_page.inner_text("main")
    bidder_page.screenshot(path=str(SHOTS / "defaulter-mine-phone.png"), full_page=True)

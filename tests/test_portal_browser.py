"""A verified party in a real browser on a phone (PD1–PD3): signs in with the case number and query
code after a round has closed, sees the outcome and the disposal timeline, cannot reach another
case, writes to the judge; the judge reads and replies in the console; the party reads the reply."""

import os
import re
from pathlib import Path

import pytest

from auctions.models import Auction
from lots.models import CaseMessage, CourtStaff, Party
from tests import factories
from tests.test_payments_support import close_round, paid_bidder

PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    """Saves a screenshot when SCREENSHOT_DIR is set (to look at the pages by eye)."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def case_with_a_sold_round(court, judge, clerk, price):
    case = factories.make_case(court, judge=judge)
    case.clerk = clerk
    case.save(update_fields=["clerk"])
    applicant = factories.make_party(case, Party.Role.APPLICANT, f"申请人{price}银行")
    factories.make_party(case, Party.Role.RESPONDENT, "王某")
    lot = factories.make_lot(case)
    auction = factories.make_auction(lot, status=Auction.Status.LIVE)
    _, registration, _ = paid_bidder(auction, f"buyer{price}")
    close_round(auction, registration, price)
    return case, applicant, lot


@pytest.mark.browser
def test_party_signs_in_sees_the_outcome_and_talks_to_the_judge(live_processes, browser):
    court = factories.make_court(code="京0105", name="北京市朝阳区人民法院")
    judge = factories.make_staff(court, username="judge1", role=CourtStaff.Role.JUDGE)
    clerk = factories.make_staff(court, username="clerk1")
    case, applicant, lot = case_with_a_sold_round(court, judge, clerk, 81_000)
    other_case, _, other_lot = case_with_a_sold_round(court, judge, clerk, 95_000)
    plain = factories.issue_code(applicant, clerk.user)
    base = live_processes.daphne()

    party = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    party.set_default_timeout(15000)
    party.goto(base + "/portal/")
    shot(party, "portal-sign-in-phone")
    party.fill("#id_case_number", case.number)
    party.fill("#id_code", "WRONG-CODE-0000")
    party.click("button:has-text('查询')")
    assert "案号或查询码不正确" in party.locator("#field-code .errorlist").inner_text()
    party.fill("#id_code", plain.lower())
    party.click("button:has-text('查询')")
    party.wait_for_url(re.compile(rf"/portal/cases/{case.id}/$"))

    outcome = party.locator(f"#lot-{lot.id} .round-row .outcome").inner_text()
    assert "成交价" in outcome and "¥81,000.00" in outcome
    timeline = party.locator("#timeline").inner_text()
    for step in ("拍卖成交", "保证金抵作价款"):
        assert step in timeline, step
    assert judge.office_phone in party.locator("#h-case + dl").inner_text()
    assert other_lot.title not in party.content()
    shot(party, "portal-case-phone")

    # Another case's page is not there for this party.
    response = party.goto(f"{base}/portal/cases/{other_case.id}/")
    assert response.status == 404
    assert other_case.number not in party.content() and "¥95,000.00" not in party.content()

    party.goto(f"{base}/portal/cases/{case.id}/messages/")
    party.click("button:has-text('发送')")
    assert "请填写留言内容" in party.locator("#field-body .errorlist").inner_text()
    party.fill("#id_body", "请问尾款到账后何时交付车辆？")
    party.click("button:has-text('发送')")
    party.wait_for_selector("text=留言已发送")
    assert CaseMessage.objects.filter(party=applicant, sender=CaseMessage.Sender.PARTY).count() == 1

    court_page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    court_page.set_default_timeout(15000)
    court_page.goto(base + "/accounts/login/")
    court_page.fill("#id_username", "judge1")
    court_page.fill("#id_password", "pw-judge1")
    court_page.click("button[type=submit]")
    court_page.wait_for_url(base + "/console/")
    assert court_page.locator("#unread-messages").inner_text() == "1"
    court_page.click("text=查看全部留言")
    court_page.click(f"a:has-text('{case.number}')")
    assert "请问尾款到账后何时交付车辆？" in court_page.locator(".message-thread").inner_text()
    court_page.fill("#id_body", "尾款到账后十日内通知您办理交付。")
    court_page.click("button:has-text('发送回复')")
    court_page.wait_for_selector("text=回复已发送")
    shot(court_page, "console-thread-phone")

    party.goto(f"{base}/portal/cases/{case.id}/")
    assert party.locator("#unread-replies").inner_text() == "1"
    party.click("a:has-text('留言')")
    assert "尾款到账后十日内通知您办理交付。" in party.locator(".message-thread").inner_text()
    shot(party, "portal-messages-phone")

    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    desktop.goto(base + "/portal/")
    desktop.fill("#id_case_number", case.number)
    desktop.fill("#id_code", plain)
    desktop.click("button:has-text('查询')")
    desktop.wait_for_url(re.compile(rf"/portal/cases/{case.id}/$"))
    shot(desktop, "portal-case-desktop")

"""Disclosure in Chromium (issue 9 item 2): a clerk fills taxes and a bank loan on the console lot
form (a bad rate is refused on its field), and a visitor filters the search by loan availability
and reads the disclosure tab."""

import pytest

from lots.models import Lot
from tests.test_browser_bidding import logged_in_page
from tests.test_public_support import lot_for, published_round

pytestmark = pytest.mark.browser
WAIT_MS = 15_000


def test_clerk_fills_disclosure_and_a_visitor_filters_and_reads_it(live_processes, browser, court, clerk, case):
    published_round(lot_for(court, title="无贷款的轿车"))
    financed = published_round(
        lot_for(court, title="可贷款的住宅", loan_offers=[{"bank": "中国银行", "max_ltv": "60", "rate": "3.8"}])
    )
    base = live_processes.daphne()

    console = logged_in_page(browser, base, clerk.user)
    console.goto(f"{base}/console/lots/new/")
    console.select_option("#id_case", str(case.pk))
    console.select_option("#id_category", "real_estate")
    console.fill("#id_title", "望京西园三区住宅一套")
    console.fill("#id_description", "建筑面积89平方米。")
    console.fill("#id_location", "北京市朝阳区望京西园三区")
    console.fill("#id_purchase_restriction", "需具备北京市购房资格")
    console.fill("input[name='taxes-0-item']", "契税")
    console.fill("input[name='taxes-0-rate']", "3")
    console.select_option("select[name='taxes-0-payer']", "buyer")
    console.fill("input[name='loan_offers-0-bank']", "中国建设银行")
    console.fill("input[name='loan_offers-0-max_ltv']", "95")
    console.fill("input[name='loan_offers-0-rate']", "3.95")
    console.click("form.form-card button[type=submit]")
    error = console.locator("#field-loan_offers .errorlist")
    error.wait_for(timeout=WAIT_MS)
    assert "第1项 最高贷款成数（%）" in error.inner_text()
    console.locator("#field-taxes").screenshot(path="/tmp/team/screens/console-lot-taxes-desktop.png")
    console.set_viewport_size({"width": 390, "height": 844})
    console.locator("#field-loan_offers").screenshot(path="/tmp/team/screens/console-lot-loans-phone.png")
    console.set_viewport_size({"width": 1280, "height": 900})
    assert not Lot.objects.filter(title="望京西园三区住宅一套").exists()
    console.fill("input[name='loan_offers-0-max_ltv']", "70")
    console.click("form.form-card button[type=submit]")
    console.wait_for_url(lambda url: "/console/lots/new/" not in url, timeout=WAIT_MS)
    lot = Lot.objects.get(title="望京西园三区住宅一套")
    assert lot.loan_offers == [{"bank": "中国建设银行", "max_ltv": "70", "rate": "3.95"}]
    assert lot.taxes == [{"item": "契税", "rate": "3", "payer": "buyer"}]

    visitor = browser.new_page(locale="zh-CN", viewport={"width": 390, "height": 844})
    visitor.goto(f"{base}/auctions/")
    visitor.click(".filters summary")
    visitor.select_option("#id_loan", "yes")
    visitor.click(".filter-actions button[type=submit]")
    visitor.wait_for_url(lambda url: "loan=yes" in url, timeout=WAIT_MS)
    titles = visitor.locator(".auction-card .auction-title").all_inner_texts()
    assert titles == ["可贷款的住宅"]
    visitor.click(".auction-card .auction-title a")
    visitor.wait_for_url(f"{base}/auctions/{financed.pk}/")
    assert visitor.locator(".tag-loan").is_visible()
    visitor.click("a[href='#tab-disclosure']")
    assert "中国银行" in visitor.locator("#loan-table").inner_text()
    assert visitor.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

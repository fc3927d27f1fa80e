"""A clerk in a real browser: signs in, records a case and a lot, uploads a photo, fixes the
reference price, is refused a starting price below PR1 with the rule named, fixes it, publishes."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from auctions import clock
from auctions.models import Auction
from lots.models import Lot
from tests import factories


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


def local_input(moment) -> str:
    """What a datetime-local input holds: the court's local time, to the minute."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.browser
def test_clerk_schedules_and_publishes_a_round_refused_once_by_pr1(live_processes, browser, tmp_path):
    court = factories.make_court(code="京0105", name="北京市朝阳区人民法院")
    factories.make_staff(court, username="clerk1")
    judge = factories.make_staff(court, username="judge1", role="judge")
    base = live_processes.daphne(MEDIA_ROOT=tmp_path)
    # A phone in China: the console in its default language, at 390 px.
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)

    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "clerk1")
    page.fill("#id_password", "pw-clerk1")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/console/")

    page.click("text=新建案件")
    page.fill("#id_number", "（2024）京0105执321号")
    page.fill("#id_cause", "借款合同纠纷")
    page.fill("#id_filed_on", "2024-03-01")
    page.select_option("#id_judge", str(judge.id))
    page.click("button:has-text('保存案件')")
    page.wait_for_url(re.compile(r"/console/cases/\d+/$"))

    page.click("text=为本案新建标的物")
    page.select_option("#id_category", "vehicle")
    page.fill("#id_title", "大众帕萨特轿车一辆")
    page.fill("#id_description", "2018年登记，行驶里程约10万公里。")
    page.fill("#id_location", "北京市朝阳区某停车场")
    page.click("button:has-text('保存草稿')")
    page.wait_for_url(re.compile(r"/console/lots/\d+/$"))
    lot = Lot.objects.get(title="大众帕萨特轿车一辆")

    page.set_input_files("#id_image", files=[{"name": "car.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    page.click("button:has-text('上传照片')")
    page.wait_for_selector(".thumbs img")

    page.click("summary:has-text('确定参考价')")
    page.select_option("#id_method", "online")
    page.fill("#id_value", "100000")
    page.fill("#id_valuation_date", (clock.now() - timedelta(days=2)).date().isoformat())
    page.click("button:has-text('保存参考价')")
    page.wait_for_selector("text=¥100,000.00")

    page.click("#rounds a.btn")
    announce = clock.now() + timedelta(hours=1)
    starts = announce + timedelta(days=16)
    page.fill("#id_starting_price", "60000")
    page.fill("#id_increment", "1000")
    page.fill("#id_deposit", "6000")
    page.fill("#id_announce_at", local_input(announce))
    page.fill("#id_starts_at", local_input(starts))
    page.fill("#id_ends_at", local_input(starts + timedelta(days=1)))
    page.fill("#id_balance_due_at", local_input(starts + timedelta(days=15)))
    page.click("button:has-text('排期')")
    error = page.locator("#field-starting_price .errorlist")
    assert error.inner_text().startswith("PR1：")
    assert not Auction.objects.filter(lot=lot).exists()

    page.fill("#id_starting_price", "80000")
    page.fill("#id_deposit", "8000")
    page.click("button:has-text('排期')")
    page.wait_for_url(re.compile(r"/console/rounds/\d+/$"))
    page.click("#publish-now")
    page.wait_for_selector("text=拍卖公告已发布")
    auction = Auction.objects.get(lot=lot)
    assert auction.status == Auction.Status.ANNOUNCED and auction.announcement.is_published
    assert page.locator(".announcement .warning-box").count() >= 5
    context.close()

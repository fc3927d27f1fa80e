"""The generated 拍卖公告: every AN3 item, the AN4 warnings, AN5 masking, frozen at publication (AN6)."""

import pytest

from auctions import services as auction_services
from auctions.announcements import announcement_sections, build_sections, scrub
from lots import services
from lots.models import Lot
from tests import factories
from tests.console_support import draft_lot, round_kwargs

AN3_KEYS = {
    "property",
    "survey",
    "reference_price",
    "starting_price",
    "increment",
    "deposit",
    "eligibility",
    "priority_rights",
    "defects",
    "rights_obligations",
    "liability",
    "bidding_period",
    "platform_court",
    "balance",
    "taxes",
}
AN4_KEYS = {
    "warning_as_is",
    "warning_priority",
    "warning_ineligible",
    "warning_taxes",
    "warning_burdens",
    "warning_law",
}
ID_NUMBER = factories.valid_id_number(42)


@pytest.fixture
def auction(case, clerk):
    services.add_party(case, clerk.user, role="applicant", kind="organisation", name="北京某某银行股份有限公司")
    services.add_party(
        case,
        clerk.user,
        role="respondent",
        kind="person",
        name="王建国",
        id_number=ID_NUMBER,
        phone="13912345678",
        address="北京市朝阳区幸福路8号楼3单元502室",
    )
    lot = draft_lot(
        case,
        clerk.user,
        category=Lot.Category.VEHICLE,
        title="王建国名下奥迪A6L轿车（京A12345）",
        description=f"登记车主王建国，身份证号{ID_NUMBER}，联系电话13912345678，车牌京A12345。",
        occupancy="车辆现停放于北京市朝阳区幸福路8号楼3单元502室楼下。",
        known_defects="左前门有划痕。",
    )
    return auction_services.schedule_round(
        lot, clerk.user, court_text="看样请联系王建国 13912345678。", **round_kwargs(notice_days=31)
    )


def test_an3_every_item_and_an4_every_warning_present(auction):
    sections = build_sections(auction)
    keys = {section["key"] for section in sections}
    assert keys >= AN3_KEYS | AN4_KEYS | {"court_text"}
    warnings = {section["key"] for section in sections if section["warning"]}
    assert warnings == AN4_KEYS
    assert all(section["title"] and section["body"] for section in sections)
    assert all(set(section) >= {"key", "title", "body", "warning"} for section in sections)


def test_an3_states_the_terms(auction):
    text = {section["key"]: section["body"] for section in build_sections(auction)}
    assert "¥80,000.00" in text["starting_price"]
    assert "¥1,000.00" in text["increment"]
    assert "¥10,000.00" in text["deposit"]
    assert "¥100,000.00" in text["reference_price"] and "网络询价" in text["reference_price"]
    assert "左前门有划痕" in text["warning_as_is"]
    assert "本院未发现优先购买权人" in text["warning_priority"]
    assert "北京市朝阳区人民法院" in text["platform_court"]


def test_an5_personal_data_is_masked_everywhere(auction):
    blob = str(build_sections(auction))
    assert "王建国" not in blob and "王**" in blob
    assert ID_NUMBER not in blob and ID_NUMBER[:6] + "********" + ID_NUMBER[-4:] in blob
    assert "13912345678" not in blob and "139****5678" in blob
    assert "京A12345" not in blob and "京A***45" in blob
    assert "502室" not in blob
    assert "北京某某银行股份有限公司" in blob  # organisations are not personal data


def test_scrub_leaves_ordinary_numbers_alone():
    assert (
        scrub("建筑面积 89.5 平方米，2019年登记，价款 1234567 元")
        == "建筑面积 89.5 平方米，2019年登记，价款 1234567 元"
    )


def test_an6_published_sections_are_frozen_in_both_languages(auction, clerk):
    auction_services.publish_announcement(auction, clerk.user)
    auction.refresh_from_db()
    announcement = auction.announcement
    assert all("en" in section["translations"] for section in announcement.sections)
    Lot.objects.filter(pk=auction.lot_id).update(known_defects="发布后才写的瑕疵")
    zh = announcement_sections(announcement, "zh-hans")
    assert "发布后才写的瑕疵" not in str(zh) and "左前门有划痕" in str(zh)
    en = announcement_sections(announcement, "en")
    assert [s["key"] for s in en] == [s["key"] for s in zh]

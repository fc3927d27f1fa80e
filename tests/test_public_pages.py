"""The public site: home, search with every filter, the lot page, the announcement, AN5 masking."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from auctions import clock, lifecycle
from auctions.models import Auction
from auctions.services import amend_announcement
from lots.models import Lot
from tests import factories
from tests.test_public_support import (
    RESPONDENT,
    assert_no_personal_data,
    lot_for,
    pii_lot,
    published_round,
    set_result,
    unpublished_round,
)

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [card.title for card in response.context["cards"]]


@pytest.fixture
def rounds(court, other_court):
    """One round in each phase, across two courts and categories."""
    shanghai = other_court
    shanghai.province, shanghai.region = "上海市", "上海市黄浦区"
    shanghai.save()
    return {
        "live": published_round(lot_for(court, title="奥迪A6L轿车")),
        "upcoming": published_round(
            lot_for(
                shanghai,
                title="黄浦区商铺一间",
                category=Lot.Category.REAL_ESTATE,
                reference=1_000_000,
                description="临街商铺，层高4.5米。",
                location="上海市黄浦区南京东路",
            ),
            starts_in=timedelta(days=3),
            starting_price=800_000,
            increment=10_000,
            deposit=100_000,
        ),
        "sold": set_result(
            published_round(lot_for(court, title="宝马X5越野车"), starts_in=timedelta(days=-5)), "sold", 95_000
        ),
        "failed": set_result(
            published_round(
                lot_for(court, title="某公司20%股权", category=Lot.Category.EQUITY), starts_in=timedelta(days=-6)
            ),
            "failed",
        ),
    }


# --- Home ----------------------------------------------------------------------------------------
def test_home_shows_live_upcoming_and_recent_results(client, rounds):
    response = client.get("/")
    assert response.status_code == 200
    assert [c.title for c in response.context["live"]] == ["奥迪A6L轿车"]
    assert [c.title for c in response.context["upcoming"]] == ["黄浦区商铺一间"]
    assert {c.title for c in response.context["results"]} == {"宝马X5越野车", "某公司20%股权"}
    html = response.content.decode()
    assert "一拍" in html and "¥80,000.00" in html
    assert 'name="server-now-ms"' in html and "data-countdown-to" in html


def test_home_hides_drafts_and_scheduled_rounds(client, court):
    lot = lot_for(court, title="尚未公告的标的")
    unpublished_round(lot)
    assert "尚未公告的标的" not in client.get("/").content.decode()
    assert client.get("/auctions/?q=尚未公告").context["cards"] == []


# --- Search and filters --------------------------------------------------------------------------
def test_search_without_filters_lists_every_public_round_live_first(client, rounds):
    response = client.get("/auctions/")
    assert response.status_code == 200
    assert titles(response)[:2] == ["奥迪A6L轿车", "黄浦区商铺一间"]
    assert len(titles(response)) == 4


def test_search_text_matches_title_description_and_location(client, rounds):
    assert titles(client.get("/auctions/", {"q": "宝马"})) == ["宝马X5越野车"]
    assert titles(client.get("/auctions/", {"q": "层高4.5米"})) == ["黄浦区商铺一间"]  # description
    assert titles(client.get("/auctions/", {"q": "南京东路"})) == ["黄浦区商铺一间"]  # location
    assert len(titles(client.get("/auctions/", {"q": "某停车场"}))) == 3


def test_search_filters_by_court(client, rounds, other_court):
    assert titles(client.get("/auctions/", {"court": other_court.code})) == ["黄浦区商铺一间"]


def test_search_filters_by_region_or_province(client, rounds):
    assert titles(client.get("/auctions/", {"region": "上海市"})) == ["黄浦区商铺一间"]
    assert titles(client.get("/auctions/", {"region": "黄浦区"})) == ["黄浦区商铺一间"]
    assert len(titles(client.get("/auctions/", {"region": "北京市"}))) == 3


def test_search_filters_by_category(client, rounds):
    assert titles(client.get("/auctions/", {"category": "equity"})) == ["某公司20%股权"]


def test_search_price_range_uses_current_price_else_starting_price(client, rounds):
    # sold at 95,000 (current price); live and failed start at 80,000; the shop at 800,000.
    assert set(titles(client.get("/auctions/", {"min_price": "90000", "max_price": "100000"}))) == {"宝马X5越野车"}
    assert set(titles(client.get("/auctions/", {"max_price": "80000.00"}))) == {"奥迪A6L轿车", "某公司20%股权"}
    assert titles(client.get("/auctions/", {"min_price": "500000"})) == ["黄浦区商铺一间"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("live", {"奥迪A6L轿车"}),
        ("upcoming", {"黄浦区商铺一间"}),
        ("ended", {"宝马X5越野车", "某公司20%股权"}),
        ("sold", {"宝马X5越野车"}),
        ("failed", {"某公司20%股权"}),
        ("suspended", set()),
        ("withdrawn", set()),
    ],
)
def test_search_filters_by_status(client, rounds, status, expected):
    assert set(titles(client.get("/auctions/", {"status": status}))) == expected


def test_search_status_follows_the_clock_before_the_worker_does(client, court):
    """BI2: a round past its end is "ended" even while its status still says live."""
    auction = published_round(lot_for(court, title="刚结束的标的"), starts_in=timedelta(days=-3))
    Auction.objects.filter(pk=auction.pk).update(status=Auction.Status.LIVE)
    assert titles(client.get("/auctions/", {"status": "ended"})) == ["刚结束的标的"]
    assert titles(client.get("/auctions/", {"status": "live"})) == []


def test_search_filters_by_bidding_start_dates(client, rounds):
    start = timezone.localdate(rounds["upcoming"].starts_at)
    assert titles(client.get("/auctions/", {"date_from": start.isoformat()})) == ["黄浦区商铺一间"]
    before = (start - timedelta(days=1)).isoformat()
    assert "黄浦区商铺一间" not in titles(client.get("/auctions/", {"date_to": before}))


def test_search_sorts_by_price(client, rounds):
    assert titles(client.get("/auctions/", {"sort": "-price"}))[0] == "黄浦区商铺一间"
    assert titles(client.get("/auctions/", {"sort": "price"}))[-1] == "黄浦区商铺一间"


def test_search_paginates_and_keeps_the_filters_in_page_links(client, court):
    for n in range(14):
        published_round(lot_for(court, title=f"批量标的{n:02d}"))
    first = client.get("/auctions/", {"q": "批量"})
    assert len(titles(first)) == 12 and first.context["page"].paginator.num_pages == 2
    assert "?q=%E6%89%B9%E9%87%8F&amp;page=2" in first.content.decode()
    second = client.get("/auctions/", {"q": "批量", "page": "2"})
    assert len(titles(second)) == 2
    assert not set(titles(first)) & set(titles(second))
    assert len(titles(client.get("/auctions/", {"q": "批量", "page": "400"}))) == 2  # past the end: last page


@pytest.mark.parametrize(
    "query",
    [
        {"min_price": "abc"},
        {"min_price": "-5"},
        {"max_price": "1e400"},
        {"min_price": "100", "max_price": "10"},
        {"status": "exploded"},
        {"category": "spaceship"},
        {"court": "不存在"},
        {"date_from": "2024-13-45"},
        {"date_from": "0001-01-01"},
        {"date_from": "2025-02-01", "date_to": "2025-01-01"},
        {"page": "0"},
        {"page": "99999999999999999999"},
        {"page": "x"},
        {"sort": "; DROP TABLE"},
        {"q": "长" * 101},
    ],
)
def test_absurd_filter_values_get_a_clear_message_not_an_error(client, rounds, query):
    response = client.get("/auctions/", query)
    assert response.status_code == 400
    html = response.content.decode()
    assert "筛选条件有误" in html and 'class="errorlist"' in html


def test_a_10kb_query_string_is_refused_with_a_message(client, rounds):
    response = client.get("/auctions/?q=" + "a" * 10_240)
    assert response.status_code == 400
    assert "查询条件过长" in response.content.decode()
    many = "&".join(f"f{n}=1" for n in range(2000))
    assert client.get("/auctions/?" + many).status_code == 400


# --- Lot page ------------------------------------------------------------------------------------
def test_lot_page_shows_prices_dates_countdown_sections_and_the_live_panel(client, court):
    lot = lot_for(court, title="奥迪A6L轿车", known_defects="左前门有划痕", occupancy="停放于法院指定停车场")
    court.address, court.phone = "北京市朝阳区某路1号", "010-8888 0000"
    court.save()
    auction = published_round(lot)
    response = client.get(f"/auctions/{auction.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("奥迪A6L轿车", "一拍", "正在进行", "起拍价", "参考价", "加价幅度", "保证金", "当前价"):
        assert text in html
    for amount in ("¥80,000.00", "¥100,000.00", "¥1,000.00", "¥10,000.00"):
        assert amount in html
    for text in ("公告发布", "竞价开始", "竞价结束", "尾款截止", "左前门有划痕", "停放于法院指定停车场"):
        assert text in html
    for anchor in ("tab-announcement", "tab-description", "tab-disclosure", "tab-instructions", "tab-balance"):
        assert f'id="{anchor}"' in html
    assert "网络询价" in html and "有效期至" in html  # appraisal summary (RP1, RP3)
    assert "010-8888 0000" in html  # the court's consultation contact
    assert f'data-countdown-to="{int(auction.ends_at.timestamp() * 1000)}"' in html
    assert 'id="live-panel"' in html or f'data-live-panel-stub="{auction.pk}"' in html
    assert f"/auctions/{auction.pk}/announcement/" in html


def test_countdown_counts_from_the_server_clock(client, court):
    """The page carries the server's time; with the server clock moved, the page moves with it."""
    auction = published_round(lot_for(court), starts_in=timedelta(days=2))
    later = clock.now() + timedelta(days=1)
    with clock.frozen(later):
        html = client.get(f"/auctions/{auction.pk}/").content.decode()
    assert f'<meta name="server-now-ms" content="{int(later.timestamp() * 1000)}">' in html
    assert f'data-countdown-to="{int(auction.starts_at.timestamp() * 1000)}"' in html
    assert "距开始" in html


@pytest.mark.parametrize("status", [Auction.Status.DRAFT, Auction.Status.SCHEDULED])
def test_unpublished_rounds_are_404(client, court, status):
    auction = unpublished_round(lot_for(court), as_draft=status == Auction.Status.DRAFT)
    assert auction.status == status
    assert client.get(f"/auctions/{auction.pk}/").status_code == 404
    assert client.get(f"/auctions/{auction.pk}/announcement/").status_code == 404
    assert client.get("/auctions/999999/").status_code == 404


def test_round_of_a_closed_case_is_shielded(client, court):
    """PD4: public listings of a closed case are taken down."""
    auction = published_round(lot_for(court))
    auction.lot.case.__class__.objects.filter(pk=auction.lot.case_id).update(status="closed")
    assert client.get(f"/auctions/{auction.pk}/").status_code == 404


@pytest.mark.parametrize(("act", "label"), [("suspend_round", "暂缓原因"), ("withdraw_round", "撤回原因")])
def test_fa4_fa5_suspended_or_withdrawn_round_shows_its_published_reason(client, court, clerk, act, label):
    auction = published_round(pii_lot(court), starting_price=1_600_000, increment=10_000, deposit=200_000)
    getattr(lifecycle, act)(auction.pk, clerk.user, f"被执行人{RESPONDENT['name']}提出执行异议")
    html = client.get(f"/auctions/{auction.pk}/").content.decode()
    assert label in html and "提出执行异议" in html and RESPONDENT["name"] not in html
    assert "提出执行异议" in client.get(f"/api/v1/auctions/{auction.pk}").json()["status_reason"]


def test_sold_round_shows_the_price_as_sold(client, rounds):
    html = client.get(f"/auctions/{rounds['sold'].pk}/").content.decode()
    assert "已成交" in html and "成交价" in html and "¥95,000.00" in html


# --- Announcement --------------------------------------------------------------------------------
def test_announcement_page_shows_frozen_sections_warnings_first_and_amendments(client, court, clerk):
    auction = published_round(lot_for(court, known_defects="发动机需维修"), court_text="看样时间另行通知。")
    amend_announcement(auction, clerk.user, text="看样时间改为每周三。", reason="看样安排调整")
    response = client.get(f"/auctions/{auction.pk}/announcement/")
    assert response.status_code == 200
    html = response.content.decode()
    notice = response.context["notice"]
    assert len(notice.warnings) >= 5  # AN4 items
    assert html.index("特别提示") < html.index("拍卖财产")  # warnings shown before the details
    for title in ("拍卖财产", "参考价及确定方式", "起拍价", "加价幅度", "保证金及交纳方式", "竞价时间", "税费负担"):
        assert title in html  # AN3 items
    assert "发动机需维修" in html and "看样时间另行通知。" in html
    assert "第 1 次更正" in html and "看样时间改为每周三。" in html and "看样安排调整" in html  # AN6
    assert "本公告已发布 1 次更正" in html


def test_announcement_stays_as_published_when_the_lot_changes(client, court):
    """AN6: the frozen text, not the lot's current text."""
    lot = lot_for(court, title="原标题标的")
    auction = published_round(lot)
    Lot.objects.filter(pk=lot.pk).update(description="事后修改的介绍")
    html = client.get(f"/auctions/{auction.pk}/announcement/").content.decode()
    assert "事后修改的介绍" not in html and "行驶里程约8万公里" in html


# --- AN5 -----------------------------------------------------------------------------------------
def test_an5_no_personal_data_on_any_public_page(client, court, clerk):
    lot = pii_lot(court)
    auction = published_round(lot, starting_price=1_600_000, increment=10_000, deposit=200_000)
    amend_announcement(
        auction, clerk.user, text=f"被执行人{RESPONDENT['name']}电话{RESPONDENT['phone']}已变更", reason="更正"
    )
    pages = [
        "/",
        "/auctions/",
        "/auctions/?q=幸福小区",
        f"/auctions/{auction.pk}/",
        f"/auctions/{auction.pk}/announcement/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_personal_data(response.content.decode())
    html = client.get(f"/auctions/{auction.pk}/").content.decode()
    assert "王*" in html  # the respondent appears, masked
    assert RESPONDENT["id_number"][:6] in html and RESPONDENT["id_number"][-4:] in html  # first 6 / last 4 at most


# --- Language --------------------------------------------------------------------------------------
def test_language_switch_to_english_and_back(client, rounds):
    auction = rounds["live"]
    assert '<html lang="zh-hans">' in client.get("/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": f"/auctions/{auction.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/auctions/{auction.pk}/"
    for url in (f"/auctions/{auction.pk}/", f"/auctions/{auction.pk}/announcement/", "/auctions/", "/"):
        english = client.get(url)
        assert english.status_code == 200
        assert '<html lang="en">' in english.content.decode()
    lot_page = client.get(f"/auctions/{auction.pk}/").content.decode()
    assert "拍卖条件" not in lot_page and "竞买须知" not in lot_page  # headings come from the English catalogue
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in client.get("/").content.decode()


def test_pages_answer_only_get(client, rounds):
    assert client.post("/auctions/").status_code == 405
    assert client.post(f"/auctions/{rounds['live'].pk}/").status_code in (403, 405)


def test_lot_without_photos_or_reference_still_renders(client, court):
    lot = factories.make_lot(factories.make_case(court))
    auction = published_round(lot)
    lot.reference_prices.all().delete()
    response = client.get(f"/auctions/{auction.pk}/")
    assert response.status_code == 200 and "暂无照片" in response.content.decode()


def test_listing_queries_do_not_grow_with_the_number_of_rounds(client, court):
    """Photos, reference prices and parties (for AN5 masking) are prefetched, not read per card."""

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    published_round(pii_lot(court), starting_price=1_600_000, increment=10_000, deposit=200_000)
    few = queries("/"), queries("/auctions/"), queries("/api/v1/auctions")
    for _ in range(5):
        published_round(pii_lot(court), starting_price=1_600_000, increment=10_000, deposit=200_000)
    assert (queries("/"), queries("/auctions/"), queries("/api/v1/auctions")) == few

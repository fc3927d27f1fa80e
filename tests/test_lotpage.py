"""The lot page facts (issue 9 item 1): watchers counted once per viewer, registrations, extensions,
round badge, status, prices, tabs and the court's contact, and the facts document it polls."""

from datetime import timedelta

import pytest
from django.urls import reverse

from auctions import watchers
from auctions.models import Auction
from lots.models import LotPageViewer, LotPageViews
from tests import factories
from tests.test_public_support import lot_for, pii_lot, published_round, set_result

pytestmark = pytest.mark.django_db

TAXES = [{"item": "契税", "rate": "3", "payer": "buyer"}, {"item": "增值税", "rate": "5.6", "payer": "each"}]
LOANS = [{"bank": "中国建设银行", "max_ltv": "70", "rate": "3.95"}]


@pytest.fixture
def auction(court):
    return published_round(lot_for(court, title="望京西园三区住宅一套"))


def page(client, auction):
    response = client.get(reverse("auction_detail", args=[auction.pk]))
    assert response.status_code == 200
    return response


def test_lot_page_shows_the_facts_and_every_tab(client, auction):
    html = page(client, auction).content.decode()
    for text in ("一拍", "正在进行", "围观", "报名人次", "延时次数", "起拍价", "参考价", "加价幅度", "保证金"):
        assert text in html, text
    for anchor in ("announcement", "description", "disclosure", "instructions", "balance", "attachments", "contact"):
        assert f'href="#tab-{anchor}"' in html and f'id="tab-{anchor}"' in html
    assert "¥80,000.00" in html and "¥10,000.00" in html and "¥1,000.00" in html
    assert reverse("auction_facts", args=[auction.pk]) in html


def test_watchers_count_distinct_viewers_not_requests(client, auction, charlie):
    page(client, auction)
    page(client, auction)  # a reload: the same browser cookie
    assert watchers.count(auction.pk) == 1
    client.force_login(charlie)
    page(client, auction)
    page(client, auction)
    assert watchers.count(auction.pk) == 2
    assert LotPageViewer.objects.filter(auction=auction).count() == 2
    assert LotPageViews.objects.get(auction=auction).viewers == 2


def test_watchers_counted_once_even_when_the_cache_forgot(auction):
    assert watchers.note_view(auction, "viewer-a") is True
    from django.core.cache import cache

    cache.clear()
    assert watchers.note_view(auction, "viewer-a") is False
    assert watchers.count(auction.pk) == 1


def test_a_forged_viewer_cookie_is_replaced(client, auction):
    client.cookies["viewer"] = "x" * 500
    response = page(client, auction)
    assert len(response.cookies["viewer"].value) == 32
    assert watchers.count(auction.pk) == 1


def test_facts_document_moves_with_registrations_and_bids(client, auction):
    url = reverse("auction_facts", args=[auction.pk])
    first = client.get(url).json()
    assert first["registration_count"] == 0 and first["bid_count"] == 0 and first["phase"] == "live"
    factories.register(auction, factories.make_bidder(), secured=True)
    factories.register(auction, factories.make_bidder(), secured=False)
    Auction.objects.filter(pk=auction.pk).update(extension_count=3, bid_count=5, current_price=factories.cny(95_000))
    moved = client.get(url).json()
    assert moved["registration_count"] == 2 and moved["extension_count"] == 3 and moved["bid_count"] == 5
    assert moved["price_text"] == "¥95,000.00" and moved["current_price"] == "95000.00"


def test_facts_of_a_hidden_or_unknown_round_are_404(client, court):
    from tests.test_public_support import unpublished_round

    hidden = unpublished_round(lot_for(court))
    assert client.get(reverse("auction_facts", args=[hidden.pk])).status_code == 404
    assert client.get("/auctions/999999/facts").status_code == 404


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (Auction.Status.SOLD, "已成交"),
        (Auction.Status.FAILED, "流拍"),
        (Auction.Status.SUSPENDED, "暂缓"),
        (Auction.Status.WITHDRAWN, "已撤回"),
    ],
)
def test_every_status_has_its_label(client, auction, status, label):
    set_result(auction, status, 90_000 if status == Auction.Status.SOLD else None)
    assert label in page(client, auction).content.decode()


def test_upcoming_and_ended_phases(client, court):
    upcoming = published_round(lot_for(court), starts_in=timedelta(days=2))
    assert "即将开始" in page(client, upcoming).content.decode()
    ended = published_round(lot_for(court), starts_in=timedelta(days=-3), duration=timedelta(days=1))
    assert client.get(reverse("auction_facts", args=[ended.pk])).json()["phase"] == "ended"


def test_second_round_and_sale_badges(client, court, auction):
    Auction.objects.filter(pk=auction.pk).update(round_no=2)
    assert "二拍" in page(client, auction).content.decode()
    Auction.objects.filter(pk=auction.pk).update(kind=Auction.Kind.SALE)
    assert "变卖" in page(client, auction).content.decode()


def test_disclosure_is_shown_on_the_lot_page(client, court):
    lot = lot_for(
        court,
        title="奥迪A6L轿车",
        taxes=TAXES,
        loan_offers=LOANS,
        leases="无租赁",
        purchase_restriction="需具备北京市小客车指标",
        vehicle_mileage_km=81234,
        vehicle_violation_count=2,
        vehicle_violations="罚款400元",
        asset_source="criminal",
    )
    html = page(client, published_round(lot)).content.decode()
    for text in (
        "契税",
        "3%",
        "买受人承担",
        "按法律规定各自承担",
        "中国建设银行",
        "70%",
        "3.95%",
        "需具备北京市小客车指标",
    ):
        assert text in html, text
    assert "81234 公里" in html and "罚款400元" in html and "刑事涉案财物" in html and "可贷款" in html


def test_disclosure_text_is_masked(client, court):
    lot = pii_lot(court)
    from tests.test_public_support import RESPONDENT, assert_no_personal_data

    type(lot).objects.filter(pk=lot.pk).update(leases=f"租给{RESPONDENT['name']}，电话{RESPONDENT['phone']}")
    assert_no_personal_data(
        page(client, published_round(lot, starting_price=1_500_000, deposit=100_000)).content.decode()
    )


def test_court_contact_and_court_page_link(client, court, auction):
    type(court).objects.filter(pk=court.pk).update(phone="010-12345678", address="北京市朝阳区某路1号")
    html = page(client, auction).content.decode()
    assert "010-12345678" in html and "北京市朝阳区某路1号" in html
    assert reverse("court_page", args=[court.code]) in html


def test_detail_api_carries_the_disclosure(client, court):
    lot = lot_for(court, taxes=TAXES, loan_offers=LOANS)
    body = client.get(f"/api/v1/auctions/{published_round(lot).pk}").json()
    assert body["disclosure"]["loans"] == [{"bank": "中国建设银行", "max_ltv": "70", "rate": "3.95"}]
    assert body["watchers"] == 0

"""Court pages and the auction calendar (issue 9 item 3): public, per court and across courts,
a month view plus a list, and clear 400 pages for absurd month or court values."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from auctions import clock
from auctions.models import Auction
from tests.test_public_support import lot_for, published_round, set_result, unpublished_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def rounds(court, other_court):
    live = published_round(lot_for(court, title="朝阳住宅"))
    upcoming = published_round(lot_for(court, title="朝阳车位"), starts_in=timedelta(days=3))
    sold = set_result(
        published_round(lot_for(court, title="朝阳轿车"), starts_in=timedelta(days=-5)), Auction.Status.SOLD, 123_000
    )
    failed = set_result(
        published_round(lot_for(court, title="朝阳设备"), starts_in=timedelta(days=-6)), Auction.Status.FAILED
    )
    elsewhere = published_round(lot_for(other_court, title="浦东商铺"), starts_in=timedelta(days=3))
    hidden = unpublished_round(lot_for(court, title="未公告标的"))
    return {
        "live": live,
        "upcoming": upcoming,
        "sold": sold,
        "failed": failed,
        "elsewhere": elsewhere,
        "hidden": hidden,
    }


def test_court_page_lists_its_auctions_and_results(client, court, rounds):
    response = client.get(reverse("court_page", args=[court.code]))
    assert response.status_code == 200
    html = response.content.decode()
    assert court.name in html and "朝阳住宅" in html and "朝阳车位" in html
    assert "朝阳轿车" in html and "¥123,000.00" in html and "朝阳设备" in html
    assert "浦东商铺" not in html and "未公告标的" not in html
    assert response.context["sold_count"] == 1 and response.context["failed_count"] == 1


def test_unknown_court_is_404(client, db):
    assert client.get("/courts/nope/").status_code == 404
    assert client.get("/courts/" + "京" * 300 + "/").status_code == 404


def test_court_list_counts(client, court, other_court, rounds):
    html = client.get(reverse("court_list")).content.decode()
    assert court.name in html and other_court.name in html
    assert reverse("court_page", args=[court.code]) in html


def month_of(auction) -> str:
    return timezone.localtime(auction.starts_at).strftime("%Y-%m")


def test_calendar_shows_rounds_across_courts_in_a_grid_and_a_list(client, rounds):
    upcoming = rounds["upcoming"]
    response = client.get(reverse("auction_calendar"), {"month": month_of(upcoming)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "朝阳车位" in html and "浦东商铺" in html and "未公告标的" not in html
    day = timezone.localtime(upcoming.starts_at).date().isoformat()
    assert f'id="day-{day}"' in html and f'href="#day-{day}"' in html


def test_calendar_filters_by_court(client, court, rounds):
    response = client.get(reverse("auction_calendar"), {"month": month_of(rounds["upcoming"]), "court": court.code})
    html = response.content.decode()
    assert "朝阳车位" in html and "浦东商铺" not in html


def test_calendar_defaults_to_this_month(client, rounds):
    response = client.get(reverse("auction_calendar"))
    assert response.status_code == 200
    assert response.context["month"] == timezone.localtime(clock.now()).date().replace(day=1)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"month": "2026-13"}, "月份格式应为 YYYY-MM"),
        ({"month": "next month"}, "月份格式应为 YYYY-MM"),
        ({"month": "1999-12"}, "月份须在2000年至2100年之间"),
        ({"month": "2101-01"}, "月份须在2000年至2100年之间"),
        ({"court": "nope"}, "没有代字为“nope”的法院"),
        ({"q": "x" * 600}, "查询条件过长"),
    ],
)
def test_calendar_refuses_absurd_values_with_a_message(client, db, params, message):
    response = client.get(reverse("auction_calendar"), params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_calendar_boundary_months_are_accepted(client, db):
    assert client.get(reverse("auction_calendar"), {"month": "2000-01"}).status_code == 200
    assert client.get(reverse("auction_calendar"), {"month": "2100-12"}).status_code == 200

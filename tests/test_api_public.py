"""Public read API: /api/v1/auctions, detail and announcement; same filters and masking as the pages."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from auctions.services import amend_announcement
from lots.models import Lot
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


@pytest.fixture
def rounds(court, other_court):
    other_court.province, other_court.region = "上海市", "上海市黄浦区"
    other_court.save()
    return {
        "live": published_round(lot_for(court, title="奥迪A6L轿车")),
        "upcoming": published_round(
            lot_for(other_court, title="黄浦区商铺一间", category=Lot.Category.REAL_ESTATE, reference=1_000_000),
            starts_in=timedelta(days=3),
            starting_price=800_000,
            increment=10_000,
            deposit=100_000,
        ),
        "sold": set_result(
            published_round(lot_for(court, title="宝马X5越野车"), starts_in=timedelta(days=-5)), "sold", 95_000
        ),
    }


def titles(response) -> list[str]:
    return [item["title"] for item in response.json()["results"]]


def test_list_returns_public_rounds_with_prices_as_decimal_strings(client, rounds):
    response = client.get("/api/v1/auctions")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and body["page"] == 1 and body["pages"] == 1
    live = next(item for item in body["results"] if item["title"] == "奥迪A6L轿车")
    assert live["phase"] == "live" and live["round_label"] == "一拍"
    assert live["starting_price"] == "80000.00" and live["reference_price"] == "100000.00"
    assert live["current_price"] is None and live["price"] == "80000.00"
    assert live["url"] == f"/auctions/{rounds['live'].pk}/"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "宝马"}, {"宝马X5越野车"}),
        ({"court": "沪0101"}, {"黄浦区商铺一间"}),
        ({"category": "real_estate"}, {"黄浦区商铺一间"}),
        ({"status": "upcoming"}, {"黄浦区商铺一间"}),
        ({"status": "sold"}, {"宝马X5越野车"}),
        ({"min_price": "90000", "max_price": "100000"}, {"宝马X5越野车"}),
        ({"region": "北京市"}, {"奥迪A6L轿车", "宝马X5越野车"}),
    ],
)
def test_list_filters_like_the_search_page(client, rounds, query, expected):
    assert set(titles(client.get("/api/v1/auctions", query))) == expected


def test_list_filters_by_start_date(client, rounds):
    start_day = timezone.localdate(rounds["upcoming"].starts_at)
    assert titles(client.get("/api/v1/auctions", {"date_from": start_day.isoformat()})) == ["黄浦区商铺一间"]
    assert "黄浦区商铺一间" not in titles(
        client.get("/api/v1/auctions", {"date_to": str(start_day - timedelta(days=1))})
    )


def test_list_paginates(client, court):
    for n in range(5):
        published_round(lot_for(court, title=f"批量{n}"))
    first = client.get("/api/v1/auctions", {"page_size": "2"}).json()
    assert first["count"] == 5 and first["pages"] == 3 and len(first["results"]) == 2
    third = client.get("/api/v1/auctions", {"page_size": "2", "page": "3"}).json()
    assert len(third["results"]) == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"min_price": "-1"}, "min_price"),
        ({"min_price": "12.345"}, "min_price"),
        ({"status": "bogus"}, "status"),
        ({"page": "0"}, "page"),
        ({"page_size": "1000"}, "page_size"),
        ({"date_from": "not-a-date"}, "date_from"),
        ({"court": "不存在"}, "court"),
    ],
)
def test_list_refuses_bad_filters_with_field_errors(client, rounds, query, field):
    response = client.get("/api/v1/auctions", query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error" and field in body["errors"]


def test_list_refuses_an_oversized_query_string(client, rounds):
    response = client.get("/api/v1/auctions?q=" + "a" * 10_240)
    assert response.status_code == 400 and response.json()["code"] == "query_too_long"


def test_detail_has_terms_dates_appraisal_and_links(client, rounds):
    auction = rounds["live"]
    response = client.get(f"/api/v1/auctions/{auction.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["increment"] == "1000.00" and body["deposit"] == "10000.00"
    assert body["appraisal"]["method"] == "online" and body["appraisal"]["value"] == "100000.00"
    assert body["registration_count"] == 0 and body["extension_count"] == 0
    assert body["announcement_url"].endswith(f"/auctions/{auction.pk}/announcement/")
    assert body["case_number"] == auction.lot.case.number


def test_detail_and_announcement_of_unpublished_or_unknown_rounds_are_404(client, court):
    draft = unpublished_round(lot_for(court))
    for url in (f"/api/v1/auctions/{draft.pk}", f"/api/v1/auctions/{draft.pk}/announcement", "/api/v1/auctions/987654"):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_announcement_has_sections_warnings_and_amendments(client, court, clerk):
    auction = published_round(lot_for(court))
    amend_announcement(auction, clerk.user, text="看样时间改为每周三。", reason="看样安排调整")
    body = client.get(f"/api/v1/auctions/{auction.pk}/announcement").json()
    assert sum(section["warning"] for section in body["sections"]) >= 5  # AN4
    assert {"property", "reference_price", "starting_price", "deposit", "taxes"} <= {s["key"] for s in body["sections"]}
    assert body["amendments"] == [
        {
            "seq": 1,
            "published_at": body["amendments"][0]["published_at"],
            "reason": "看样安排调整",
            "text": "看样时间改为每周三。",
        }
    ]


def test_an5_no_personal_data_in_any_api_response(client, court, clerk):
    auction = published_round(pii_lot(court), starting_price=1_600_000, increment=10_000, deposit=200_000)
    amend_announcement(auction, clerk.user, text=f"{RESPONDENT['name']}的电话{RESPONDENT['phone']}", reason="更正")
    for url in (
        "/api/v1/auctions",
        "/api/v1/auctions?q=幸福小区",
        f"/api/v1/auctions/{auction.pk}",
        f"/api/v1/auctions/{auction.pk}/announcement",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_personal_data(json.dumps(response.json(), ensure_ascii=False))
    parties = client.get(f"/api/v1/auctions/{auction.pk}").json()["parties"]
    respondent = next(party for party in parties if party["role"] == "respondent")
    assert respondent["name"] == "王**"


def test_openapi_schema_and_docs_load(client):
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/auctions",
        "/api/v1/auctions/{auction_id}",
        "/api/v1/auctions/{auction_id}/announcement",
        "/api/v1/court/cases",
        "/api/v1/court/lots/{lot_id}/rounds",
        "/api/v1/court/rounds/{round_id}/publish",
    ):
        assert path in paths
    assert "requestBody" in paths["/api/v1/court/lots/{lot_id}/rounds"]["post"]
    assert client.get("/api/docs").status_code == 200

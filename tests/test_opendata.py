"""Open data (issue 9 item 6): announcements and results as streamed JSON and CSV, AN5-masked,
filtered by date range and court; bad filters are a 400 that names the field."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from auctions import clock
from auctions.models import Auction
from bidding.models import Bid
from tests import factories
from tests.test_public_support import (
    assert_no_personal_data,
    lot_for,
    pii_lot,
    published_round,
    set_result,
    unpublished_round,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/open-data/"


def body(response) -> str:
    assert response.status_code == 200, response.content if not response.streaming else ""
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def data(court, other_court):
    pii = published_round(pii_lot(court), starting_price=1_500_000, deposit=100_000, starts_in=timedelta(days=-4))
    sold = set_result(pii, Auction.Status.SOLD, 1_600_000)
    winner = factories.register(sold, factories.make_bidder(), secured=True)
    bid = Bid.objects.create(
        auction=sold,
        registration=winner,
        amount=factories.cny(1_600_000),
        seq=1,
        received_at=clock.now(),
        prev_hash="0" * 64,
        hash="1" * 64,
    )
    Auction.objects.filter(pk=sold.pk).update(leading_bid=bid, bid_count=1)
    failed = set_result(
        published_round(lot_for(other_court, title="浦东商铺"), starts_in=timedelta(days=-4)), Auction.Status.FAILED
    )
    live = published_round(lot_for(court, title="朝阳车位"))
    hidden = unpublished_round(lot_for(court, title="未公告标的"))
    return {"sold": sold, "failed": failed, "live": live, "hidden": hidden, "winner": winner}


def test_announcements_json_lists_public_rounds_masked(client, data):
    text = body(client.get(BASE + "announcements.json"))
    document = json.loads(text)
    titles = {row["title"] for row in document["results"]}
    assert titles == {"朝阳区幸福小区住宅一套", "浦东商铺", "朝阳车位"}
    assert_no_personal_data(text)
    row = next(row for row in document["results"] if row["title"] == "朝阳车位")
    assert row["starting_price"] == "80000.00" and row["deposit"] == "10000.00" and row["round_label"] == "一拍"


def test_results_csv_has_the_winner_code_only(client, data):
    text = body(client.get(BASE + "results.csv"))
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {row["status"] for row in rows} == {"sold", "failed"}
    sold = next(row for row in rows if row["status"] == "sold")
    assert sold["final_price"] == "1600000.00" and sold["registration_count"] == "1"
    assert sold["winner_code"] == data["winner"].code
    assert_no_personal_data(text)
    assert "艾丽丝" not in text and "张三" not in text  # bidders' real names never


def test_filter_by_court_and_dates(client, court, data):
    document = json.loads(body(client.get(BASE + "results.json", {"court": court.code})))
    assert [row["court_code"] for row in document["results"]] == [court.code]
    assert document["filters"]["court"] == court.code
    today = timezone.localtime(clock.now()).date()
    later = (today + timedelta(days=400)).isoformat()
    assert json.loads(body(client.get(BASE + "announcements.json", {"from": later})))["results"] == []
    published = timezone.localtime(data["live"].announcement.published_at).date().isoformat()
    same_day = json.loads(body(client.get(BASE + "announcements.json", {"from": published, "to": published})))
    assert "朝阳车位" in {row["title"] for row in same_day["results"]}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"from": "1999-12-31"}, "from"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "to"),
        ({"court": "nope"}, "court"),
        ({"court": "x" * 50}, "court"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(client, db, params, field):
    for dataset in ("announcements.json", "results.csv"):
        response = client.get(BASE + dataset, params)
        assert response.status_code == 400
        assert response.json()["code"] == "validation_error" and field in response.json()["errors"]


def test_unknown_parameter_and_oversized_query(client, db):
    response = client.get(BASE + "results.json", {"since": "2026-01-01"})
    assert response.status_code == 400 and "since" in response.json()["message"]
    response = client.get(BASE + "results.json", {"court": "x" * 600})
    assert response.status_code == 400 and response.json()["code"] == "query_too_long"


def test_downloads_are_attachments_and_documented(client, db):
    response = client.get(BASE + "announcements.csv")
    assert response["Content-Disposition"].startswith('attachment; filename="announcements-')
    schema = client.get("/api/openapi.json").json()
    assert "/api/v1/open-data/results.json" in schema["paths"]
    assert client.get("/open-data/").status_code == 200

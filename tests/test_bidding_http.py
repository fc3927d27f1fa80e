"""The HTTP side of bidding: the bid fallback (same service and error frames as the socket, with
HTTP statuses), the snapshot, and the public hash-chained bid record (BI4, BD3).

Personas: alice (registered, deposit secured), dave (the same), bob (registered, no deposit),
charlie (outsider), anonymous visitors."""

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from auctions.models import Auction
from bidding import bidlog
from bidding.models import Bid
from tests.test_bidding_support import (
    bidder,
)


@pytest.fixture
def auction(live_auction):
    return live_auction  # alice (deposit secured) and bob (none) are registered by their fixtures


def client_for(user=None, *, csrf=False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


def post_bid(client: Client, auction_id: int, body) -> tuple[int, dict]:
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post(f"/auctions/{auction_id}/bids", data=data, content_type="application/json")
    return response.status_code, response.json()


def test_bid_over_http_is_acknowledged_like_on_the_socket(auction, alice):
    status, ack = post_bid(client_for(alice), auction.pk, {"type": "bid", "amount": "80000.00", "client_bid_id": "h1"})
    assert status == 200
    assert ack["type"] == "ack" and ack["client_bid_id"] == "h1" and ack["bid"]["amount"] == "80000.00"
    assert Bid.objects.get(auction=auction).client_bid_id == "h1"


@pytest.mark.parametrize(
    ("persona", "body", "status", "code"),
    [
        ("alice", "{broken", 400, "bad_message"),
        ("alice", {"type": "ping"}, 400, "bad_message"),
        ("alice", {"type": "bid", "amount": "-1"}, 400, "invalid_amount"),
        (None, {"type": "bid", "amount": "80000"}, 401, "not_authenticated"),
        ("charlie", {"type": "bid", "amount": "80000"}, 403, "not_registered"),
        ("bob", {"type": "bid", "amount": "80000"}, 403, "deposit_missing"),
        ("alice", {"type": "bid", "amount": "79000"}, 409, "too_low"),
        ("alice", {"type": "bid", "amount": "80500"}, 409, "not_a_multiple"),
    ],
)
def test_refused_bids_get_the_socket_error_frame_and_an_http_status(request, auction, persona, body, status, code):
    user = request.getfixturevalue(persona) if persona else None
    got_status, error = post_bid(client_for(user), auction.pk, body)
    assert (got_status, error["type"], error["code"]) == (status, "error", code)
    assert set(error) == {"type", "code", "message", "rule", "client_bid_id", "data"}
    assert not Bid.objects.exists()


def test_bids_on_a_closed_round_are_a_conflict(auction, alice):
    Auction.objects.filter(pk=auction.pk).update(ends_at=auction.starts_at + timedelta(minutes=1))
    assert post_bid(client_for(alice), auction.pk, {"type": "bid", "amount": "80000"})[0] == 409


def test_unknown_round_is_404(alice):
    status, error = post_bid(client_for(alice), 424242, {"type": "bid", "amount": "80000"})
    assert (status, error["code"]) == (404, "not_found")


def test_flooding_over_http_is_429(auction, alice, monkeypatch):
    monkeypatch.setattr("bidding.ratelimit.wall_time", lambda: 3_000_000.5)
    client = client_for(alice)
    statuses = [post_bid(client, auction.pk, {"type": "bid", "amount": "-1"})[0] for _ in range(7)]
    assert statuses == [400] * 5 + [429] * 2


def test_the_bid_endpoint_is_csrf_protected(auction, alice):
    client = client_for(alice, csrf=True)
    body = '{"type":"bid","amount":"80000"}'
    url = f"/auctions/{auction.pk}/bids"
    assert client.post(url, data=body, content_type="application/json").status_code == 403
    client.get("/accounts/login/")  # a page with a form sets the CSRF cookie the page script sends back
    token = client.cookies["csrftoken"].value
    response = client.post(url, data=body, content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert Bid.objects.filter(auction=auction).count() == 1


def test_get_is_not_a_bid(auction, alice):
    assert client_for(alice).get(f"/auctions/{auction.pk}/bids").status_code == 405


def test_snapshot_over_http(auction, alice):
    client_for(alice).post(
        f"/auctions/{auction.pk}/bids", data='{"type":"bid","amount":"80000"}', content_type="application/json"
    )
    public = client_for().get(f"/auctions/{auction.pk}/snapshot").json()
    mine = client_for(alice).get(f"/auctions/{auction.pk}/snapshot").json()
    assert public["type"] == "snapshot" and public["me"] is None and public["auction"]["bid_count"] == 1
    assert mine["me"]["leading"] is True


def test_snapshot_of_an_unpublished_round_is_404(auction):
    Auction.objects.filter(pk=auction.pk).update(status=Auction.Status.DRAFT)
    assert client_for().get(f"/auctions/{auction.pk}/snapshot").status_code == 404
    assert client_for().get(f"/auctions/{auction.pk}/bids.json").status_code == 404


def test_bi4_bd3_public_bid_record_lists_codes_and_hashes_in_pages(auction, alice, monkeypatch):
    dave = bidder(auction, "dave")
    for n in range(5):
        user = (alice, dave)[n % 2]
        client_for(user).post(
            f"/auctions/{auction.pk}/bids",
            data=json.dumps({"type": "bid", "amount": str(80000 + n * 1000)}),
            content_type="application/json",
        )
    monkeypatch.setattr("bidding.views.RECORD_PAGE", 2)
    anonymous, pages, url = client_for(), [], f"/auctions/{auction.pk}/bids.json"
    while url:
        page = anonymous.get(url).json()
        pages.append(page)
        url = page["next"]
    rows = [row for page in pages for row in page["bids"]]
    assert [len(page["bids"]) for page in pages] == [2, 2, 1]
    assert [row["seq"] for row in rows] == [1, 2, 3, 4, 5]
    assert set(rows[0]) == {"seq", "code", "amount", "received_at", "prev_hash", "hash"}
    assert "alice" not in json.dumps(pages) and "艾丽丝" not in json.dumps(pages, ensure_ascii=False)
    # Anyone can recompute the chain from the public record alone (docs/websocket.md).
    head = pages[0]["genesis_hash"]
    for row in rows:
        received = datetime.fromisoformat(row["received_at"])
        assert row["prev_hash"] == head
        assert (
            bidlog.bid_hash(auction.pk, row["seq"], row["code"], Decimal(row["amount"]), received, head) == row["hash"]
        )
        head = row["hash"]
    assert head == pages[-1]["head"]


def test_bid_record_rejects_a_bad_cursor(auction):
    assert client_for().get(f"/auctions/{auction.pk}/bids.json?after=x").status_code == 400

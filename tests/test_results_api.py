"""Court API for results: the cursor-paginated results and disposal-step feeds (stable order,
opaque cursor, bad cursor 422), the masked confirmation, the delivery record, webhook endpoints."""

import time
from datetime import timedelta

import pytest
from django.core import signing

from auctions import clock, rules
from lots import services
from lots.models import DisposalRecord
from notices import court_feed
from notices.models import WebhookEndpoint
from tests import factories
from tests.results_support import buyer_with_deposit, close_round, pay_balance
from tests.test_api_court import Api

K = DisposalRecord.Kind


@pytest.fixture
def api(client, court, clerk):
    _token, plaintext = services.issue_api_token(court, clerk.user, "执行办案系统")
    return Api(client, plaintext)


@pytest.fixture
def api_b(client, other_court, clerk_b):
    _token, plaintext = services.issue_api_token(other_court, clerk_b.user, "上海系统")
    return Api(client, plaintext)


def settled():
    """Past the feed's settling delay, so steps just written are listed."""
    return clock.travel(court_feed.SETTLE + timedelta(seconds=1))


@pytest.fixture
def three_closed(case):
    """Three rounds of the court closed in order: sold, failed, sold."""
    closed = []
    for n, price in enumerate((90_000, None, 120_000)):
        auction = factories.make_auction(factories.make_lot(case))
        if price is None:
            closed.append(close_round(auction))
        else:
            user, registration = buyer_with_deposit(auction, f"buyer{n}", "钱七")
            closed.append(close_round(auction, registration, price))
    return closed


def test_results_feed_pages_in_a_stable_order_with_an_opaque_cursor(api, three_closed):
    with settled():
        first = api.get("/results?limit=2").json()
        assert [item["auction_id"] for item in first["items"]] == [a.pk for a in three_closed[:2]]
        assert first["has_more"] is True and str(three_closed[0].pk) not in first["next_cursor"].split(":")[0]
        sold, failed = first["items"]
        assert (sold["result"], sold["price"], sold["bidder_code"]) == ("sold", "90000.00", "A0001")
        assert sold["confirmation_number"] == three_closed[0].confirmation.number
        assert (failed["result"], failed["price"], failed["bidder_code"]) == ("failed", None, None)
        second = api.get(f"/results?limit=2&cursor={first['next_cursor']}").json()
        assert [item["auction_id"] for item in second["items"]] == [three_closed[2].pk]
        assert second["has_more"] is False
        # Nothing new: the same position comes back, to poll from.
        empty = api.get(f"/results?cursor={second['next_cursor']}").json()
        assert empty["items"] == [] and empty["next_cursor"] == second["next_cursor"]
        assert api.get("/results?limit=2").json() == first  # the same pages again


def test_a_position_has_one_cursor_whenever_it_is_asked_for(court, monkeypatch):
    first = court_feed.encode_cursor("results", court, 4)
    monkeypatch.setattr(signing.time, "time", lambda: time.time() + 3600)
    assert court_feed.encode_cursor("results", court, 4) == first
    assert court_feed.decode_cursor("results", court, first) == 4


def test_results_feed_waits_for_steps_to_settle(api, three_closed):
    assert api.get("/results").json()["items"] == []  # just written: a slower transaction may still commit
    with settled():
        assert len(api.get("/results").json()["items"]) == 3


@pytest.mark.parametrize("cursor", ["garbage", "eyJhIjoxfQ:1:bad", "%00", "a" * 300])
def test_bad_cursor_is_a_422(api, three_closed, cursor):
    response = api.get(f"/results?cursor={cursor}")
    assert response.status_code == 422
    assert response.json()["errors"]["cursor"][0]["code"] == "invalid_cursor"


def test_cursor_of_another_court_or_feed_is_a_422(api, api_b, three_closed):
    with settled():
        cursor = api.get("/results?limit=1").json()["next_cursor"]
        assert api_b.get(f"/results?cursor={cursor}").status_code == 422
        assert api.get(f"/disposal-records?cursor={cursor}").status_code == 422
        assert api.get(f"/results?cursor={cursor}").status_code == 200


@pytest.mark.parametrize("limit", ["0", "201", "-1", "abc"])
def test_bad_limit_is_a_422(api, limit):
    assert api.get(f"/results?limit={limit}").status_code == 422


def test_feeds_hold_only_the_courts_own_steps(api, api_b, three_closed):
    with settled():
        assert api_b.get("/results").json()["items"] == []
        assert api_b.get("/disposal-records").json()["items"] == []
        steps = api.get("/disposal-records?limit=200").json()["items"]
    ids = [step["id"] for step in steps]
    assert ids == sorted(ids) and len(ids) == DisposalRecord.objects.count()
    kinds = {step["kind"] for step in steps}
    assert {K.ROUND_SOLD, K.ROUND_FAILED, K.CONFIRMATION_ISSUED, K.DEPOSIT_APPLIED} <= kinds


def test_steps_feed_filters_by_case(api, three_closed, court):
    other_case = factories.make_case(court)
    factories.make_auction(factories.make_lot(other_case))
    close_round(other_case.lots.get().auctions.get())
    with settled():
        steps = api.get(f"/disposal-records?case={other_case.pk}").json()["items"]
    assert steps and {step["case_number"] for step in steps} == {other_case.number}


def test_feeds_need_a_token(client):
    assert client.get("/api/v1/court/results").status_code == 401
    assert client.get("/api/v1/court/disposal-records").status_code == 401


# --- Confirmation and delivery -------------------------------------------------------------------------
@pytest.fixture
def sold(live_auction):
    user, registration = buyer_with_deposit(live_auction, "buyer_sun", "孙八")
    return close_round(live_auction, registration, 95_000), user


def test_confirmation_comes_back_masked(api, api_b, sold):
    auction, user = sold
    response = api.get(f"/rounds/{auction.pk}/confirmation")
    body = response.json()
    assert response.status_code == 200
    assert (body["price"], body["balance"], body["bidder_code"]) == ("95000.00", "85000.00", "A0001")
    assert body["buyer_name_masked"] == "孙*" and body["buyer_id_number_masked"] == user.bidder.id_number_masked
    assert user.bidder.id_number not in response.content.decode() and "孙八" not in response.content.decode()
    assert api_b.get(f"/rounds/{auction.pk}/confirmation").status_code == 404


def test_st3_delivery_through_the_api_only_after_full_payment(api, api_b, sold, clerk):
    auction, user = sold
    today = rules.court_date(clock.now()).isoformat()  # the court's calendar day, not UTC's
    refused = api.post(f"/rounds/{auction.pk}/delivery", {"delivered_on": today})
    assert refused.status_code == 422 and refused.json()["errors"]["__all__"][0]["code"] == "balance_unpaid"
    assert refused.json()["errors"]["__all__"][0]["rule"] == "ST3"
    pay_balance(auction, user)
    assert api_b.post(f"/rounds/{auction.pk}/delivery", {"delivered_on": today}).status_code == 404
    future = (rules.court_date(clock.now()) + timedelta(days=1)).isoformat()
    assert api.post(f"/rounds/{auction.pk}/delivery", {"delivered_on": future}).json()["errors"]["delivered_on"]
    assert api.post(f"/rounds/{auction.pk}/delivery", {"delivered_on": "yesterday"}).status_code == 422
    assert api.post(f"/rounds/{auction.pk}/delivery", {"delivered_on": today, "extra": 1}).status_code == 422
    assert api.post(f"/rounds/{auction.pk}/delivery", raw=b"{not json").status_code == 400
    done = api.post(f"/rounds/{auction.pk}/delivery", {"delivered_on": today, "note": "钥匙已交付"})
    assert done.status_code == 201
    step = done.json()
    assert (step["kind"], step["actor"], step["amount"]) == (K.PROPERTY_DELIVERED, clerk.name, "95000.00")
    assert step["detail"]["note"] == "钥匙已交付"
    again = api.post(f"/rounds/{auction.pk}/delivery", {"delivered_on": today})
    assert again.json()["errors"]["__all__"][0]["code"] == "already_delivered"
    assert DisposalRecord.objects.filter(kind=K.PROPERTY_DELIVERED).count() == 1


# --- Webhook endpoints ------------------------------------------------------------------------------
def test_webhook_endpoint_secret_is_returned_once(api, api_b):
    created = api.post("/webhooks", {"url": "https://court.example/hooks", "description": "执行系统"})
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["active"] is True
    listed = api.get("/webhooks").json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    assert body["secret"] not in api.get("/webhooks").content.decode()
    assert api_b.get("/webhooks").json() == []
    assert api_b.post(f"/webhooks/{body['id']}/disable").status_code == 404
    disabled = api.post(f"/webhooks/{body['id']}/disable")
    assert disabled.status_code == 200 and disabled.json()["active"] is False


@pytest.mark.parametrize("body", [{"url": "ftp://x"}, {"url": 5}, {}, {"url": "https://a.example", "x": 1}])
def test_webhook_endpoint_bad_input_is_a_422(api, body):
    assert api.post("/webhooks", body).status_code == 422
    assert not WebhookEndpoint.objects.exists()


def test_webhook_endpoint_refuses_an_idempotency_key(api):
    response = api.post("/webhooks", {"url": "https://court.example/hooks"}, **{"Idempotency-Key": "k1"})
    assert response.status_code == 400 and not WebhookEndpoint.objects.exists()

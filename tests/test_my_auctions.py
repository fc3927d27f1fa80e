"""My auctions (issue 9 item 4): registered rounds by standing (leading, outbid, won, lost) with
their deposits and the balance owed, the watched rounds (reminders, pages viewed), and the JSON
the page polls so price and standing change without a reload."""

import pytest
from django.urls import reverse

from auctions import clock
from auctions.models import Auction
from bidding import services as bidding
from payments.models import Settlement
from tests import factories
from tests.test_public_support import lot_for, published_round

pytestmark = pytest.mark.django_db


def live_rows(client) -> dict[int, dict]:
    response = client.get(reverse("my_auctions_live"))
    assert response.status_code == 200
    return {row["id"]: row for row in response.json()["rows"]}


def test_anonymous_is_sent_to_login(client, db):
    assert client.get(reverse("my_auctions")).status_code == 302
    assert client.get(reverse("my_auctions_live")).status_code == 302


def test_leading_then_outbid_shows_in_the_live_document(client, live_auction, alice, charlie):
    factories.register(live_auction, charlie, secured=True)
    client.force_login(alice)
    bidding.check_place_bid(alice, live_auction.pk, "80000")
    row = live_rows(client)[live_auction.pk]
    assert row["standing"] == "leading" and row["price_text"] == "¥80,000.00" and row["my_bid_count"] == 1
    bidding.check_place_bid(charlie, live_auction.pk, "81000")
    row = live_rows(client)[live_auction.pk]
    assert row["standing"] == "outbid" and row["price_text"] == "¥81,000.00" and row["bid_count"] == 2


def test_page_groups_bidding_won_and_lost_with_deposit_and_balance_owed(client, court, alice):
    won = published_round(lot_for(court, title="竞得的轿车"))
    lost = published_round(lot_for(court, title="未竞得的住宅"))
    for auction in (won, lost):
        factories.register(auction, alice, secured=True)
    other = factories.make_bidder()
    factories.register(lost, other, secured=True)
    bidding.check_place_bid(alice, won.pk, "80000")
    bidding.check_place_bid(other, lost.pk, "80000")
    Auction.objects.filter(pk__in=[won.pk, lost.pk]).update(status=Auction.Status.SOLD)
    winner = won.registrations.get(user=alice)
    Settlement.objects.create(
        auction=won,
        winner=winner,
        price=factories.cny(80_000),
        deposit_applied=factories.cny(10_000),
        balance=factories.cny(70_000),
        balance_due_at=clock.now(),
        release_deadline=clock.now(),
        status=Settlement.Status.AWAITING_BALANCE,
        created_at=clock.now(),
    )
    client.force_login(alice)
    response = client.get(reverse("my_auctions"))
    groups = response.context["groups"]
    assert [row["auction"].pk for row in groups["won"]] == [won.pk]
    assert [row["auction"].pk for row in groups["lost"]] == [lost.pk]
    assert response.context["owed_total"] == 70_000
    html = response.content.decode()
    assert "¥70,000.00" in html and "待付尾款" in html and "已冻结" in html
    totals = client.get(reverse("my_auctions_live")).json()["totals"]
    assert totals["owed_total_text"] == "¥70,000.00" and totals["held_total_text"] == "¥30,000.00"
    assert (totals["bidding_count"], totals["won_count"], totals["lost_count"]) == (
        1,
        1,
        1,
    )  # alice is also registered on the live_auction fixture


def test_watched_lists_viewed_and_reminded_rounds_not_registered_ones(client, court, alice, live_auction):
    viewed = published_round(lot_for(court, title="看过的车位"))
    client.force_login(alice)
    client.get(reverse("auction_detail", args=[viewed.pk]))
    client.get(reverse("auction_detail", args=[live_auction.pk]))  # registered: not under "watched"
    reminded = published_round(lot_for(court, title="设了提醒的商铺"))
    from notices.models import ReminderSubscription

    ReminderSubscription.objects.create(user=alice, auction=reminded, created_at=clock.now())
    watched = {card.id for card in client.get(reverse("my_auctions")).context["watched"]}
    assert watched == {viewed.pk, reminded.pk}


def test_another_bidders_rows_never_show(client, live_auction, alice, bob):
    client.force_login(bob)
    bidding_rows = live_rows(client)
    assert set(bidding_rows) == {live_auction.pk}
    assert bidding_rows[live_auction.pk]["standing"] == "none"
    client.force_login(factories.make_bidder())
    assert live_rows(client) == {}

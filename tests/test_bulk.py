"""The bid writer's bulk inserts (bidding/bulk.py): COPY on PostgreSQL, multi-row INSERT … RETURNING
on SQLite; both must store exactly what the ORM would and hand back the keys."""

from datetime import timedelta

import pytest
from django.utils.translation import gettext_lazy

from auctions import clock
from auctions.models import Auction, AuctionEvent
from bidding import bulk
from tests import factories

pytestmark = pytest.mark.django_db


def test_rows_are_stored_as_the_orm_stores_them_and_get_their_keys(lot):
    auction = factories.make_auction(lot)
    at = clock.now()
    payloads = [
        {"code": "甲0001", "amount": "81000.00", "note": 'quote " backslash \\ tab \t newline \n'},
        {"nested": {"list": [1, 2.5, None, True]}, "empty": ""},
    ]
    rows = [
        AuctionEvent(
            auction_id=auction.pk, seq=seq, kind="bid", payload=payload, created_at=at + timedelta(seconds=seq)
        )
        for seq, payload in enumerate(payloads, start=1)
    ]
    bulk.insert(rows)
    assert all(row.pk is not None and not row._state.adding for row in rows)
    stored = {event.pk: event for event in AuctionEvent.objects.filter(auction=auction)}
    assert sorted(stored) == sorted(row.pk for row in rows)
    for row in rows:
        assert (stored[row.pk].seq, stored[row.pk].payload, stored[row.pk].created_at) == (
            row.seq,
            row.payload,
            row.created_at,
        )
    later = AuctionEvent.objects.create(auction=auction, seq=3, kind="bid", payload={}, created_at=at)
    assert later.pk > max(row.pk for row in rows)  # the table's own sequence moved past the copied keys


def test_a_value_that_is_not_plain_is_prepared_by_its_field(lot):
    auction = factories.make_auction(lot)
    lazy = AuctionEvent(auction_id=auction.pk, seq=2, kind=gettext_lazy("bid"), payload={}, created_at=clock.now())
    boolean = AuctionEvent(auction_id=auction.pk, seq=True, kind="bid", payload={}, created_at=clock.now())
    bulk.insert([lazy, boolean])  # as they are, a lazy string cannot be sent and True is no integer
    assert AuctionEvent.objects.get(pk=lazy.pk).kind == "bid"
    assert AuctionEvent.objects.get(pk=boolean.pk).seq == 1


def test_rows_beyond_one_statement_go_in_several_and_keep_their_keys(lot, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(type(connection.ops), "bulk_batch_size", lambda self, fields, objs: 2)
    auction = factories.make_auction(lot)
    rows = [
        AuctionEvent(auction_id=auction.pk, seq=seq, kind="bid", payload={"n": seq}, created_at=clock.now())
        for seq in range(1, 6)
    ]
    bulk.insert(rows)
    stored = dict(AuctionEvent.objects.filter(auction=auction).values_list("pk", "payload"))
    assert [stored[row.pk] for row in rows] == [{"n": seq} for seq in range(1, 6)]


def test_nothing_to_insert_is_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        bulk.insert([])


def test_saved_fields_are_stored_and_auto_now_takes_the_batch_time(lot):
    first, second = factories.make_auction(lot), factories.make_auction(factories.make_lot(lot.case))
    before = max(first.updated_at, second.updated_at)
    first.bid_count, second.bid_count = 7, 9
    bulk.save_fields([first, second], ["bid_count", "updated_at"])
    stored = {a.pk: a for a in Auction.objects.filter(pk__in=[first.pk, second.pk])}
    assert (stored[first.pk].bid_count, stored[second.pk].bid_count) == (7, 9)
    assert stored[first.pk].updated_at == stored[second.pk].updated_at == first.updated_at > before

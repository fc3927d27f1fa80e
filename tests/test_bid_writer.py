"""Bids decided in batches (`bidding.services.place_bids`, run by the process's bid writer in
bidding/writer.py), HTTP bids through the ASGI application's synchronous bid path
(bidding/http_bids.py), the batched rate limits, and the bid latency metrics (issue 8 item 7).

A batch must decide every bid as `check_place_bid` would decide it alone right after the bids
before it (PR4, BD1, BD3, BI2, idempotency), with gap-free seqs and an intact bid log (BI4).

Personas: alice and dave (registered, deposit secured), bob (registered, no deposit), charlie
(outsider)."""

import asyncio
import json
import threading
from datetime import timedelta

import pytest
from channels.testing import HttpCommunicator
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.test import Client
from django.test.utils import override_settings

from auctions.models import AuctionEvent
from bidding import bidlog, services, writer
from bidding.errors import BidError
from bidding.models import Bid
from bidding.protocol import to_millis
from bidding.ratelimit import check_bid_rates
from tests.test_bidding_support import run_async

TIMEOUT = 5


@pytest.fixture
def auction(live_auction):
    return live_auction  # ¥80,000 start, ¥1,000 steps, live, ends in 24 h


def request(user, amount, client_bid_id="", at=None):
    return services.BidRequest(user, amount, client_bid_id, at)


def codes(outcomes) -> list[str]:
    return ["ack" if isinstance(o, services.BidResult) else o.code for o in outcomes]


# --- One batch ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_pr4_a_batch_decides_in_receive_order_as_single_bids_would(auction, alice, dave, bob, charlie):
    start = auction.starts_at + timedelta(hours=1)
    at = [start + timedelta(milliseconds=i) for i in range(7)]
    outcomes = services.place_bids(
        auction.pk,
        [
            request(alice, "80000", "a1", at[0]),  # first bid at the start price: accepted
            request(dave, "80000", "d1", at[1]),  # equal to the current price: too low (PR4)
            request(dave, "81000", "d2", at[2]),  # one increment up: accepted
            request(bob, "82000", "b1", at[3]),  # no deposit (BD1)
            request(charlie, "82000", "c1", at[4]),  # not registered (BD3)
            request(dave, "82000", "d3", at[5]),  # already leading
            request(alice, "82500", "a2", at[6]),  # not a multiple of the increment (PR4)
        ],
    )
    assert codes(outcomes) == [
        "ack",
        "too_low",
        "ack",
        "deposit_missing",
        "not_registered",
        "already_leading",
        "not_a_multiple",
    ]
    assert [o.bid_seq for o in outcomes if isinstance(o, services.BidResult)] == [1, 2]
    auction.refresh_from_db()
    assert (auction.bid_count, auction.current_price.amount, auction.leading_bid.registration.user) == (2, 81000, dave)
    events = list(AuctionEvent.objects.filter(auction=auction).order_by("seq").values_list("seq", "kind"))
    assert events == [(1, "bid"), (2, "bid")]  # gap-free, one per accepted bid
    assert [o.seq for o in outcomes if isinstance(o, services.BidResult)] == [1, 2]
    assert bidlog.verify_round(auction) == []  # BI4: the hash chain holds


@pytest.mark.django_db
def test_bi2_a_batch_is_ordered_by_receive_time_not_by_arrival_in_the_list(auction, alice, dave):
    start = auction.starts_at + timedelta(hours=1)
    outcomes = services.place_bids(
        auction.pk,
        [request(dave, "81000", "", start + timedelta(milliseconds=5)), request(alice, "80000", "", start)],
    )
    assert codes(outcomes) == ["ack", "ack"]  # alice's earlier bid first, then dave's above it
    assert list(Bid.objects.order_by("seq").values_list("registration__user__username", flat=True)) == ["alice", "dave"]


@pytest.mark.django_db
def test_bi2_bids_received_in_one_millisecond_are_decided_lowest_first(auction, alice, dave):
    start = auction.starts_at + timedelta(hours=1)
    same_ms = start + timedelta(microseconds=900)
    outcomes = services.place_bids(
        auction.pk,
        [
            request(dave, "81000", "", same_ms),  # read first, but of the same millisecond
            request(alice, "80000", "", start),
            request(alice, "81000", "", start + timedelta(milliseconds=1)),  # a millisecond later: after dave's
        ],
    )
    assert codes(outcomes) == ["ack", "ack", "too_low"]
    assert list(Bid.objects.order_by("seq").values_list("registration__user__username", "amount")) == [
        ("alice", 80000),
        ("dave", 81000),
    ]


@pytest.mark.django_db
def test_a_repeated_client_bid_id_in_one_batch_gets_the_first_result(auction, alice):
    at = auction.starts_at + timedelta(hours=1)
    first, again = services.place_bids(auction.pk, [request(alice, "80000", "x", at), request(alice, "90000", "x", at)])
    assert (first.duplicate, again.duplicate) == (False, True)
    assert (again.bid_seq, again.amount, again.seq) == (first.bid_seq, first.amount, first.seq)
    assert Bid.objects.count() == 1


@pytest.mark.django_db
def test_bi2_a_batch_bid_in_the_last_five_minutes_extends_the_round(auction, alice, dave):
    end = auction.ends_at
    outcomes = services.place_bids(
        auction.pk,
        [
            request(alice, "80000", "", end - timedelta(minutes=2)),
            request(dave, "81000", "", end - timedelta(minutes=1)),
        ],
    )
    assert codes(outcomes) == ["ack", "ack"]
    auction.refresh_from_db()
    assert auction.ends_at == to_millis(end - timedelta(minutes=1)) + timedelta(minutes=5)
    assert auction.extension_count == 2


@pytest.mark.django_db
def test_anonymous_bids_in_a_batch_are_refused_and_nothing_is_written(auction):
    outcomes = services.place_bids(auction.pk, [request(AnonymousUser(), "80000", "", auction.starts_at)])
    assert codes(outcomes) == ["not_authenticated"]
    assert not Bid.objects.exists()


# --- The writer thread -------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_bids_handed_to_the_writer_at_once_are_all_answered_after_commit(auction, alice, dave):
    at = auction.starts_at + timedelta(hours=1)
    amounts = [80000 + 1000 * i for i in range(12)]
    futures = [
        writer.submit(alice if i % 2 == 0 else dave, auction.pk, str(amount), f"w{i}", at + timedelta(milliseconds=i))
        for i, amount in enumerate(amounts)
    ]
    outcomes = []
    for future in futures:
        try:
            outcomes.append(future.result(timeout=TIMEOUT))
        except BidError as error:
            outcomes.append(error)
    acked = [o for o in outcomes if isinstance(o, services.BidResult)]
    assert acked and all(isinstance(o, services.BidResult | BidError) for o in outcomes)
    # Every acknowledged bid is stored (ack after commit), with gap-free seqs.
    stored = list(Bid.objects.filter(auction=auction).order_by("seq").values_list("seq", "client_bid_id"))
    assert [seq for seq, _ in stored] == list(range(1, len(acked) + 1))
    assert {cid for _, cid in stored} == {o.client_bid_id for o in acked}
    seqs = list(AuctionEvent.objects.filter(auction=auction).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


# --- Rate limits in one round trip ------------------------------------------------------------
@pytest.mark.django_db
@override_settings(BID_RATE_LIMITS=((1, 3), (60, 100)))
def test_batched_rate_limits_count_each_attempt_like_single_checks(alice, dave, monkeypatch):
    monkeypatch.setattr("bidding.ratelimit.wall_time", lambda: 4_000_000.25)
    refusals = check_bid_rates([alice.pk] * 4 + [dave.pk, None])
    assert [r.code if r else None for r in refusals] == [None, None, None, "rate_limited", None, None]
    assert float(refusals[3].data["retry_after"]) == pytest.approx(0.8, abs=0.05)


@pytest.mark.services
@pytest.mark.django_db
@override_settings(BID_RATE_LIMITS=((1, 3), (60, 100)))
def test_batched_rate_limits_in_redis_expire_and_survive_a_flushed_script_cache(alice, monkeypatch):
    """The counting script gives each new key its window's lifetime, and redis-py loads it again
    when the server has lost it (a restart, SCRIPT FLUSH): the next batch still counts."""
    from bidding.ratelimit import _redis_client

    monkeypatch.setattr("bidding.ratelimit.wall_time", lambda: 5_000_000.25)
    check_bid_rates([alice.pk, alice.pk])
    client = _redis_client()
    second, minute = (cache.make_key(f"bidrate:{alice.pk}:{w}:{5_000_000 // w}") for w in (1, 60))
    assert [int(client.get(second)), int(client.get(minute))] == [2, 2]
    assert 0 < client.ttl(second) <= 2 and 60 < client.ttl(minute) <= 61
    client.script_flush()
    refusals = check_bid_rates([alice.pk, alice.pk])
    assert [r.code if r else None for r in refusals] == [None, "rate_limited"]


# --- HTTP bids through the ASGI application ----------------------------------------------------
def _signed_in_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={'k' * 32}"
    return [
        (b"cookie", cookie.encode()),
        (b"host", b"127.0.0.1"),
        (b"content-type", b"application/json"),
        (b"x-csrftoken", b"k" * 32),
    ]


def _post(path: str, body: dict, headers) -> tuple[int, dict, dict]:
    from config.asgi import application

    async def scenario():
        communicator = HttpCommunicator(application, "POST", path, body=json.dumps(body).encode(), headers=headers)
        return await communicator.get_response(timeout=TIMEOUT)

    response = run_async(scenario)
    return response["status"], json.loads(response["body"] or b"null"), dict(response["headers"])


@pytest.mark.django_db(transaction=True)
def test_http_bid_through_the_asgi_application_is_acknowledged_after_commit(auction, alice):
    status, ack, headers = _post(
        f"/auctions/{auction.pk}/bids",
        {"type": "bid", "amount": "80000", "client_bid_id": "h1"},
        _signed_in_headers(alice),
    )
    assert (status, ack["type"], ack["client_bid_id"]) == (200, "ack", "h1")
    assert Bid.objects.get(auction=auction).client_bid_id == "h1"
    assert headers[b"X-Content-Type-Options"] == b"nosniff"  # the security middleware ran


@pytest.mark.django_db(transaction=True)
def test_http_bid_through_the_asgi_application_without_csrf_token_is_refused(auction, alice):
    headers = [h for h in _signed_in_headers(alice) if h[0] != b"x-csrftoken"]
    status, _body, _headers = _post_raw(f"/auctions/{auction.pk}/bids", headers)
    assert status == 403
    assert not Bid.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_http_bid_through_the_asgi_application_refused_in_the_visitors_language(auction, alice):
    headers = [*_signed_in_headers(alice), (b"accept-language", b"en")]
    status, error, _ = _post(f"/auctions/{auction.pk}/bids", {"type": "bid", "amount": "79000"}, headers)
    assert (status, error["code"]) == (409, "too_low")
    assert error["message"].startswith("PR4: The bid")  # worded in the writer thread, in English


def _post_raw(path, headers):
    from config.asgi import application

    async def scenario():
        body = json.dumps({"type": "bid", "amount": "80000"}).encode()
        return await HttpCommunicator(application, "POST", path, body=body, headers=headers).get_response(
            timeout=TIMEOUT
        )

    response = run_async(scenario)
    return response["status"], response["body"], dict(response["headers"])


# --- Metrics (issue 8 item 7) -----------------------------------------------------------------
def _metric(client, series: str) -> float:
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(series))


@pytest.mark.django_db
def test_metrics_show_the_bid_latency_histogram_with_a_count_after_a_bid(auction, alice):
    client = Client()
    client.force_login(alice)
    accepted = 'auction_bid_seconds_count{outcome="accepted",transport="http"}'
    refused = 'auction_bid_seconds_count{outcome="already_leading",transport="http"}'
    before = (_metric(client, accepted), _metric(client, refused))
    body = {"type": "bid", "amount": "80000"}
    assert client.post(f"/auctions/{auction.pk}/bids", body, content_type="application/json").status_code == 200
    assert client.post(f"/auctions/{auction.pk}/bids", body, content_type="application/json").status_code == 409
    after = (_metric(client, accepted), _metric(client, refused))
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'auction_bid_seconds_bucket{le="0.001",outcome="accepted",transport="http"}' in text
    assert "auction_bid_commit_seconds_count" in text and "auction_fanout_seconds_count" in text


@pytest.mark.django_db(transaction=True)
def test_metrics_count_the_writers_commits_and_batches(auction, alice):
    client = Client()
    before = (_metric(client, "auction_bid_commit_seconds_count"), _metric(client, "auction_bid_batch_size_count"))
    at = auction.starts_at + timedelta(hours=1)
    writer.submit(alice, auction.pk, "80000", "m1", at).result(timeout=TIMEOUT)
    after = (_metric(client, "auction_bid_commit_seconds_count"), _metric(client, "auction_bid_batch_size_count"))
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)


def test_the_writer_thread_is_one_per_process():
    writer.the_writer().start()
    names = [t.name for t in threading.enumerate() if t.name == "bid-writer"]
    assert names == ["bid-writer"]


# --- The anonymous snapshot shared by a room's watchers ----------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_watcher_joining_after_a_bid_gets_a_snapshot_with_that_bid(auction, alice):
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator

    from bidding.routing import websocket_urlpatterns

    def watcher():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/auctions/{auction.pk}/")
        communicator.scope["user"] = AnonymousUser()
        return communicator

    async def scenario():
        first, second = watcher(), watcher()
        await first.connect(timeout=TIMEOUT)
        before = await first.receive_json_from(timeout=TIMEOUT)
        await second.connect(timeout=TIMEOUT)
        reused = await second.receive_json_from(timeout=TIMEOUT)  # the room's stored snapshot
        at = auction.starts_at + timedelta(hours=1)
        await asyncio.wrap_future(writer.submit(alice, auction.pk, "80000", "s1", at))
        event = await first.receive_json_from(timeout=TIMEOUT)
        third = watcher()
        await third.connect(timeout=TIMEOUT)
        after = await third.receive_json_from(timeout=TIMEOUT)
        for communicator in (first, second, third):
            await communicator.disconnect()
        return before, reused, event, after

    before, reused, event, after = run_async(scenario)
    assert before["seq"] == reused["seq"] == 0 and reused["bids"] == [] and reused["server_time"]
    assert (event["kind"], event["seq"]) == ("bid", 1)
    assert after["seq"] == 1 and [b["amount"] for b in after["bids"]] == ["80000.00"]
    assert after["auction"]["current_price"] == "80000.00" and after["me"] is None


# --- Broadcast frames written straight to daphne's connections ---------------------------------
@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_a_broadcast_frame_is_one_final_unmasked_text_frame(size):
    from websockets.frames import Frame, Opcode
    from websockets.streams import StreamReader

    from bidding.consumers import text_frame

    text = "价" * (size // 3) + "x" * (size % 3)  # UTF-8: the length counts bytes, not characters
    reader = StreamReader()
    reader.feed_data(text_frame(text))
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame = done.value
    assert (frame.opcode, frame.fin, frame.data.decode()) == (Opcode.TEXT, True, text)
    assert text_frame(text) is text_frame(text)  # built once per event, not per socket


def test_without_daphne_behind_it_a_socket_sends_the_ordinary_way():
    from bidding.consumers import daphne_connection, write_frame

    async def send(message):
        return None

    assert daphne_connection(send) is None
    assert write_frame(None, "{}") is False


@pytest.mark.django_db
def test_bids_on_several_rounds_commit_together_each_round_gap_free(auction, alice, dave, lot):
    from tests import factories

    other = factories.make_auction(factories.make_lot(lot.case))
    factories.register(other, alice, secured=True)
    at = auction.starts_at + timedelta(hours=1)
    outcomes = services.place_bids_on_rounds(
        {
            other.pk: [request(alice, "80000", "o1", at)],
            auction.pk: [request(alice, "80000", "a1", at), request(dave, "80000", "d1", at)],
        }
    )
    assert codes(outcomes[auction.pk]) == ["ack", "too_low"] and codes(outcomes[other.pk]) == ["ack"]
    for round_ in (auction, other):
        seqs = list(AuctionEvent.objects.filter(auction=round_).order_by("seq").values_list("seq", flat=True))
        assert seqs == [1]
        round_.refresh_from_db()
        assert bidlog.verify_round(round_) == []


@pytest.mark.django_db
def test_a_batch_over_several_rounds_costs_the_statements_of_one(auction, alice, lot):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories

    others = [factories.make_auction(factories.make_lot(lot.case)) for _ in range(3)]
    for other in others:
        factories.register(other, alice, secured=True)
    at = auction.starts_at + timedelta(hours=1)

    def statements(rounds) -> int:
        with CaptureQueriesContext(connection) as queries:
            outcomes = services.place_bids_on_rounds({r.pk: [request(alice, "80000", f"q{r.pk}", at)] for r in rounds})
        assert all(codes(outcome) == ["ack"] for outcome in outcomes.values())
        return len(queries)

    assert statements([auction]) == statements(others)
    for round_ in [auction, *others]:
        round_.refresh_from_db()
        assert (round_.bid_count, round_.current_price.amount, round_.event_seq) == (1, 80000, 1)
        assert bidlog.verify_round(round_) == []


@pytest.mark.django_db
def test_a_batchs_reads_neither_join_nor_sort(auction, alice, dave):
    """The models' default orderings would join the rounds to sort the registrations and repeated
    bids read under the lock; only the lock itself is ordered (ascending ids, no deadlock), and it
    joins only the leader the rules need, not the lot and case of every round of the batch."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    at = auction.starts_at + timedelta(hours=1)
    with CaptureQueriesContext(connection) as queries:
        bids = [request(alice, "80000", "j1", at), request(dave, "81000", "j2", at)]
        outcomes = services.place_bids(auction.pk, bids)
    assert codes(outcomes) == ["ack", "ack"]
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert len(reads) == 4  # registrations, the lock, deposits, repeated client ids
    lock = [sql for sql in reads if sql.split(" FROM ")[1].startswith('"auctions_auction"')]
    others = [sql for sql in reads if sql not in lock]
    assert len(lock) == 1 and "ORDER BY" in lock[0]
    assert '"bidding_bid"' in lock[0] and '"lots_lot"' not in lock[0] and '"lots_case"' not in lock[0]
    assert not [sql for sql in others if "JOIN" in sql or "ORDER BY" in sql]


@pytest.mark.django_db
def test_a_batch_reads_only_the_registrations_it_has_not_met(auction, alice, dave, charlie):
    """Registrations never change once made (`services.KnownRegistrations`): bidders met by an
    earlier batch are not read again, and a bidder refused as unregistered is read again once
    registered."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories

    at = auction.starts_at + timedelta(hours=1)

    def registration_reads(bids) -> tuple[list[str], int]:
        with CaptureQueriesContext(connection) as queries:
            outcomes = services.place_bids(auction.pk, bids)
        reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "bidding_registration"')]
        return codes(outcomes), len(reads)

    assert registration_reads([request(alice, "80000", "k1", at), request(dave, "81000", "k2", at)]) == (
        ["ack", "ack"],
        1,
    )
    assert registration_reads([request(alice, "82000", "k3", at), request(dave, "83000", "k4", at)]) == (
        ["ack", "ack"],
        0,
    )
    assert registration_reads([request(charlie, "84000", "k5", at)]) == (["not_registered"], 1)
    factories.register(auction, charlie, secured=True)
    assert registration_reads([request(charlie, "84000", "k6", at), request(alice, "85000", "k7", at)]) == (
        ["ack", "ack"],
        1,
    )
    assert Bid.objects.filter(auction=auction).values_list("registration__user__username", flat=True).last() == "alice"


@pytest.mark.django_db
def test_a_registration_cannot_be_changed_or_deleted_behind_the_writers_back(auction, alice):
    from bidding.models import Registration

    registrations = Registration.objects.filter(auction=auction, user=alice)
    with pytest.raises(PermissionError):
        registrations.update(priority_rank=1)
    with pytest.raises(PermissionError):
        registrations.delete()
    assert registrations.get().priority_rank is None


@pytest.mark.django_db(transaction=True)
def test_an_event_loops_answers_come_with_one_wake_up_per_batch(auction, alice, dave):
    at = auction.starts_at + timedelta(hours=1)

    async def scenario():
        loop = asyncio.get_running_loop()
        wake_ups = []
        call_soon_threadsafe = loop.call_soon_threadsafe

        def counted(callback, *args):
            wake_ups.append(callback)
            return call_soon_threadsafe(callback, *args)

        loop.call_soon_threadsafe = counted
        bids = [(alice, "80000", "e1"), (dave, "81000", "e2"), (alice, "81000", "e3")]
        prepared = [
            writer.prepare(user, auction.pk, amount, cid, at, loop.create_future()) for user, amount, cid in bids
        ]
        writer.submit_together([entry for entry, _future in prepared])
        outcomes = await asyncio.gather(*(future for _entry, future in prepared), return_exceptions=True)
        return wake_ups, outcomes

    wake_ups, outcomes = run_async(scenario)
    assert [getattr(callback, "__name__", "") for callback in wake_ups].count("_settle") == 1
    assert codes(outcomes) == ["ack", "ack", "too_low"]


@pytest.mark.django_db(transaction=True)
def test_bi2_bids_decided_one_by_one_after_a_failed_batch_keep_their_receive_order(auction, alice, dave, monkeypatch):
    def failing(*args):
        raise RuntimeError("the batch broke")

    monkeypatch.setattr("bidding.services.place_bids", failing)
    at = auction.starts_at + timedelta(hours=1)
    later, _ = writer.prepare(dave, auction.pk, "81000", "l", at + timedelta(milliseconds=5))
    earlier, _ = writer.prepare(alice, auction.pk, "80000", "e", at)
    writer.submit_together([later, earlier])  # listed out of order, as a socket process may read them
    outcomes = [entry[2].exception(TIMEOUT) or entry[2].result() for entry in (later, earlier)]
    assert codes(outcomes) == ["ack", "ack"]
    assert list(Bid.objects.order_by("seq").values_list("client_bid_id", flat=True)) == ["e", "l"]


@pytest.mark.django_db(transaction=True)
def test_the_writer_answers_bids_for_several_rounds_queued_together(auction, alice, dave, lot):
    from tests import factories

    other = factories.make_auction(factories.make_lot(lot.case))
    factories.register(other, dave, secured=True)
    at = auction.starts_at + timedelta(hours=1)
    futures = [
        writer.submit(alice, auction.pk, "80000", "x1", at),
        writer.submit(dave, other.pk, "80000", "x2", at),
        writer.submit(dave, auction.pk, "81000", "x3", at + timedelta(milliseconds=1)),
    ]
    results = [future.result(timeout=TIMEOUT) for future in futures]
    assert [(r.bid_seq, r.duplicate) for r in results] == [(1, False), (1, False), (2, False)]
    assert Bid.objects.filter(auction=auction).count() == 2 and Bid.objects.filter(auction=other).count() == 1

"""The live socket (`bidding.consumers.AuctionConsumer`, protocol in docs/websocket.md): snapshot on
connect, bid → ack → event, typed errors for every bad input with the socket still usable,
floods limited, resync and reconnect with `since`.

Personas: alice (registered, deposit secured), dave (the same), bob (registered, no deposit),
charlie (outsider), and anonymous watchers. Real commits (transactional_db): events go out only
after commit."""

import asyncio
import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from auctions import lifecycle
from auctions.models import Auction
from bidding.consumers import NOT_FOUND_CLOSE_CODE, socket_language
from bidding.routing import websocket_urlpatterns
from bidding.services import check_place_bid
from tests import factories
from tests.test_bidding_support import run_async

pytestmark = pytest.mark.usefixtures("transactional_db")
TIMEOUT = 3


@pytest.fixture
def auction(live_auction):
    return live_auction  # live for an hour, ends in 24 h; ¥80,000 + ¥1,000 steps


def socket(auction_id: int, user=None, query: str = "") -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/auctions/{auction_id}/{query}")
    communicator.scope["user"] = user or AnonymousUser()
    return communicator


async def connected(auction_id: int, user=None, query: str = ""):
    """A connected socket and the first frame it got (the snapshot, unless replaying)."""
    communicator = socket(auction_id, user, query)
    connected_, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected_
    return communicator, await communicator.receive_json_from(timeout=TIMEOUT)


async def frames(communicator, count: int) -> list[dict]:
    return [await communicator.receive_json_from(timeout=TIMEOUT) for _ in range(count)]


def bid_message(amount, client_bid_id="b-1") -> str:
    return json.dumps({"type": "bid", "amount": amount, "client_bid_id": client_bid_id})


async def error_then_pong(auction_id: int, user, message: str) -> tuple[dict, dict]:
    """Sends a message that must fail, then a ping: the error, and the proof the socket still works."""
    communicator, _ = await connected(auction_id, user)
    await communicator.send_to(text_data=message)
    error = await communicator.receive_json_from(timeout=TIMEOUT)
    await communicator.send_to(text_data='{"type": "ping"}')
    pong = await communicator.receive_json_from(timeout=TIMEOUT)
    await communicator.disconnect()
    return error, pong


# --- Snapshot ---------------------------------------------------------------------------------
def test_bd3_snapshot_on_connect_shows_codes_never_names(auction, alice, dave):
    check_place_bid(alice, auction.pk, "80000", "")
    check_place_bid(dave, auction.pk, "81000", "")

    async def scenario():
        communicator, snapshot = await connected(auction.pk)
        await communicator.disconnect()
        return snapshot

    snapshot = run_async(scenario)
    assert snapshot["type"] == "snapshot" and snapshot["seq"] == 2
    assert snapshot["auction"]["current_price"] == "81000.00" and snapshot["auction"]["bid_count"] == 2
    assert [b["amount"] for b in snapshot["bids"]] == ["81000.00", "80000.00"]  # newest first
    assert snapshot["auction"]["leader_code"] == snapshot["bids"][0]["code"]
    assert snapshot["me"] is None
    text = json.dumps(snapshot, ensure_ascii=False)
    assert "艾丽丝" not in text and "戴夫" not in text and alice.bidder.id_number_masked not in text


def test_snapshot_me_tells_the_bidder_their_standing(auction, alice, bob, charlie):
    check_place_bid(alice, auction.pk, "80000", "")

    async def scenario():
        standings = {}
        for name, user in [("alice", alice), ("bob", bob), ("charlie", charlie)]:
            communicator, snapshot = await connected(auction.pk, user)
            standings[name] = snapshot["me"]
            await communicator.disconnect()
        return standings

    me = run_async(scenario)
    assert me["alice"]["leading"] and me["alice"]["reason"] == "already_leading" and not me["alice"]["can_bid"]
    assert me["bob"]["reason"] == "deposit_missing" and me["bob"]["min_bid"] == "81000.00"
    assert me["charlie"] == {
        "code": None,
        "can_bid": False,
        "min_bid": "81000.00",
        "leading": False,
        "reason": "not_registered",
        "priority_rank": None,
    }


def test_unknown_round_gets_not_found_and_is_closed():
    async def scenario():
        communicator = socket(987654)
        await communicator.connect(timeout=TIMEOUT)
        error = await communicator.receive_json_from(timeout=TIMEOUT)
        closed = await communicator.receive_output(timeout=TIMEOUT)
        return error, closed

    error, closed = run_async(scenario)
    assert error["code"] == "not_found"
    assert closed == {"type": "websocket.close", "code": NOT_FOUND_CLOSE_CODE}


# --- Bid → ack → event ------------------------------------------------------------------------
def test_bid_is_acknowledged_after_commit_and_reaches_every_watcher(auction, alice):
    async def scenario():
        bidder, first = await connected(auction.pk, alice)
        watcher, _ = await connected(auction.pk)
        await bidder.send_to(text_data=bid_message("80000.00", "uuid-1"))
        to_bidder = await frames(bidder, 2)
        to_watcher = await watcher.receive_json_from(timeout=TIMEOUT)
        await bidder.disconnect()
        await watcher.disconnect()
        return first, to_bidder, to_watcher

    first, to_bidder, event = run_async(scenario)
    ack = next(frame for frame in to_bidder if frame["type"] == "ack")
    assert ack["client_bid_id"] == "uuid-1" and ack["seq"] == first["seq"] + 1
    assert ack["bid"]["amount"] == "80000.00" and not ack["duplicate"]
    assert event["type"] == "event" and event["kind"] == "bid" and event["seq"] == ack["seq"]
    assert event["data"]["code"] == ack["bid"]["code"] and event["data"]["current_price"] == "80000.00"
    assert [frame for frame in to_bidder if frame["type"] == "event"] == [event]


def test_events_arrive_in_order_without_gaps(auction, alice, dave):
    async def scenario():
        watcher, snapshot = await connected(auction.pk)
        a, _ = await connected(auction.pk, alice)
        d, _ = await connected(auction.pk, dave)
        for step in range(6):
            sender = (a, d)[step % 2]
            await sender.send_to(text_data=bid_message(f"{80000 + step * 1000}.00", f"b{step}"))
            acks = [frame for frame in await frames(sender, 2) if frame["type"] == "ack"]
            assert acks, "no ack"
            await (d, a)[step % 2].receive_json_from(timeout=TIMEOUT)  # the other bidder's copy
        events = await frames(watcher, 6)
        for communicator in (watcher, a, d):
            await communicator.disconnect()
        return snapshot["seq"], events

    base, events = run_async(scenario)
    assert [event["seq"] for event in events] == list(range(base + 1, base + 7))
    assert [event["data"]["amount"] for event in events] == [f"{80000 + n * 1000}.00" for n in range(6)]


def test_repeated_client_bid_id_is_acknowledged_again(auction, alice):
    async def scenario():
        communicator, _ = await connected(auction.pk, alice)
        await communicator.send_to(text_data=bid_message("80000", "same"))
        first = [f for f in await frames(communicator, 2) if f["type"] == "ack"][0]
        await communicator.send_to(text_data=bid_message("80000", "same"))
        again = await communicator.receive_json_from(timeout=TIMEOUT)
        assert await communicator.receive_nothing(timeout=0.3)  # no second event
        await communicator.disconnect()
        return first, again

    first, again = run_async(scenario)
    assert again["type"] == "ack" and again["duplicate"] and again["bid"] == first["bid"]


# --- Bad input: a typed error, nothing written, the socket stays usable -----------------------
@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("{not json", "bad_message"),
        ("[1, 2]", "bad_message"),
        ('"bid"', "bad_message"),
        ('{"type": "sell"}', "bad_message"),
        ('{"amount": "80000"}', "bad_message"),
        ('{"type": "bid"}', "bad_message"),
        ('{"type": "bid", "amount": "80000", "client_bid_id": 7}', "bad_message"),
        (json.dumps({"type": "bid", "amount": "80000", "pad": "x" * 3000}), "bad_message"),
        (bid_message("-80000"), "invalid_amount"),
        (bid_message("abc"), "invalid_amount"),
        (bid_message("80000.001"), "invalid_amount"),
        (bid_message("1" + "0" * 30), "invalid_amount"),
        ('{"type": "bid", "amount": 80000.5, "client_bid_id": "f"}', "invalid_amount"),
        (bid_message("79000"), "too_low"),
        (bid_message("80500"), "not_a_multiple"),
    ],
)
def test_bad_input_gets_a_typed_error_and_the_socket_stays_open(auction, alice, message, code):
    error, pong = run_async(error_then_pong, auction.pk, alice, message)
    assert error["type"] == "error" and error["code"] == code, error
    assert pong["type"] == "pong" and pong["server_time"]
    auction.refresh_from_db()
    assert auction.bid_count == 0 and auction.event_seq == 0


@pytest.mark.parametrize(("language", "cjk"), [("en", False), ("zh-hans", True)])
def test_a_refusal_is_worded_in_the_sockets_language(auction, alice, language, cjk):
    async def scenario():
        communicator = socket(auction.pk, alice)
        communicator.scope["cookies"] = {"django_language": language}
        assert (await communicator.connect(timeout=TIMEOUT))[0]
        await communicator.receive_json_from(timeout=TIMEOUT)  # the snapshot
        await communicator.send_to(text_data=bid_message("79000"))
        error = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return error

    error = run_async(scenario)
    assert error["code"] == "too_low"
    assert any("\u4e00" <= char <= "\u9fff" for char in error["message"]) is cjk, error["message"]


def test_binary_frames_are_read_like_text(auction, alice):
    async def scenario():
        communicator, _ = await connected(auction.pk, alice)
        await communicator.send_to(bytes_data=b'{"type": "ping"}')
        pong = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return pong

    assert run_async(scenario)["type"] == "pong"


def closed_round(auction):
    Auction.objects.filter(pk=auction.pk).update(ends_at=auction.starts_at + timedelta(minutes=30))
    return auction


def not_started_round(auction):
    Auction.objects.filter(pk=auction.pk).update(
        status=Auction.Status.ANNOUNCED, starts_at=auction.ends_at - timedelta(hours=1)
    )
    return auction


@pytest.mark.parametrize(
    ("persona", "change", "code", "rule"),
    [
        (None, None, "not_authenticated", None),
        ("charlie", None, "not_registered", "BD1"),
        ("bob", None, "deposit_missing", "BD1"),
        ("alice", not_started_round, "auction_not_started", "BI1"),
        ("alice", closed_round, "auction_closed", "BI2"),
    ],
)
def test_bids_refused_for_who_or_when_get_their_code(request, auction, alice, bob, persona, change, code, rule):
    user = request.getfixturevalue(persona) if persona else None
    if change:
        change(auction)

    error, pong = run_async(error_then_pong, auction.pk, user, bid_message("80000", "x-1"))
    assert (error["code"], error["rule"], error["client_bid_id"]) == (code, rule, "x-1")
    assert pong["type"] == "pong"
    assert Auction.objects.get(pk=auction.pk).bid_count == 0


def test_a_flood_is_rate_limited_and_the_socket_recovers(auction, alice, dave, monkeypatch):
    check_place_bid(dave, auction.pk, "80000", "")
    monkeypatch.setattr("bidding.ratelimit.wall_time", lambda: 2_000_000.5)  # one per-user window

    async def scenario():
        communicator, _ = await connected(auction.pk, alice)
        for n in range(30):
            await communicator.send_to(text_data=bid_message("90000.50", f"f{n}"))
        replies = await frames(communicator, 30)
        await asyncio.sleep(1.1)
        await communicator.send_to(text_data='{"type": "ping"}')
        pong = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return replies, pong

    replies, pong = run_async(scenario)
    # Answers come as each bid is decided, not in the order sent: they are matched by client_bid_id.
    codes = {reply["client_bid_id"]: reply["code"] for reply in replies}
    assert len(codes) == 30
    assert [codes[f"f{n}"] for n in range(5)] == ["not_a_multiple"] * 5  # the per-user limit: 5 bids a second
    assert {codes[f"f{n}"] for n in range(5, 30)} == {"rate_limited"}  # then the user's, later also the socket's
    assert pong["type"] == "pong"


# --- Resync and reconnect ---------------------------------------------------------------------
def test_resync_sends_a_fresh_snapshot(auction, alice):
    async def scenario():
        communicator, first = await connected(auction.pk, alice)
        await communicator.send_to(text_data='{"type": "resync"}')
        again = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return first, again

    first, again = run_async(scenario)
    assert again["type"] == "snapshot" and again["seq"] == first["seq"]


def test_reconnect_with_since_replays_the_missed_events(auction, alice, dave):
    for amount, who in [("80000", alice), ("81000", dave), ("82000", alice)]:
        check_place_bid(who, auction.pk, amount, "")

    async def scenario():
        communicator = socket(auction.pk, query="?since=1")
        await communicator.connect(timeout=TIMEOUT)
        replayed = await frames(communicator, 2)
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return replayed

    replayed = run_async(scenario)
    assert [(frame["type"], frame["seq"]) for frame in replayed] == [("event", 2), ("event", 3)]


@pytest.mark.parametrize("since", ["?since=99", "?since=-5", "?since=abc"])
def test_reconnect_with_an_impossible_since_gets_a_snapshot(auction, alice, since):
    check_place_bid(alice, auction.pk, "80000", "")

    async def scenario():
        communicator, first = await connected(auction.pk, query=since)
        await communicator.disconnect()
        return first

    first = run_async(scenario)
    assert first["type"] == "snapshot" and first["seq"] == 1


def test_reconnect_far_behind_gets_a_snapshot(auction, alice, dave, monkeypatch):
    monkeypatch.setattr("bidding.snapshot.REPLAY_LIMIT", 2)
    for amount, who in [("80000", alice), ("81000", dave), ("82000", alice)]:
        check_place_bid(who, auction.pk, amount, "")

    async def scenario():
        behind, first = await connected(auction.pk, query="?since=0")
        near, replayed = await connected(auction.pk, query="?since=1")
        await behind.disconnect()
        await near.disconnect()
        return first, replayed

    first, replayed = run_async(scenario)
    assert (first["type"], first["seq"]) == ("snapshot", 3)
    assert (replayed["type"], replayed["seq"]) == ("event", 2)


# --- Events committed elsewhere -----------------------------------------------------------------
def test_events_committed_by_another_process_reach_the_socket(auction, monkeypatch):
    """The clock worker and the console commit in other processes: in the embedded mode the hub
    tails the event table; with Redis the PUBLISH arrives. Here the local poke is disabled."""
    monkeypatch.setattr("bidding.fanout.poke", lambda *args: None)
    clerk = factories.make_staff(auction.lot.court)

    async def scenario():
        communicator, snapshot = await connected(auction.pk)
        await database_sync_to_async(lifecycle.suspend_round)(auction.pk, clerk.user, "案外人异议")
        event = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return snapshot, event

    snapshot, event = run_async(scenario)
    assert (event["kind"], event["seq"]) == ("suspended", snapshot["seq"] + 1)
    assert event["data"]["reason"] == "案外人异议"


# --- The whole stack: session cookie and origin check -------------------------------------------
def test_session_cookie_authenticates_the_socket_through_the_asgi_application(auction, alice):
    from config.asgi import application

    client = Client()
    client.force_login(alice)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    async def scenario():
        communicator = WebsocketCommunicator(
            application,
            f"/ws/auctions/{auction.pk}/",
            headers=[(b"cookie", cookie), (b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
        )
        connected_, _ = await communicator.connect(timeout=TIMEOUT)
        snapshot = await communicator.receive_json_from(timeout=TIMEOUT)
        foreign = WebsocketCommunicator(
            application, f"/ws/auctions/{auction.pk}/", headers=[(b"origin", b"http://evil.example")]
        )
        foreign_connected, _ = await foreign.connect(timeout=TIMEOUT)
        await communicator.disconnect()
        return connected_, snapshot, foreign_connected

    connected_, snapshot, foreign_connected = run_async(scenario)
    assert connected_ and snapshot["me"]["code"] and snapshot["me"]["can_bid"]
    assert not foreign_connected  # AllowedHostsOriginValidator


@pytest.mark.parametrize(
    ("cookies", "accept_language", "language"),
    [
        ({}, "", "zh-hans"),
        ({}, "en-US,en;q=0.9", "en"),
        ({"django_language": "en"}, "zh-CN", "en"),
        ({"django_language": "zh-hans"}, "en", "zh-hans"),
    ],
)
def test_socket_messages_use_the_visitors_language(cookies, accept_language, language):
    """As LocaleMiddleware does for pages: the language cookie first, then Accept-Language."""
    scope = {"cookies": cookies, "headers": [(b"accept-language", accept_language.encode())]}
    assert socket_language(scope) == language


def test_a_frame_partly_sent_with_the_snapshot_is_cut_to_the_events_after_it():
    from bidding.consumers import AuctionConsumer
    from bidding.protocol import frame_text

    consumer = AuctionConsumer()
    consumer.synced, consumer.last_sent, consumer.buffer, consumer.connection = True, 3, None, None
    sent = []

    async def send(text_data=None, bytes_data=None, close=False):
        sent.append(text_data)

    consumer.send = send
    events = [(seq, f'{{"seq":{seq}}}') for seq in (2, 3, 4, 5)]
    asyncio.run(consumer.push(events, frame_text(events)))
    asyncio.run(consumer.push(events[:2], frame_text(events[:2])))  # nothing new: nothing sent
    assert sent == [frame_text(events[2:])]
    assert json.loads(sent[0]) == {"type": "events", "events": [{"seq": 4}, {"seq": 5}]}
    assert consumer.last_sent == 5


def test_bids_handled_in_one_turn_of_the_event_loop_share_their_receive_time_and_batch(monkeypatch):
    """BI2: bids read together are dated together and reach the writer together; the next turn
    reads the clock again and is a batch of its own."""
    from bidding import turns

    handed = []
    monkeypatch.setattr("bidding.writer.submit_together", handed.append)

    async def scenario():
        first = turns.receive_time()
        turns.bid_in_this_turn(None, 1, "81000", "b", turns.receive_time())
        turns.bid_in_this_turn(None, 1, "80000", "a", turns.receive_time())
        await asyncio.sleep(0.002)
        later = turns.receive_time()
        turns.bid_in_this_turn(None, 1, "82000", "c", later)
        await asyncio.sleep(0)
        return first, later

    first, later = asyncio.run(scenario())
    assert later > first
    assert [[(request.client_bid_id, request.received_at) for _, request, _ in entries] for entries in handed] == [
        [("b", first), ("a", first)],
        [("c", later)],
    ]

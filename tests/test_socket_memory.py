"""What an idle auction socket keeps alive (M5/M6 in docs/benchmarks.md)."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from auctions.models import Auction
from bidding import snapshot
from bidding.models import Registration
from bidding.routing import websocket_urlpatterns
from bidding.services import check_place_bid
from tests.test_bidding_support import bidder, run_async

pytestmark = pytest.mark.usefixtures("transactional_db")
TIMEOUT = 3


async def _watcher(auction_id: int) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/auctions/{auction_id}/")
    communicator.scope["user"] = AnonymousUser()
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    assert (await communicator.receive_json_from(timeout=TIMEOUT))["type"] == "snapshot"
    return communicator


def test_an_idle_socket_keeps_no_task_waiting_for_its_messages(live_auction):
    """The consumer awaits `receive` itself: channels' await_many_dispatch would keep a task (and a
    waiter future and a set) per socket, each waiting on the socket's message queue."""

    async def scenario():
        communicator = await _watcher(live_auction.pk)
        await asyncio.sleep(0.1)
        waiting = [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == "Queue.get"]
        await communicator.disconnect()
        return waiting

    assert run_async(scenario) == []


def test_a_socket_answers_after_its_idle_time_and_closes_cleanly(live_auction):
    async def scenario():
        communicator = await _watcher(live_auction.pk)
        await communicator.send_to(text_data='{"type": "ping"}')
        pong = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return pong

    assert run_async(scenario)["type"] == "pong"


async def _bidder_snapshot(auction_id: int, user) -> dict:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/auctions/{auction_id}/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    frame = await communicator.receive_json_from(timeout=TIMEOUT)
    await communicator.disconnect()
    return frame


def test_a_bidder_gets_the_rooms_public_snapshot_with_their_own_standing(live_auction, alice, monkeypatch):
    """While the round has not moved on, a signed-in connect reads only its own `me` and sets it
    into the public snapshot the room keeps, instead of reading the round and its bids again."""
    whole = snapshot.build_snapshot(Auction.objects.get(pk=live_auction.pk), alice)

    async def scenario():
        watcher = await _watcher(live_auction.pk)  # the room stores the public snapshot
        monkeypatch.setattr(snapshot, "build_snapshot", refuse)
        monkeypatch.setattr(snapshot, "load_public_round", refuse)
        frame = await _bidder_snapshot(live_auction.pk, alice)
        await watcher.disconnect()
        return frame

    def refuse(*args):
        raise AssertionError("read the round again")

    frame = run_async(scenario)
    assert frame["me"]["code"] and frame["me"] == whole["me"]
    assert {k: v for k, v in frame.items() if k != "server_time"} == {
        k: v for k, v in whole.items() if k != "server_time"
    }


def test_a_bidder_reads_the_whole_snapshot_once_the_round_has_moved_on(live_auction, alice):
    dave = bidder(live_auction, "dave")

    async def scenario():
        watcher = await _watcher(live_auction.pk)
        await database_sync_to_async(check_place_bid)(dave, live_auction.pk, "81000")
        await watcher.receive_json_from(timeout=TIMEOUT)  # the event: the stored snapshot is old
        frame = await _bidder_snapshot(live_auction.pk, alice)
        await watcher.disconnect()
        return frame

    frame = run_async(scenario)
    dave_code = Registration.objects.get(auction=live_auction, user=dave).code
    assert frame["auction"]["bid_count"] == 1 and [b["code"] for b in frame["bids"]] == [dave_code]
    assert frame["auction"]["leader_code"] == dave_code
    assert frame["me"]["leading"] is False and frame["me"]["code"] != dave_code


def test_the_leader_learns_it_leads_from_the_rooms_stored_snapshot(live_auction, alice, monkeypatch):
    """`me` is worked out from the rule state stored with the public snapshot: the leader is told
    it leads and what it may bid next, as a read of the round would tell it."""
    dave = bidder(live_auction, "dave")

    async def scenario():
        watcher = await _watcher(live_auction.pk)
        await database_sync_to_async(check_place_bid)(dave, live_auction.pk, "81000")
        await watcher.receive_json_from(timeout=TIMEOUT)
        await (await _watcher(live_auction.pk)).disconnect()  # stores the snapshot after the bid
        whole = await database_sync_to_async(_whole)(dave)
        monkeypatch.setattr(snapshot, "load_public_round", refuse)
        frame = await _bidder_snapshot(live_auction.pk, dave)
        await watcher.disconnect()
        return frame, whole

    def _whole(user):
        return snapshot.build_snapshot(Auction.objects.get(pk=live_auction.pk), user)

    def refuse(*args):
        raise AssertionError("read the round again")

    frame, whole = run_async(scenario)
    assert frame["me"]["leading"] is True and frame["me"] == whole["me"]
    assert frame["auction"] == whole["auction"] and frame["bids"] == whole["bids"]

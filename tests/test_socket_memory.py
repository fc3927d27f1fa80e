"""What an idle auction socket keeps alive (M5/M6 in docs/benchmarks.md)."""

import asyncio

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from bidding.routing import websocket_urlpatterns
from tests.test_bidding_support import run_async

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

"""The per-process fan-out hub (bidding/fanout.py): each round's events reach every local socket
once, in seq order, without gaps, as the one text serialised at publish time — whatever order
they arrive in, and even when one never arrives on the bus (the hub reads it from the table)."""

import asyncio
import time

import pytest

from auctions.models import AuctionEvent
from bidding import fanout
from bidding.protocol import event_text
from tests import factories
from tests.test_bidding_support import run_async

pytestmark = pytest.mark.django_db(transaction=True)


class Socket:
    def __init__(self):
        self.got: list[tuple[int, str]] = []

    async def push(self, seq: int, text: str) -> None:
        self.got.append((seq, text))


class BrokenSocket:
    async def push(self, seq: int, text: str) -> None:
        raise ConnectionError("gone")


@pytest.fixture
def auction(lot):
    return factories.make_auction(lot)


async def until(condition, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def stored_event(auction, seq: int) -> AuctionEvent:
    return AuctionEvent.objects.create(
        auction=auction, seq=seq, kind="bid", payload={"seq": seq}, created_at=auction.starts_at
    )


def test_events_arriving_out_of_order_are_delivered_in_order_once(auction):
    async def scenario():
        hub, socket = fanout.get_hub(), Socket()
        await hub.join(auction.pk, socket)
        for seq in (2, 1, 3, 2, 1):
            hub.offer(auction.pk, seq, f"t{seq}")
        await until(lambda: len(socket.got) >= 3)
        await asyncio.sleep(0.1)
        await hub.leave(auction.pk, socket)
        return socket.got

    assert run_async(scenario) == [(1, "t1"), (2, "t2"), (3, "t3")]


def test_a_gap_that_the_bus_never_fills_is_read_from_the_event_table(auction):
    missing = [stored_event(auction, seq) for seq in (1, 2)]
    stored_event(auction, 3)

    async def scenario():
        hub, socket = fanout.get_hub(), Socket()
        await hub.join(auction.pk, socket)
        hub.offer(auction.pk, 3, "t3")
        await until(lambda: len(socket.got) == 3)
        await hub.leave(auction.pk, socket)
        return socket.got

    assert run_async(scenario) == [(1, event_text(missing[0])), (2, event_text(missing[1])), (3, "t3")]


def test_events_up_to_the_rounds_seq_at_join_are_not_replayed(auction):
    type(auction).objects.filter(pk=auction.pk).update(event_seq=5)

    async def scenario():
        hub, socket = fanout.get_hub(), Socket()
        await hub.join(auction.pk, socket)
        for seq in (4, 5, 6):
            hub.offer(auction.pk, seq, f"t{seq}")
        await until(lambda: socket.got)
        await asyncio.sleep(0.1)
        await hub.leave(auction.pk, socket)
        return socket.got

    assert run_async(scenario) == [(6, "t6")]


def test_every_socket_gets_the_same_text_object_and_a_broken_one_does_not_stop_the_rest(auction):
    async def scenario():
        hub = fanout.get_hub()
        sockets = [Socket() for _ in range(450)]  # more than one batch between yields
        for socket in sockets[:200]:
            await hub.join(auction.pk, socket)
        broken = BrokenSocket()
        await hub.join(auction.pk, broken)
        for socket in sockets[200:]:
            await hub.join(auction.pk, socket)
        text = "".join(["t", "1"])  # one object, built once
        hub.offer(auction.pk, 1, text)
        await until(lambda: all(socket.got for socket in sockets))
        for socket in [*sockets, broken]:
            await hub.leave(auction.pk, socket)
        return text, sockets, hub

    text, sockets, hub = run_async(scenario)
    assert all(socket.got[0][1] is text for socket in sockets)
    assert auction.pk not in hub.rooms  # the last socket out closes the room


def test_a_poke_from_a_database_thread_reaches_the_hub(auction):
    async def scenario():
        hub, socket = fanout.get_hub(), Socket()
        await hub.join(auction.pk, socket)
        await asyncio.get_running_loop().run_in_executor(None, fanout.poke, auction.pk, 1, "t1")
        await until(lambda: socket.got)
        await hub.leave(auction.pk, socket)
        return socket.got

    assert run_async(scenario) == [(1, "t1")]


def test_events_of_rounds_without_local_sockets_are_ignored(auction):
    async def scenario():
        hub, socket = fanout.get_hub(), Socket()
        await hub.join(auction.pk, socket)
        hub.offer(auction.pk + 1, 1, "elsewhere")
        hub.offer(auction.pk, 1, "here")
        await until(lambda: socket.got)
        await hub.leave(auction.pk, socket)
        return socket.got

    assert run_async(scenario) == [(1, "here")]


def test_one_hub_per_event_loop():
    async def hub_of_this_loop():
        return fanout.get_hub(), fanout.get_hub()

    first, again = run_async(hub_of_this_loop)
    other, _ = run_async(hub_of_this_loop)
    assert first is again and first is not other

"""The per-process fan-out hub (bidding/fanout.py): each round's events reach every local socket
once, in seq order, without gaps, as the one text serialised at publish time — whatever order
they arrive in, and even when one never arrives on the bus (the hub reads it from the table)."""

import asyncio
import json
import time

import pytest

from auctions.models import AuctionEvent
from bidding import fanout
from bidding.protocol import event_text, frame_text
from tests import factories
from tests.test_bidding_support import run_async

pytestmark = pytest.mark.django_db(transaction=True)


class Socket:
    def __init__(self):
        self.got: list[tuple[int, str]] = []  # every event, as (seq, text)
        self.frames: list[tuple[float, str]] = []  # every frame, as (monotonic time, text)

    async def push(self, events: list[tuple[int, str]], text: str) -> None:
        self.got.extend(events)
        self.frames.append((time.monotonic(), text))


class BrokenSocket:
    async def push(self, events: list[tuple[int, str]], text: str) -> None:
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
    assert all(socket.frames[0][1] is text for socket in sockets)
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


def test_events_ready_together_go_out_in_one_frame_in_seq_order(auction):
    texts = {seq: f'{{"type":"event","seq":{seq}}}' for seq in (1, 2, 3)}

    async def scenario():
        hub, socket = fanout.get_hub(), Socket()
        await hub.join(auction.pk, socket)
        for seq in (2, 3, 1):  # queued before the hub runs again: one delivery
            hub.offer(auction.pk, seq, texts[seq])
        await until(lambda: len(socket.got) == 3)
        await hub.leave(auction.pk, socket)
        return socket

    socket = run_async(scenario)
    assert socket.got == sorted(texts.items())
    assert [text for _, text in socket.frames] == [frame_text(sorted(texts.items()))]
    assert json.loads(socket.frames[0][1]) == {"type": "events", "events": [json.loads(texts[s]) for s in (1, 2, 3)]}


def test_a_busy_round_gets_at_most_one_frame_per_interval_and_a_quiet_one_at_once(auction):
    async def scenario():
        hub, socket = fanout.get_hub(), Socket()
        await hub.join(auction.pk, socket)
        hub.offer(auction.pk, 1, "t1")  # the first event after a quiet spell: at once
        await until(lambda: len(socket.frames) == 1)
        for seq in (2, 3):  # within the interval, on separate turns of the loop: held for one frame
            hub.offer(auction.pk, seq, f"t{seq}")
            await asyncio.sleep(0.005)
        await until(lambda: len(socket.got) == 3)
        await asyncio.sleep(fanout.FRAME_INTERVAL * 2)
        hub.offer(auction.pk, 4, "t4")  # quiet again: at once
        await until(lambda: len(socket.got) == 4)
        await hub.leave(auction.pk, socket)
        return socket

    socket = run_async(scenario)
    assert [text for _, text in socket.frames] == ["t1", frame_text([(2, "t2"), (3, "t3")]), "t4"]
    first, second, _ = (at for at, _ in socket.frames)
    assert second - first >= fanout.FRAME_INTERVAL


def test_the_hub_takes_batched_and_single_event_messages_from_the_channel_layer(auction):
    """Batched messages, and the one-event messages processes of the previous release publish."""

    class Layer:
        def __init__(self, messages):
            self.messages = messages

        async def receive(self, channel):
            if self.messages:
                return self.messages.pop(0)
            await asyncio.Event().wait()

    async def scenario():
        hub, socket = fanout.get_hub(), Socket()
        await hub.join(auction.pk, socket)
        real, hub.layer = (
            hub.layer,
            Layer(
                [
                    {"type": "auction.events", "auction": auction.pk, "events": [[1, "t1"], [2, "t2"]]},
                    {"type": "auction.event", "auction": auction.pk, "seq": 3, "text": "t3"},
                ]
            ),
        )
        receiving = asyncio.create_task(hub._receive())
        await until(lambda: len(socket.got) == 3)
        receiving.cancel()
        hub.layer = real
        await hub.leave(auction.pk, socket)
        return socket.got

    assert run_async(scenario) == [(1, "t1"), (2, "t2"), (3, "t3")]


def test_one_hub_per_event_loop():
    async def hub_of_this_loop():
        return fanout.get_hub(), fanout.get_hub()

    first, again = run_async(hub_of_this_loop)
    other, _ = run_async(hub_of_this_loop)
    assert first is again and first is not other

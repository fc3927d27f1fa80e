"""This process's event publisher (bidding/events.py `Publisher`): events put together wake its
loop once and reach the rounds' groups in the order they were put, one message per round."""

import asyncio
import threading

import pytest
from channels.layers import get_channel_layer

from bidding import events, fanout

pytestmark = pytest.mark.services


def test_events_put_together_wake_the_loop_once_and_go_out_in_order():
    publisher = events.Publisher()
    wake = publisher.loop.call_soon_threadsafe
    wake_ups = []

    def counted(callback, *args):
        wake_ups.append(callback)
        return wake(callback, *args)

    async def scenario():
        layer = get_channel_layer()
        listener = await layer.new_channel()
        rounds = (901, 902)
        for auction_id in rounds:
            await layer.group_add(fanout.group_name(auction_id), listener)
        try:
            hold = threading.Event()
            wake(hold.wait)  # the publisher's loop waits while the events are put
            publisher.loop.call_soon_threadsafe = counted
            for seq in range(1, 26):
                for auction_id in rounds:
                    publisher.put(auction_id, seq, f"{auction_id}:{seq}")
            hold.set()
            assert await asyncio.to_thread(publisher.flush)
            heard = {auction_id: [] for auction_id in rounds}
            messages = 0
            while sum(len(seqs) for seqs in heard.values()) < 50:
                message = await asyncio.wait_for(layer.receive(listener), 5)
                heard[message["auction"]] += [seq for seq, _text in message["events"]]
                messages += 1
            assert heard == {auction_id: list(range(1, 26)) for auction_id in rounds}
            assert messages == 2  # one per round
            assert wake_ups == [publisher.ready.set]
        finally:
            for auction_id in rounds:
                await layer.group_discard(fanout.group_name(auction_id), listener)

    asyncio.run(scenario())

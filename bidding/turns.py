"""The sockets' view of the event loop's turns (bidding/consumers.py): the receive time of the
messages a daphne process reads together, and the hand-over of their bids to the bid writer as
one batch (BI2, `rules.decision_order`)."""

import asyncio

from auctions import clock

from . import writer


class Turn:
    """One turn of the event loop as the sockets see it. The messages handled in one turn were read
    from their sockets together, in an order of the kernel's making rather than of their arrival,
    so they share one receive time (BI2; a clock read per message would date them apart by the
    server's own work on the ones before), and their bids go to the bid writer together when the
    turn ends, into one batch, where `rules.decision_order` decides them lowest amount first."""

    __slots__ = ("received_at", "bids")

    def __init__(self):
        self.received_at = clock.now()
        self.bids: list = []


_turns: dict[asyncio.AbstractEventLoop, Turn] = {}


def this_turn() -> Turn:
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = Turn()
        loop.call_soon(_end_turn, loop)  # runs in the next turn
    return turn


def _end_turn(loop) -> None:
    turn = _turns.pop(loop)
    if turn.bids:
        writer.submit_together(turn.bids)


def receive_time():
    """The server's receive time of a socket message (BI2): its turn's."""
    return this_turn().received_at


def bid_in_this_turn(
    user, auction_id: int, raw_amount, client_bid_id: str | None, received_at, language: str | None = None
) -> asyncio.Future:
    """Queues a bid with the others of this turn; the future (this loop's) ends with its result or
    refusal, worded in `language` (the socket's; by default the active one)."""
    future = asyncio.get_running_loop().create_future()
    entry, _ = writer.prepare(user, auction_id, raw_amount, client_bid_id or "", received_at, future, language)
    this_turn().bids.append(entry)
    return future

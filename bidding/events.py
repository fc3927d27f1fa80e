"""Round events: numbered without gaps, stored, and published only after commit.

`record_event` is how every state change of a round is announced (bid, started, closed, suspended,
resumed, withdrawn, extended). `send_event_on_commit` is the only code that publishes; the name of
the function that publishes at once says that it ignores rollbacks.
"""

import asyncio
import atexit
import logging
import threading
from datetime import datetime

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.dispatch import Signal

from auctions.models import Auction, AuctionEvent

from . import fanout
from .protocol import dumps, event_frame

logger = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 5  # seconds; a publish that fails is logged and the hubs' tail recovers it
KINDS = frozenset({"bid", "extended", "started", "closed", "suspended", "resumed", "withdrawn"})

# Sent once the transaction that recorded a round event has committed; keywords `auction_id`,
# `kind`, `seq` and `data`. Receivers (notices/) only hand work to background tasks.
round_event_recorded = Signal()


def record_event(auction: Auction, kind: str, data: dict, at: datetime, *, rows: list | None = None) -> dict:
    """Appends the round's next event and schedules its broadcast for after commit.

    The caller holds the auction row lock and saves "event_seq" (update_fields) in the same
    transaction; the unique (auction, seq) constraint turns any misuse into an error. With `rows`
    the event row is appended there for the caller to insert with others before the commit
    (`bidding.services.place_bids`: one INSERT for a batch's events).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    auction.event_seq += 1
    event = AuctionEvent(auction_id=auction.pk, seq=auction.event_seq, kind=kind, payload=data, created_at=at)
    if rows is None:
        event.save(force_insert=True)
    else:
        rows.append(event)
    frame = event_frame(auction.event_seq, kind, at, data)
    send_event_on_commit(auction.pk, frame)
    if round_event_recorded.has_listeners():
        auction_id, seq = auction.pk, auction.event_seq
        transaction.on_commit(
            lambda: round_event_recorded.send_robust(Auction, auction_id=auction_id, kind=kind, seq=seq, data=data),
            robust=True,
        )
    return frame


def send_event_on_commit(auction_id: int, frame: dict) -> None:
    """Broadcasts `frame` once the current transaction commits; nothing is sent on rollback.

    The frame is serialised here, inside the transaction, so a payload that cannot be sent fails
    the state change instead of vanishing in the commit hook. A failed publish is logged, not
    raised: the change is committed, and every process's hub finds the missing event in the
    AuctionEvent table (bidding/fanout.py).
    """
    text = dumps(frame)
    # A lambda, not functools.partial: robust on_commit logs a failure by the callable's __qualname__.
    seq = frame["seq"]
    transaction.on_commit(lambda: publish_rollback_unsafe(auction_id, seq, text), robust=True)


def publish_rollback_unsafe(auction_id: int, seq: int, text: str) -> None:
    """Publishes one event now. With Redis: one PUBLISH to the round's group, which every daphne
    process's hub subscribes to, handed to this process's publisher (in commit order, without
    waiting for Redis: the bid writer answers the next bids meanwhile). Embedded: a poke to this
    process's hub (the clock worker's events reach daphne through the hub's tail of the
    AuctionEvent table), or, in a bid writer process, to its daphne process's hub, with the
    answers of the bids (`relay_events`)."""
    if _relay is not None:
        _relay(auction_id, seq, text)
    elif settings.REDIS_URL:
        _publisher().put(auction_id, seq, text)
    else:
        fanout.poke(auction_id, seq, text)


_relay = None


def relay_events(sink) -> None:
    """From now on this process hands its committed events to `sink(auction_id, seq, text)`
    instead of publishing them: a bid writer process without Redis (bidding/writer_process.py),
    whose daphne process pokes its own hub with them as it hands out the answers."""
    global _relay
    _relay = sink


class Publisher:
    """This process's publishing loop, on a thread of its own, and the queue it publishes from, in
    the order events were put. Database threads and the clock worker publish from synchronous
    code: through one long-lived loop they share one Redis connection, without a new loop and
    connection per event, without waiting for daphne's loop while it fans out, and without
    waiting for Redis themselves. Whatever has queued up while it published goes out as one
    message per round (`{"type": "auction.events", "auction": id, "events": [[seq, text], …]}`):
    a bid writer committing a batch of bids costs one PUBLISH per round, not one per bid. A
    failed publish is logged, and what was queued behind it is dropped: the hubs' tail finds
    those events in the AuctionEvent table, where retrying each against an unreachable Redis
    would delay every later event by the timeout."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.waiting: list = []  # put, not yet taken by the loop; all of these under `idle`
        self.woken = False  # a wake-up of the loop is on its way
        self.pending = 0  # put, not yet published or dropped
        self.idle = threading.Condition()
        self.ready = asyncio.Event()
        threading.Thread(target=self._run, name="event-publisher", daemon=True).start()

    def put(self, auction_id: int, seq: int, text: str) -> None:
        """Queues one event. Only the first of the events put before the loop takes them wakes it:
        a batch's commit puts one event per bid, and a wake-up is a system call."""
        with self.idle:
            self.pending += 1
            self.waiting.append((auction_id, seq, text))
            if self.woken:
                return
            self.woken = True
        self.loop.call_soon_threadsafe(self.ready.set)

    def _take(self) -> list:
        with self.idle:
            taken, self.waiting, self.woken = self.waiting, [], False
        return taken

    def flush(self, timeout: float = PUBLISH_TIMEOUT) -> bool:
        """Waits until everything put so far is published (or dropped); False on timeout."""
        with self.idle:
            return self.idle.wait_for(lambda: self.pending == 0, timeout)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._publish_forever())

    async def _publish_forever(self) -> None:
        while True:
            await self.ready.wait()
            self.ready.clear()
            taken = self._take()
            rounds: dict[int, list] = {}
            for auction_id, seq, text in taken:
                rounds.setdefault(auction_id, []).append([seq, text])
            done = len(taken)
            try:
                for auction_id, events in rounds.items():
                    message = {"type": "auction.events", "auction": auction_id, "events": events}
                    await asyncio.wait_for(
                        get_channel_layer().group_send(fanout.group_name(auction_id), message), PUBLISH_TIMEOUT
                    )
            except Exception:
                logger.exception("publishing events of auction %s failed", auction_id)
                done += len(self._take())
            with self.idle:
                self.pending -= done
                self.idle.notify_all()


_publisher_instance: Publisher | None = None
_publisher_lock = threading.Lock()


def _publisher() -> Publisher:
    global _publisher_instance
    with _publisher_lock:
        if _publisher_instance is None:
            _publisher_instance = Publisher()
            atexit.register(_publisher_instance.flush)  # a command that publishes, then exits
        return _publisher_instance

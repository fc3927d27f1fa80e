"""Round events: numbered without gaps, stored, and published only after commit.

`record_event` is how every state change of a round is announced (bid, started, closed, suspended,
resumed, withdrawn, extended). `send_event_on_commit` is the only code that publishes; the name of
the function that publishes at once says that it ignores rollbacks.
"""

import asyncio
import threading
from datetime import datetime

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.dispatch import Signal

from auctions.models import Auction, AuctionEvent

from . import fanout
from .protocol import dumps, event_frame

PUBLISH_TIMEOUT = 5  # seconds; a publish that fails is logged and the hubs' tail recovers it
KINDS = frozenset({"bid", "extended", "started", "closed", "suspended", "resumed", "withdrawn"})

# Sent once the transaction that recorded a round event has committed; keywords `auction_id`,
# `kind`, `seq` and `data`. Receivers (notices/) only hand work to background tasks.
round_event_recorded = Signal()


def record_event(auction: Auction, kind: str, data: dict, at: datetime) -> dict:
    """Appends the round's next event and schedules its broadcast for after commit.

    The caller holds the auction row lock and saves "event_seq" (update_fields) in the same
    transaction; the unique (auction, seq) constraint turns any misuse into an error.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    auction.event_seq += 1
    AuctionEvent.objects.create(auction_id=auction.pk, seq=auction.event_seq, kind=kind, payload=data, created_at=at)
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
    process's hub subscribes to. Embedded: a poke to this process's hub (the clock worker's
    events reach daphne through the hub's tail of the AuctionEvent table)."""
    if settings.REDIS_URL:
        message = {"type": "auction.event", "auction": auction_id, "seq": seq, "text": text}
        future = asyncio.run_coroutine_threadsafe(
            get_channel_layer().group_send(fanout.group_name(auction_id), message), _publisher_loop()
        )
        future.result(timeout=PUBLISH_TIMEOUT)
    else:
        fanout.poke(auction_id, seq, text)


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _publisher_loop() -> asyncio.AbstractEventLoop:
    """This process's publishing loop, on a thread of its own. Database threads and the clock
    worker publish from synchronous code: through one long-lived loop they share one Redis
    connection, in commit order, without a new loop and connection per event and without
    waiting for daphne's loop while it fans out."""
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="event-publisher", daemon=True).start()
        return _loop

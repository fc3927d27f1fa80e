"""Per-process fan-out of round events to this process's sockets (design: docs/websocket.md).

One `Hub` per event loop (one per daphne process) keeps a room per round with local sockets.
Whatever the source of an event, the hub delivers each round's events to its sockets once, in
seq order, without gaps, writing the same text (serialised once, at publish time) to every socket:

- with Redis, the hub has ONE channel-layer channel that joins the group of every round it has a
  room for (one Redis subscription per process per round, not per socket);
- embedded (no Redis), committing code in this process pokes the hub directly, and the hub tails
  the AuctionEvent table for what other processes (the clock worker) committed;
- in both modes the same tail, one query per process per tick for all rooms, fills gaps: events
  published out of order by two processes, or a publish lost after its commit.

Events that are ready together go out together: the dispatcher takes everything queued before it
delivers, and a busy round gets at most one frame per FRAME_INTERVAL per socket, so each frame
carries every event since the last one (an `events` frame, bidding/protocol.py `frame_text`).
What a frame costs is paid per socket and what an event costs only once, so in a bidding war the
cost of fan-out follows the number of sockets, not the number of bids times the sockets.

Sockets are objects with `async push(events, text)`: `events` is a run of consecutive (seq, text)
and `text` their one frame; each socket drops what it already has (seq ≤ the last it sent) and
buffers while it reads its snapshot (bidding/consumers.py).
"""

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db.models import Q

from auctions.models import Auction, AuctionEvent
from config import metrics

from .protocol import event_text, frame_text

if TYPE_CHECKING:  # snapshot imports the round's rules, which import the events, which import this
    from .snapshot import Public

logger = logging.getLogger(__name__)

BATCH = 200  # sockets written between two yields to the event loop
TAIL_EVERY_EMBEDDED = 0.2  # seconds: the clock worker's events reach the page this fast
TAIL_EVERY_REDIS = 2.0  # seconds: only a safety net, events normally arrive by PUBLISH
GAP_PATIENCE = 0.05  # seconds an out-of-order event waits for the missing ones before a query
TAIL_LIMIT = 1000  # rows per tail query; a room further behind catches up on the next ticks
# Seconds between two frames to a round's sockets: a round bid on faster than this sends what
# came meanwhile in one frame. 20 updates a second is more than a page can show; a quiet round
# (the first event after this interval) is not delayed at all.
FRAME_INTERVAL = 0.05
SNAPSHOT_REUSE_SECONDS = 5.0  # a stored anonymous snapshot is read again after this, event or not


@dataclass(eq=False)
class Room:
    auction_id: int
    sockets: set = field(default_factory=set)
    last_seq: int | None = None  # highest seq delivered; None until the base seq is read
    pending: dict[int, str] = field(default_factory=dict)  # after last_seq: waiting for a gap or a frame
    next_frame_at: float = 0.0  # the event loop's time before which no frame goes out
    flush_scheduled: bool = False
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # set once subscribed with a base
    failed: bool = False
    # The public snapshot shared by the room's joining sockets, and the monotonic time it was read.
    snapshot: "tuple[Public, float] | None" = None

    def stored_snapshot(self) -> "Public | None":
        """The stored public snapshot while it is as new as what the room has delivered (events
        up to last_seq went out before a joining socket joined, later ones reach its buffer) and
        younger than SNAPSHOT_REUSE_SECONDS; else None."""
        if self.snapshot is None:
            return None
        public, read_at = self.snapshot
        if public.seq != self.last_seq or time.monotonic() - read_at >= SNAPSHOT_REUSE_SECONDS:
            return None
        return public

    def store_snapshot(self, public: "Public") -> None:
        if self.snapshot is None or self.snapshot[0].seq <= public.seq:
            self.snapshot = (public, time.monotonic())


class Hub:
    def __init__(self):
        self.rooms: dict[int, Room] = {}
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.tail_now = asyncio.Event()
        self.layer = get_channel_layer() if settings.REDIS_URL else None
        self.channel: str | None = None
        self.tasks: list[asyncio.Task] = []
        self._starting: asyncio.Lock = asyncio.Lock()
        self._fill_scheduled = False

    # --- sockets ---------------------------------------------------------------------------
    async def join(self, auction_id: int, socket) -> None:
        """Adds a socket; returns once every event after the room's base will reach it, so the
        caller may read its snapshot now (join first, then read: no event falls in between)."""
        await self._start()
        while True:
            room = self.rooms.get(auction_id)
            if room is None:
                await self._open_room(auction_id, socket)
                return
            room.sockets.add(socket)
            await room.ready.wait()
            if not room.failed:
                return
            room.sockets.discard(socket)  # the socket that opened it could not subscribe: retry

    async def _open_room(self, auction_id: int, socket) -> None:
        room = self.rooms[auction_id] = Room(auction_id, {socket})
        try:
            if self.layer is not None:
                await self.layer.group_add(group_name(auction_id), self.channel)
            base = await database_sync_to_async(_current_seq)(auction_id)
        except BaseException:
            room.failed = True
            if self.rooms.get(auction_id) is room:
                del self.rooms[auction_id]
            raise
        finally:
            room.ready.set()
        self.inbox.put_nowait(("base", room, base))

    async def leave(self, auction_id: int, socket) -> None:
        room = self.rooms.get(auction_id)
        if room is None or socket not in room.sockets:
            return
        room.sockets.discard(socket)
        if not room.sockets:
            del self.rooms[auction_id]
            if self.layer is not None:
                await self.layer.group_discard(group_name(auction_id), self.channel)

    # --- event sources ---------------------------------------------------------------------
    def offer(self, auction_id: int, seq: int, text: str) -> None:
        """An event from any source; duplicates and stale ones are dropped by the dispatcher."""
        if auction_id in self.rooms:
            self.inbox.put_nowait(("event", auction_id, seq, text))

    async def _receive(self) -> None:
        """Redis: the one subscription of this process, to every group it has a room for."""
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("fan-out: receiving from the channel layer failed")
                await asyncio.sleep(1)
                continue
            # One event per message is what processes of the previous release publish (a rolling
            # deploy runs both for a while).
            events = message["events"] if "events" in message else [(message["seq"], message["text"])]
            for seq, text in events:
                self.offer(message["auction"], seq, text)

    async def _tail(self) -> None:
        """Reads events after each room's last seq: one query per tick for all rooms."""
        every = TAIL_EVERY_REDIS if self.layer is not None else TAIL_EVERY_EMBEDDED
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.tail_now.wait(), every)
            self.tail_now.clear()
            self._fill_scheduled = False
            cursors = {room.auction_id: room.last_seq for room in self.rooms.values() if room.last_seq is not None}
            if not cursors:
                continue
            try:
                rows = await database_sync_to_async(_events_after)(cursors)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("fan-out: reading missed events failed")
                continue
            for auction_id, seq, text in rows:
                self.offer(auction_id, seq, text)

    def _request_fill(self) -> None:
        if not self._fill_scheduled:
            self._fill_scheduled = True
            asyncio.get_running_loop().call_later(GAP_PATIENCE, self.tail_now.set)

    # --- delivery --------------------------------------------------------------------------
    async def _dispatch(self) -> None:
        """Takes everything queued, then delivers each room it touched: events that arrived
        together go out in one frame."""
        while True:
            items = [await self.inbox.get()]
            while not self.inbox.empty():
                items.append(self.inbox.get_nowait())
            touched: dict[int, Room] = {}
            for item in items:
                room = self._take(item)
                if room is not None:
                    touched[id(room)] = room
            for room in touched.values():
                try:
                    await self._deliver(room)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("fan-out: delivering to the sockets of auction %s failed", room.auction_id)

    def _take(self, item: tuple) -> Room | None:
        """Files one inbox item; returns the room that may now have events to deliver."""
        if item[0] == "event":
            _, auction_id, seq, text = item
            room = self.rooms.get(auction_id)
            if room is None or (room.last_seq is not None and seq <= room.last_seq):
                return None
            room.pending.setdefault(seq, text)  # the same event from the bus and the table: keep one
            return room if room.last_seq is not None else None
        room = item[1]
        if self.rooms.get(room.auction_id) is not room:
            return None
        if item[0] == "base":
            if room.last_seq is not None:
                return None
            room.last_seq = item[2]
            room.pending = {seq: text for seq, text in room.pending.items() if seq > room.last_seq}
        else:  # "flush": the room's next frame is due
            room.flush_scheduled = False
        return room

    async def _deliver(self, room: Room) -> None:
        if self.rooms.get(room.auction_id) is not room:
            return
        if room.last_seq + 1 in room.pending:
            loop = asyncio.get_running_loop()
            now = loop.time()
            if now < room.next_frame_at:
                if not room.flush_scheduled:
                    room.flush_scheduled = True
                    loop.call_at(room.next_frame_at, self.inbox.put_nowait, ("flush", room))
                return
            run = []
            while room.last_seq + 1 in room.pending:
                room.last_seq += 1
                run.append((room.last_seq, room.pending.pop(room.last_seq)))
            room.next_frame_at = now + FRAME_INTERVAL
            await self._fan_out(room, run)
        if room.pending and room.last_seq + 1 not in room.pending:
            self._request_fill()  # a gap: read the missing events from the table

    async def _fan_out(self, room: Room, run: list[tuple[int, str]]) -> None:
        started = time.perf_counter()
        text = frame_text(run)  # serialised once for every socket
        sockets = list(room.sockets)
        for index, socket in enumerate(sockets):
            if index and index % BATCH == 0:
                await asyncio.sleep(0)
            try:
                await socket.push(run, text)
            except Exception:
                logger.warning(
                    "fan-out: a socket of auction %s refused events %s–%s",
                    room.auction_id,
                    run[0][0],
                    run[-1][0],
                    exc_info=True,
                )
        metrics.FANOUT.observe(time.perf_counter() - started)
        metrics.DELIVERIES.inc(len(sockets))
        # Yield between frames, or daphne cannot flush its writes under a backlog.
        await asyncio.sleep(0)

    async def _start(self) -> None:
        if self.tasks:
            return
        async with self._starting:
            if self.tasks:
                return
            tasks = [self._dispatch(), self._tail()]
            if self.layer is not None:
                self.channel = await self.layer.new_channel("fanout.")
                tasks.append(self._receive())
            self.tasks = [asyncio.create_task(coroutine) for coroutine in tasks]


def group_name(auction_id: int) -> str:
    """The channel-layer group of a round: one PUBLISH per event reaches every process's hub."""
    return f"auction.{auction_id}"


def _current_seq(auction_id: int) -> int:
    return Auction.objects.filter(pk=auction_id).values_list("event_seq", flat=True).first() or 0


def _events_after(cursors: dict[int, int]) -> list[tuple[int, int, str]]:
    condition = Q()
    for auction_id, seq in cursors.items():
        condition |= Q(auction_id=auction_id, seq__gt=seq)
    events = AuctionEvent.objects.filter(condition).order_by("auction_id", "seq")[:TAIL_LIMIT]
    return [(event.auction_id, event.seq, event_text(event)) for event in events]


# One hub per event loop. Pokes come from database threads, hence the lock for the registry.
_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}
_hubs_lock = threading.Lock()


def get_hub() -> Hub:
    loop = asyncio.get_running_loop()
    with _hubs_lock:
        hub = _hubs.get(loop)
        if hub is None:
            for closed in [other for other in _hubs if other.is_closed()]:
                del _hubs[closed]
            hub = _hubs[loop] = Hub()
        return hub


def poke(auction_id: int, seq: int, text: str) -> None:
    """Hands a just-committed event to every hub of this process (embedded mode), from any thread."""
    with _hubs_lock:
        hubs = list(_hubs.items())
    for loop, hub in hubs:
        with contextlib.suppress(RuntimeError):  # that loop has closed: nobody listens there
            loop.call_soon_threadsafe(hub.offer, auction_id, seq, text)

"""The live socket of one round (protocol: docs/websocket.md). Thin: it parses, hands a bid to the
process's bid writer with the other bids of its turn of the event loop (bidding/turns.py,
bidding/writer.py: `services.place_bids_on_rounds` in batches, answered after commit) or calls the
snapshot reader through `database_sync_to_async`, and renders their answers.
Broadcast events reach it through this process's hub (bidding/fanout.py), never by a
channel-layer group per socket."""

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from types import SimpleNamespace
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from twisted.internet import tcp

from auctions import clock, outage
from config import metrics

from . import fanout, snapshot
from .errors import BidError, not_found, rate_limited, unavailable
from .protocol import dumps, frame_text, parse_client_message, pong_frame
from .ratelimit import SocketLimiter
from .turns import bid_in_this_turn, receive_time

logger = logging.getLogger(__name__)

NOT_FOUND_CLOSE_CODE = 4404


class AuctionConsumer(AsyncWebsocketConsumer):
    # No channel-layer channel of its own: the hub holds the process's one subscription per
    # round, where a channel per socket would cost a Redis subscription per socket.
    channel_layer_alias = None

    async def __call__(self, scope, receive, send):
        """channels' AsyncConsumer.__call__ for a consumer without a channel layer. With `receive`
        its one source of messages, it is awaited directly: channels' await_many_dispatch keeps a
        task, a waiter future and a set per socket for as long as the socket is open, which an
        idle watcher pays for in memory (M5, docs/benchmarks.md)."""
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def connect(self):
        # LocaleMiddleware does not run for sockets: choose the language as it would, from the
        # language cookie or Accept-Language. The choice holds for this consumer's messages.
        self.language = socket_language(self.scope)
        translation.activate(self.language)
        self.auction_id = self.scope["url_route"]["kwargs"]["auction_id"]
        self.user = self.scope.get("user")
        self.limiter = None  # made on the first message: most watchers never send one
        self.gone = False  # disconnected: answers still due are dropped
        self.sending = None  # frames on their way through `send`; made when one needs it
        self.synced, self.last_sent, self.buffer = False, 0, None  # buffer: only while syncing
        self.hub = None
        self.connection = daphne_connection(self.base_send)
        await self.accept()
        metrics.SOCKETS.inc()
        self.counted = True
        self.hub = fanout.get_hub()
        await self.hub.join(self.auction_id, self)  # before reading state: no event falls between
        if not await self.sync(_since(self.scope)):
            await self.send_frame(not_found().as_frame())
            await self.close(code=NOT_FOUND_CLOSE_CODE)

    async def disconnect(self, code):
        if getattr(self, "counted", False):
            metrics.SOCKETS.dec()
            self.counted = False
        if self.hub is not None:
            await self.hub.leave(self.auction_id, self)
        self.gone = True

    async def dispatch(self, message):
        # The base class closes stale database connections before every message with a thread
        # hop; here only database_sync_to_async touches the database, and it does that itself.
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- from the hub ----------------------------------------------------------------------
    async def push(self, events: list[tuple[int, str]], text: str) -> None:
        """Broadcast events (consecutive seqs, in order) and their one frame `text`; held back
        while this socket reads its state."""
        if not self.synced:
            if self.buffer is None:
                self.buffer = deque()
            self.buffer.extend(events)
            return
        if events[0][0] <= self.last_sent:  # some of them came with its snapshot or replay
            events = [event for event in events if event[0] > self.last_sent]
            if not events:
                return
            text = frame_text(events)
        self.last_sent = events[-1][0]
        if not write_frame(self.connection, text):
            await self.send(text_data=text)

    async def sync(self, since: int | None = None) -> bool:
        """Sends the state (snapshot, or the events after `since`), then what arrived meanwhile."""
        self.synced = False
        self.buffer = None  # anything already buffered is older than what is read now
        if since is None and not (self.user and self.user.is_authenticated):
            state = await self.anonymous_state()
        elif since is None:
            state = await self.personal_state()
        else:
            state = await database_sync_to_async(snapshot.socket_state)(self.auction_id, self.user, since)
        if state is None:
            return False
        self.last_sent, frames = state
        for text in frames:
            await self.send(text_data=text)
        while self.buffer:  # events that arrived while reading (and while sending these)
            events = [event for event in self.buffer if event[0] > self.last_sent]
            self.buffer.clear()
            if events:
                self.last_sent = events[-1][0]
                await self.send(text_data=frame_text(events))
        self.synced, self.buffer = True, None
        return True

    async def anonymous_state(self) -> tuple[int, list[str]] | None:
        """An anonymous watcher's snapshot: the room's stored one while it is current
        (`Room.stored_snapshot`), else read once and stored. A connect burst reads the database
        once per event instead of once per watcher."""
        room = self.hub.rooms.get(self.auction_id) if self.hub else None
        public = room.stored_snapshot() if room else None
        if public is None:
            public = await database_sync_to_async(snapshot.anonymous_snapshot)(self.auction_id)
            if public is None:
                return None
            if room is not None:
                room.store_snapshot(public)
        return public.seq, [snapshot.with_server_time(public.template)]

    async def personal_state(self) -> tuple[int, list[str]] | None:
        """A signed-in socket's snapshot: the room's stored public one with this user's `me` set
        into it while it is current (only the user's registration and deposit are read), else
        read whole, and its public part stored for the next one."""
        room = self.hub.rooms.get(self.auction_id) if self.hub else None
        public = room.stored_snapshot() if room else None
        state = await database_sync_to_async(snapshot.personal_snapshot)(self.auction_id, self.user, public)
        if state is None:
            return None
        seq, text, read = state
        if read is not None and room is not None:
            room.store_snapshot(read)
        return seq, [text]

    # --- from the client -------------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        received_at = receive_time()  # the server's receive time decides the bid (BI2)
        arrived = time.perf_counter()
        client_bid_id = None
        try:
            if self.limiter is None:
                self.limiter = SocketLimiter()
            allowed = self.limiter.allow()  # every message counts, even one that does not parse
            message = parse_client_message(text_data if text_data is not None else bytes_data)
            if message["type"] == "bid":
                client_bid_id = message["client_bid_id"] or None
            if not allowed:
                raise rate_limited(self.limiter.retry_after())  # named by its client_bid_id
            if message["type"] == "bid":
                # The process's bid writer decides it (in a batch with whatever else is queued) and
                # answers after commit. The answer is awaited apart, so this socket's next message
                # is read, and timed, when it arrives, not when this bid is decided.
                future = bid_in_this_turn(
                    self.user, self.auction_id, message["amount"], client_bid_id, received_at, self.language
                )
                self.answer_later(future, client_bid_id, received_at, arrived)
            elif message["type"] == "resync":
                await self.sync()
            else:
                await self.send_frame(pong_frame(clock.now()))
        except Exception as error:
            await self.send_frame(self.failure_frame(error, client_bid_id, received_at))

    def answer_later(self, future: asyncio.Future, client_bid_id: str | None, received_at, arrived: float) -> None:
        future.add_done_callback(functools.partial(self.answer, client_bid_id, received_at, arrived))

    def answer(self, client_bid_id: str | None, received_at, arrived: float, decided: asyncio.Future) -> None:
        """The bid's ack once it is committed, or its error frame (a done-callback: no task a bid)."""
        if self.gone:
            return  # the bid is decided all the same; there is nobody left to tell
        error = decided.exception()
        if error is None:
            self.write(decided.result().ack_frame())
            metrics.observe_bid("socket", "accepted", time.perf_counter() - arrived)
            return
        if isinstance(error, BidError):
            metrics.observe_bid("socket", error.code, time.perf_counter() - arrived)
        self.write(self.failure_frame(error, client_bid_id, received_at))

    def failure_frame(self, error: Exception, client_bid_id: str | None, received_at) -> dict:
        if isinstance(error, BidError):
            return error.as_frame(client_bid_id)
        if outage.bid_path_failed(error, received_at):  # FA7: recorded, answered at once
            return unavailable().as_frame(client_bid_id)
        logger.error("auction socket %s: message failed", self.auction_id, exc_info=error)
        return BidError("server_error", _("服务器错误，请重试")).as_frame(client_bid_id)

    async def send_frame(self, frame: dict) -> None:
        text = dumps(frame)
        if not write_frame(self.connection, text):
            await self.send(text_data=text)

    def write(self, frame: dict) -> None:
        """`send_frame` from a callback: straight to the connection, else by a task of its own."""
        text = dumps(frame)
        if write_frame(self.connection, text):
            return
        if self.sending is None:
            self.sending = set()
        task = asyncio.ensure_future(self.send(text_data=text))
        self.sending.add(task)  # a strong reference until it is done
        task.add_done_callback(self.sending.discard)


# --- Broadcast frames written straight to the connection --------------------------------------
# An event goes to every socket of a room as the same text. Through `self.send` each delivery
# passes four coroutines (consumer, session wrapper, daphne's server, its protocol) and autobahn
# frames and encodes the text again for every socket; measured under M4, that was most of the
# cost of a delivery (docs/benchmarks.md). The frame is built once per event here and written to
# each open connection's transport, in order with everything else written to it. Anything unusual
# (not daphne, not open, frames queued, compression, masking or fragmentation configured) takes
# the ordinary `send`.
_last_frame: tuple[str | None, bytes] = (None, b"")


def daphne_connection(send):
    """The daphne WebSocket protocol behind an ASGI `send` (through channels' session wrapper),
    or None when there is none (tests' communicators, another server)."""
    for _depth in range(4):
        if isinstance(send, functools.partial) and getattr(send.func, "__name__", "") == "handle_reply" and send.args:
            connection = send.args[0]
            return connection if hasattr(connection, "sendMessage") and hasattr(connection, "transport") else None
        send = getattr(getattr(send, "__self__", None), "real_send", None)
        if send is None:
            return None
    return None


def text_frame(text: str) -> bytes:
    """A final, unmasked WebSocket text frame (RFC 6455 5.2), as a server sends it."""
    global _last_frame
    if _last_frame[0] is text:
        return _last_frame[1]
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 65536:
        header = bytes((0x81, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + size.to_bytes(8, "big")
    _last_frame = (text, header + payload)
    return _last_frame[1]


def write_frame(connection, text: str) -> bool:
    """Writes `text` as one frame to an open daphne connection; False if it must go by `send`."""
    if (
        connection is None
        or connection.state != connection.STATE_OPEN
        or connection.send_queue
        or connection._perMessageCompress is not None
        or connection.autoFragmentSize
        or connection.factory.maskServerFrames
    ):
        return False
    frame = text_frame(text)
    transport = connection.transport
    if isinstance(transport, tcp.Connection) and not (transport._tempDataLen or transport.dataBuffer):
        # Nothing queued before it: send at once, as asyncio's own transports do. Through
        # `transport.write` every frame to an idle socket registers the socket for writing and
        # unregisters it after the send (two epoll_ctl calls and Twisted's bookkeeping, a quarter of
        # the event loop's time under M1); what the kernel does not take now is queued as before.
        with contextlib.suppress(OSError):  # would block: queued below; broken: Twisted finds it
            frame = frame[transport.socket.send(frame) :]
        if not frame:
            return True
    transport.write(frame)
    return True


def socket_language(scope) -> str:
    headers = dict(scope.get("headers") or [])
    request = SimpleNamespace(
        COOKIES=scope.get("cookies", {}),
        META={"HTTP_ACCEPT_LANGUAGE": headers.get(b"accept-language", b"").decode("latin-1")},
    )
    return translation.get_language_from_request(request)


def _since(scope) -> int | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("since")
    try:
        since = int(values[0]) if values else None
    except ValueError:
        return None
    return since if since is not None and since >= 0 else None

"""Open-loop load generators, run in their own processes (see bench/phase.py).

Bidders: every bid has a send time fixed in advance (t0 + i / rate); latency runs from that
scheduled time to the acknowledgement, so a stalled server cannot hide its queue behind a slow
client. Bid i goes to auction i mod A as that auction's k-th bid (k = i div A) for
start + k × increment, from seat k mod S of the auction: amounts rise in schedule order, and a bid
overtaken by a later one is a protocol-correct `too_low`, counted apart from errors. All bids on
one auction leave from one generator process (auction a from worker a mod W), in schedule order:
two processes falling behind by different amounts would interleave a round's bids out of order on
the wire, and the server would rightly refuse every bid that arrives after a higher one.

Watchers: sockets that record, per auction and event sequence number, when each delivery arrived,
check that the sequence has no gaps, and send `resync` as a real client would when it has one.
"""

import asyncio
import json
import queue
import time
import uuid
from array import array
from collections import Counter
from decimal import Decimal

import uvloop

from bench import hist
from bench.httpclient import HttpConnection
from bench.rawws import open_watcher

CONNECT_CONCURRENCY = 50  # handshakes in flight per worker: daphne refuses a socket not accepted in 5 s
CONNECT_ATTEMPTS = 5  # before the measured part a watcher reconnects, as the page does
EVENTS_FRAME = b'{"type":"events",'  # how a frame of several events begins (bidding.protocol.frame_text)


def run(kind: str, spec: dict, start, ready, control) -> dict:
    runner = {"bidders": run_bidders, "watchers": run_watchers}[kind]
    # uvloop: the generators' own event loop costs per received frame what the servers' does, and
    # on a 2-core machine the generators would otherwise take the cores the servers are measured on.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as loop:
        return loop.run(runner(spec, start, ready, control))


async def wait_start(start) -> float:
    while start.value == 0.0:
        await asyncio.sleep(0.005)
    await sleep_until(start.value)
    return start.value


async def sleep_until(when: float) -> None:
    delay = when - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


async def next_control(control, timeout: float) -> dict | None:
    """Polls the harness's control queue without blocking the event loop."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return control.get_nowait()
        except queue.Empty:
            await asyncio.sleep(0.05)
    return None


def bid_plan(spec: dict) -> list[tuple[float, int, int, str]]:
    """This worker's share of the schedule: (offset_s, seat, auction index, amount)."""
    auctions = spec["auctions"]
    first_seat, seat_index = [], 0
    for auction in auctions:
        first_seat.append(seat_index)
        seat_index += len(auction["seats"])
    plan = []
    for i in range(spec["count"]):
        a = i % len(auctions)
        k = i // len(auctions)
        seat = first_seat[a] + k % len(auctions[a]["seats"])
        if a % spec["workers"] == spec["worker"]:
            amount = Decimal(auctions[a]["start"]) + k * Decimal(auctions[a]["increment"])
            plan.append((i / spec["rate"], seat, a, f"{amount:.2f}"))
    return plan


class BidderRun:
    """Seats (one connection each) of one worker, and what happened to every bid they sent."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.host = spec["host"]
        self.pending: dict[str, tuple[float, int]] = {}
        self.latency = hist.new()
        self.errors: Counter = Counter()
        self.acks: list[tuple[int, int, float, str]] = []  # (auction id, event seq, ack time, amount)
        self.sent = 0
        self.events_seen = 0  # event frames received by the seats' sockets
        self.seats: dict[int, object] = {}
        self.inflight: set[asyncio.Task] = set()

    def settle(self, frame: dict, now: float) -> None:
        scheduled, auction_id = self.pending.pop(frame.get("client_bid_id"), (None, None))
        if scheduled is None:
            self.errors["unmatched_" + str(frame.get("code") or frame.get("type"))] += 1
        elif frame.get("type") == "ack":
            hist.record_seconds(self.latency, now - scheduled)
            self.acks.append((auction_id, int(frame["seq"]), now, str(frame["bid"]["amount"])))
        else:
            self.errors[str(frame.get("code", "unknown"))] += 1

    async def open_seats(self) -> None:
        spec, limit = self.spec, asyncio.Semaphore(CONNECT_CONCURRENCY)
        seat_index = 0
        openers = []
        for position, auction in enumerate(spec["auctions"]):
            # As the load balancer routes (docs/deploy.md): every bid on a round reaches the daphne
            # process chosen by the round's id, here its position among the scenario's rounds.
            port = spec["ports"][position % len(spec["ports"])]
            for seat in auction["seats"]:
                if position % spec["workers"] == spec["worker"]:
                    openers.append(self.open_seat(limit, seat_index, port, auction["id"], seat))
                seat_index += 1
        await asyncio.gather(*openers)

    async def open_seat(self, limit, index: int, port: int, auction_id: int, seat: dict) -> None:
        async with limit:
            if self.spec["transport"] == "http":
                cookies = {"sessionid": seat["session"], "csrftoken": seat["csrf"]}
                self.seats[index] = HttpConnection(self.host, port, cookies)
                return
            cookie = f"sessionid={seat['session']}" if seat["session"] else None
            for attempt in range(CONNECT_ATTEMPTS):
                snapshot = asyncio.get_running_loop().create_future()
                try:
                    path = f"/ws/auctions/{auction_id}/"
                    ws = await open_watcher(self.host, port, path, cookie, self.on_frame(snapshot), lambda: None)
                    await asyncio.wait_for(snapshot, 60)
                    break
                except Exception:
                    if attempt == CONNECT_ATTEMPTS - 1:
                        raise
                    await asyncio.sleep(0.5 * (attempt + 1))
            self.seats[index] = ws

    def on_frame(self, snapshot: asyncio.Future):
        """A bidder socket's frames: acks and errors settle bids; the rest (the snapshot first,
        then the round's events, which every bidder also watches) are only counted: a bidder
        generator that parsed every event would measure itself."""

        def on_message(payload: bytes, now: float) -> None:
            if not snapshot.done():
                snapshot.set_result(True)
            elif payload.startswith(EVENTS_FRAME):
                # Several events, tens of kB under M1: searched for an answer's type, they took a
                # third of the generator's time, and its stalls let bids leave in bursts.
                self.events_seen += 1
            elif b'"type":"ack"' in payload or b'"type":"error"' in payload:
                self.settle(json.loads(payload), now)
            else:
                self.events_seen += 1

        return on_message

    async def fire(self, seat: int, auction: dict, amount: str, scheduled: float) -> None:
        client_bid_id = uuid.uuid4().hex
        self.pending[client_bid_id] = (scheduled, auction["id"])
        self.sent += 1
        message = {"type": "bid", "amount": amount, "client_bid_id": client_bid_id}
        connection = self.seats[seat]
        try:
            if isinstance(connection, HttpConnection):
                status, body = await connection.post_json(
                    f"/auctions/{auction['id']}/bids",
                    message,
                    {"X-CSRFToken": connection.cookies["csrftoken"]},
                )
                body = body if isinstance(body, dict) else {}
                body.setdefault("type", "ack" if status == 200 else "error")
                body.setdefault("code", f"http_{status}")
                body["client_bid_id"] = client_bid_id
                self.settle(body, time.time())
            else:
                connection.send_text(json.dumps(message))
        except Exception as exc:  # noqa: BLE001  (a broken connection is a counted failure)
            if client_bid_id in self.pending:
                self.pending.pop(client_bid_id)
                self.errors["transport_" + type(exc).__name__] += 1

    async def drive(self, t0: float) -> None:
        auctions = self.spec["auctions"]
        for offset, seat, a, amount in bid_plan(self.spec):
            scheduled = t0 + offset
            await sleep_until(scheduled)
            task = asyncio.create_task(self.fire(seat, auctions[a], amount, scheduled))
            self.inflight.add(task)
            task.add_done_callback(self.inflight.discard)
        deadline = t0 + self.spec["deadline_s"]
        while (self.pending or self.inflight) and time.time() < deadline:
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        for task in self.inflight:
            task.cancel()
        for connection in self.seats.values():
            if isinstance(connection, HttpConnection):
                connection.close()
            else:
                connection.transport.abort()


async def run_bidders(spec: dict, start, ready, control) -> dict:
    state = BidderRun(spec)
    await state.open_seats()
    ready.put({"worker": spec["worker"], "seats": len(state.seats)})
    t0 = await wait_start(start)
    await state.drive(t0)
    unanswered = len(state.pending)
    await state.close()
    return {
        "worker": spec["worker"],
        "t0": t0,
        "sent": state.sent,
        "acked": len(state.acks),
        "errors": dict(state.errors),
        "unanswered": unanswered,
        "acks": state.acks,
        "latency": hist.encode(state.latency),
        "last_ack": max((a[2] for a in state.acks), default=t0),
        "events_seen": state.events_seen,
    }


class WatcherRun:
    """Sockets of one worker; receive times per (auction, seq), gaps, snapshots, closed events."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.recv: dict[int, dict[int, array]] = {}
        self.last: dict[int, int] = {}  # socket index → last seq seen
        self.base: dict[int, int] = {}  # socket index → seq of its first snapshot
        self.auction_of: dict[int, int] = {}
        self.gaps = 0
        self.retries = 0
        self.failed: Counter = Counter()
        self.snapshot_latency = hist.new()
        self.closed: list[tuple[int, float, dict]] = []
        self.sockets: dict[int, object] = {}
        self.tasks: list[asyncio.Task] = []
        self.deliveries = 0
        self.frames = 0  # frames that carried events (an `events` frame carries several)
        self.first_recv = self.last_recv = 0.0
        self.last_snapshot = 0.0

    async def watch(self, index: int, target: tuple, limit, scheduled: float | None) -> None:
        port, auction_id, session = target
        self.auction_of[index] = auction_id
        cookie = f"sessionid={session}" if session else None
        on_message = self._handler(index, auction_id, scheduled)
        attempts = 1 if scheduled is not None else CONNECT_ATTEMPTS  # a measured connect gets one try
        for attempt in range(attempts):
            try:
                async with limit:
                    if scheduled is not None:
                        await sleep_until(scheduled)
                    path = f"/ws/auctions/{auction_id}/"
                    self.sockets[index] = await open_watcher(
                        self.spec["host"], port, path, cookie, on_message, lambda: None
                    )
                return
            except Exception as exc:  # noqa: BLE001  (counted: a refused or timed-out connection)
                if attempt == attempts - 1:
                    self.failed[type(exc).__name__] += 1
                else:
                    self.retries += 1
                    await asyncio.sleep(0.5 * (attempt + 1))

    def _handler(self, index: int, auction_id: int, scheduled: float | None):
        times = self.recv.setdefault(auction_id, {})

        def on_event(frame: dict, now: float) -> None:
            seq = frame["seq"]
            last = self.last.get(index, 0)
            if seq <= last:
                return
            if seq != last + 1:
                self.gaps += 1
                self.sockets[index].send_text('{"type":"resync"}')
            self.last[index] = seq
            self.deliveries += 1
            self.first_recv = self.first_recv or now
            self.last_recv = now
            slot = times.get(seq)
            if slot is None:
                slot = times[seq] = array("d")
            slot.append(now)
            if frame.get("kind") == "closed":
                self.closed.append((auction_id, now, frame.get("data") or {}))

        def on_message(payload: bytes, now: float) -> None:
            frame = json.loads(payload)
            kind = frame.get("type")
            if kind == "event":
                self.frames += 1
                on_event(frame, now)
            elif kind == "events":  # several events ready together, in seq order
                self.frames += 1
                for event in frame["events"]:
                    on_event(event, now)
            elif kind == "snapshot":
                if index not in self.base:
                    self.base[index] = frame["seq"]
                    self.last_snapshot = now
                    if scheduled is not None:
                        hist.record_seconds(self.snapshot_latency, now - scheduled)
                self.last[index] = max(self.last.get(index, 0), frame["seq"])

        return on_message

    def behind(self, final: dict) -> int:
        return sum(1 for i, a in self.auction_of.items() if i in self.base and self.last.get(i, 0) < final.get(a, 0))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for protocol in self.sockets.values():
            if protocol.transport:
                protocol.transport.abort()


async def run_watchers(spec: dict, start, ready, control) -> dict:
    state = WatcherRun(spec)
    targets = [tuple(t) for t in spec["targets"]]
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)
    began = time.time()
    if spec.get("connect_rate"):  # connections themselves are the load: scheduled from t0
        ready.put({"worker": spec["worker"]})
        t0 = await wait_start(start)
        state.tasks = [
            asyncio.create_task(state.watch(i, t, limit, t0 + i / spec["connect_rate"])) for i, t in enumerate(targets)
        ]
        await asyncio.gather(*state.tasks)
        while len(state.base) + sum(state.failed.values()) < len(targets) and time.time() < t0 + spec["deadline_s"]:
            await asyncio.sleep(0.01)
        ready.put({"worker": spec["worker"], "all_in": time.time()})  # the harness stops waiting
    else:
        state.tasks = [asyncio.create_task(state.watch(i, t, limit, None)) for i, t in enumerate(targets)]
        deadline = time.time() + spec.get("connect_timeout_s", 60)
        while len(state.base) + sum(state.failed.values()) < len(targets) and time.time() < deadline:
            await asyncio.sleep(0.02)
        ready.put({"worker": spec["worker"], "connected": len(state.base), "connect_s": time.time() - began})
        t0 = await wait_start(start)
    message = await next_control(control, spec["deadline_s"]) or {}
    final, drain_deadline = message.get("final") or {}, time.time() + message.get("drain_s", 0)
    final = {int(k): v for k, v in final.items()}
    while final and state.behind(final) and time.time() < drain_deadline:
        await asyncio.sleep(0.01)
    if message.get("until_closed"):  # close-lag runs: every watched round must announce its close
        watched = set(state.auction_of.values())
        while {a for a, _, _ in state.closed} < watched and time.time() < drain_deadline:
            await asyncio.sleep(0.01)
    await state.close()
    return {
        "worker": spec["worker"],
        "t0": t0,
        "sockets": len(targets),
        "snapshots": len(state.base),
        "failed": dict(state.failed),
        "gaps": state.gaps,
        "retries": state.retries,
        "base": {i: (state.auction_of[i], b, state.last.get(i, b)) for i, b in state.base.items()},
        "recv": state.recv,
        "closed": state.closed,
        "deliveries": state.deliveries,
        "events_frames": state.frames,
        "first_recv": state.first_recv,
        "last_recv": state.last_recv,
        "last_snapshot": state.last_snapshot,
        "snapshot_latency": hist.encode(state.snapshot_latency),
    }

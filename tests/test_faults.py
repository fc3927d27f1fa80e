"""Fault injection on disposable PostgreSQL and Redis servers (tests/disposable.py), with real
daphne and clock processes: a daphne process killed mid-bidding, Redis restarted, PostgreSQL
restarted, a clock worker killed. After each, every acknowledged bid is in the database, every
client's view of the round matches the database, and no ledger entry is missing."""

import asyncio
import json
import os
import signal
import time
import uuid
from datetime import timedelta

import pytest
import websockets
from django.test import Client

from auctions import clock
from auctions.models import Auction, AuctionEvent, ServiceHeartbeat
from bidding.models import Bid
from lots.models import DisposalRecord
from payments import ledger
from payments.models import LedgerEntry, LedgerTransaction, Settlement
from tests import factories
from tests.test_bidder_pages import published
from tests.test_bidding_support import run_async, unbatched
from tests.test_payments_support import paid_bidder

pytestmark = pytest.mark.services

TIMEOUT = 30
# FAULT_RUNS=5 repeats every scenario (each is one run in `make test`, to keep the pass short).
RUNS = range(int(os.environ.get("FAULT_RUNS", "1")))
INCREMENT = 1000


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def until(condition, timeout: float = TIMEOUT, what: str = "condition"):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


class Peer:
    """A socket client that behaves as static/js/live.js does: it applies events in seq order,
    asks for a resync when it sees a gap, and reconnects with ?since=<last seq> (to any server)."""

    def __init__(self, auction_id: int, cookie: str | None = None):
        self.auction_id = auction_id
        self.headers = {"Cookie": cookie} if cookie else {}
        self.last_seq: int | None = None
        self.events: dict[int, tuple[str, str]] = {}  # seq -> (kind, data)
        self.answers: dict[str, dict] = {}  # client_bid_id -> ack or error frame
        self.resyncs = 0
        self.socket = None
        self.reader = None

    async def connect(self, base_url: str) -> None:
        url = base_url.replace("http://", "ws://") + f"/ws/auctions/{self.auction_id}/"
        if self.last_seq is not None:
            url += f"?since={self.last_seq}"
        self.socket = await websockets.connect(url, origin="http://127.0.0.1", additional_headers=self.headers)
        self.reader = asyncio.get_running_loop().create_task(self._read(self.socket))

    async def _read(self, socket) -> None:
        try:
            async for text in socket:
                for frame in unbatched(json.loads(text)):
                    await self._apply(frame)
        except websockets.ConnectionClosed:
            pass
        finally:
            if self.socket is socket:
                self.socket = None

    async def _apply(self, frame: dict) -> None:
        if frame["type"] == "snapshot":
            self.last_seq = frame["seq"]
        elif frame["type"] == "event":
            seq = frame["seq"]
            if self.last_seq is None or seq <= self.last_seq:
                return
            if seq > self.last_seq + 1:  # a gap: ask for the state again, as the page does
                self.resyncs += 1
                await self.socket.send(json.dumps({"type": "resync"}))
                return
            self.last_seq = seq
            self.events[seq] = (frame["kind"], json.dumps(frame["data"], sort_keys=True))
        elif frame["type"] in ("ack", "error") and frame.get("client_bid_id"):
            self.answers[frame["client_bid_id"]] = frame

    @property
    def connected(self) -> bool:
        return self.socket is not None

    async def send_bid(self, amount: str, client_bid_id: str) -> None:
        await self.socket.send(json.dumps({"type": "bid", "amount": amount, "client_bid_id": client_bid_id}))

    async def bid(self, amount: str, client_bid_id: str | None = None, timeout: float = TIMEOUT) -> dict:
        """Sends a bid and returns its answer, or {"type": "closed"} if the socket dropped first."""
        client_bid_id = client_bid_id or str(uuid.uuid4())
        self.answers.pop(client_bid_id, None)
        await self.send_bid(amount, client_bid_id)
        await until(lambda: client_bid_id in self.answers or not self.connected, timeout, f"answer to {amount}")
        return self.answers.get(client_bid_id, {"type": "closed", "client_bid_id": client_bid_id})

    def acks(self) -> dict[str, dict]:
        return {key: frame for key, frame in self.answers.items() if frame["type"] == "ack"}

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()


def stored_events(auction) -> dict[int, tuple[str, str]]:
    return {
        e.seq: (e.kind, json.dumps(e.payload, sort_keys=True))
        for e in AuctionEvent.objects.filter(auction=auction).order_by("seq")
    }


def assert_acks_stored(peers, auction) -> None:
    """Every acknowledged bid is stored with the amount, bid seq and event seq it was acked with."""
    stored = {b.client_bid_id: b for b in Bid.objects.filter(auction=auction)}
    for peer in peers:
        for client_bid_id, ack in peer.acks().items():
            bid = stored.get(client_bid_id)
            assert bid is not None, f"acknowledged bid {client_bid_id} is missing"
            assert (str(bid.amount.amount), bid.seq) == (ack["bid"]["amount"], ack["bid"]["seq"])


def assert_views_match(peers, auction) -> None:
    """Each client is at the round's last event, and every event it applied is the stored one."""
    stored = stored_events(auction)
    last = max(stored)
    for peer in peers:
        assert peer.last_seq == last
        for seq, event in peer.events.items():
            assert stored[seq] == event


def ledger_entries() -> set[tuple]:
    return set(LedgerEntry.objects.values_list("id", "transaction_id", "account_id", "amount"))


def assert_ledger_intact(before: set[tuple]) -> None:
    assert before <= ledger_entries(), "a ledger entry is missing"
    assert ledger.unbalanced_transactions() == []


def live_round(ends_in=timedelta(hours=2)):
    lot = factories.make_lot(factories.make_case(factories.make_court()))
    return published(factories.make_auction(lot, ends_in=ends_in, increment=INCREMENT))


def paid(auction, *names):
    """Bidders whose deposits went through the sandbox provider (so the ledger holds them)."""
    users = [paid_bidder(auction, name)[0] for name in names]
    return users, {user.username: session_cookie(user) for user in users}


async def catch_up_and_close(peers, seq: int, what: str = "every client to catch up") -> None:
    """Waits until every client has applied the event `seq`, then closes their sockets."""
    await until(lambda: all(p.last_seq == seq for p in peers), what=what)
    for peer in peers:
        await peer.close()


def fault_round(disposable_services, ends_in=timedelta(hours=2)):
    """A scenario's set-up: the child processes' environment (pointing at the disposable servers),
    a live round and the session cookies of its two paid bidders, alice and dave."""
    env = disposable_services.child_env()
    auction = live_round(ends_in=ends_in)
    _users, cookies = paid(auction, "alice", "dave")
    return env, auction, cookies


def assert_nothing_lost(auction, peers, ledger_before: set[tuple], *, bids: int, watching=None) -> None:
    """After a fault: the round holds `bids` bids, every acknowledged bid is stored as acked, every
    client still watching (all `peers` unless given) sees the round as the database has it, and no
    ledger entry is missing."""
    assert Bid.objects.filter(auction=auction).count() == bids
    assert_acks_stored(peers, auction)
    assert_views_match(peers if watching is None else watching, auction)
    assert_ledger_intact(ledger_before)


def amount(n: int) -> str:
    return f"{80_000 + INCREMENT * n}.00"


async def bid_until_acked(peer, price: str, servers_to_try, client_bid_id=None, attempts: int = 30) -> dict:
    """Bids (the same client_bid_id every time: a repeat is never a second bid) until acked,
    reconnecting to the next server when the socket is gone."""
    client_bid_id = client_bid_id or str(uuid.uuid4())
    answer, seen = {}, []
    for attempt in range(attempts):
        if not peer.connected:
            try:
                await peer.connect(servers_to_try[attempt % len(servers_to_try)])
            except OSError:
                await asyncio.sleep(0.5)
                continue
        answer = await peer.bid(price, client_bid_id)
        if answer["type"] == "ack":
            return answer
        seen.append(answer.get("code", answer["type"]))
        await asyncio.sleep(0.3)
    raise AssertionError(f"bid {price} never acknowledged: {seen}")


def daphne_process(live_processes):
    """The process `live_processes.daphne()` has just started."""
    return live_processes.processes[-1]


# --- kill -9 a daphne process mid-bidding -----------------------------------------------------
@pytest.mark.parametrize("run", RUNS)
def test_daphne_killed_mid_bidding_clients_reconnect_to_the_other_and_resync(disposable_services, live_processes, run):
    env, auction, cookies = fault_round(disposable_services)
    entries = ledger_entries()
    server_a = live_processes.daphne(**env)
    process_a = daphne_process(live_processes)
    server_b = live_processes.daphne(**env)

    async def scenario():
        bidder_a, bidder_b = Peer(auction.pk, cookies["alice"]), Peer(auction.pk, cookies["dave"])
        watcher_a, watcher_b = Peer(auction.pk), Peer(auction.pk)
        for peer, server in ((bidder_a, server_a), (watcher_a, server_a), (bidder_b, server_b), (watcher_b, server_b)):
            await peer.connect(server)
        await until(lambda: all(p.last_seq is not None for p in (bidder_a, bidder_b, watcher_a, watcher_b)))
        turns = [(bidder_a, [server_a, server_b]), (bidder_b, [server_b])]
        for n in range(4):
            peer, servers_ = turns[n % 2]
            await bid_until_acked(peer, amount(n), servers_)
        # Alice's next bid is in flight when her server dies.
        in_flight = str(uuid.uuid4())
        await bidder_a.send_bid(amount(4), in_flight)
        process_a.send_signal(signal.SIGKILL)
        await asyncio.to_thread(process_a.wait, 10)
        await until(lambda: not bidder_a.connected and not watcher_a.connected, what="server A's sockets to drop")
        await watcher_a.connect(server_b)  # reconnects with ?since= to the other server
        await bid_until_acked(bidder_a, amount(4), [server_b], client_bid_id=in_flight)  # the same bid again
        for n in range(5, 8):
            peer, _servers = turns[n % 2]
            final = (await bid_until_acked(peer, amount(n), [server_b]))["seq"]
        peers = (bidder_a, bidder_b, watcher_a, watcher_b)
        await catch_up_and_close(peers, final)
        return peers

    peers = run_async(scenario)
    assert_nothing_lost(auction, peers, entries, bids=8)


# --- restart Redis ----------------------------------------------------------------------------
@pytest.mark.parametrize("run", RUNS)
def test_redis_restart_broadcasts_resume_and_clients_resync(disposable_services, live_processes, run):
    env, auction, cookies = fault_round(disposable_services)
    entries = ledger_entries()
    server_a, server_b = live_processes.daphne(**env), live_processes.daphne(**env)

    async def scenario():
        bidder_a, bidder_b = Peer(auction.pk, cookies["alice"]), Peer(auction.pk, cookies["dave"])
        watchers = [Peer(auction.pk) for _ in range(2)]
        pairs = ((bidder_a, server_a), (bidder_b, server_b), (watchers[0], server_a), (watchers[1], server_b))
        for peer, server in pairs:
            await peer.connect(server)
        peers = [p for p, _ in pairs]
        await until(lambda: all(p.last_seq is not None for p in peers))
        turns = [(bidder_a, [server_a]), (bidder_b, [server_b])]
        for n in range(3):
            peer, servers_ = turns[n % 2]
            await bid_until_acked(peer, amount(n), servers_)
        await until(lambda: all(p.last_seq == 3 for p in peers), what="the first bids everywhere")
        await asyncio.to_thread(disposable_services.redis.restart)  # every subscription is lost
        for n in range(3, 7):
            peer, servers_ = turns[n % 2]
            final = (await bid_until_acked(peer, amount(n), servers_))["seq"]
        await until(lambda: all(p.last_seq == final for p in peers), what="broadcasts to resume")
        # Broadcasts flow again through Redis: one more bid reaches the other server's clients.
        await bid_until_acked(bidder_b, amount(7), [server_b])
        await catch_up_and_close(peers, final + 1, what="a broadcast after the restart")
        return peers

    peers = run_async(scenario)
    assert_nothing_lost(auction, peers, entries, bids=8)


# --- restart PostgreSQL -----------------------------------------------------------------------
@pytest.mark.parametrize("run", RUNS)
def test_postgres_restart_bids_fail_clearly_then_resume(disposable_services, live_processes, run):
    env, auction, cookies = fault_round(disposable_services)
    entries = ledger_entries()
    server = live_processes.daphne(**env)

    async def scenario():
        bidder_a, bidder_b = Peer(auction.pk, cookies["alice"]), Peer(auction.pk, cookies["dave"])
        watcher = Peer(auction.pk)
        peers = (bidder_a, bidder_b, watcher)
        for peer in peers:
            await peer.connect(server)
        await until(lambda: all(p.last_seq is not None for p in peers))
        await bid_until_acked(bidder_a, amount(0), [server])
        await bid_until_acked(bidder_b, amount(1), [server])
        await asyncio.to_thread(disposable_services.postgres.stop)
        try:
            during = await bidder_a.bid(amount(2), timeout=45)  # answered, not left hanging
        finally:
            await asyncio.to_thread(disposable_services.postgres.start)
        await bid_until_acked(bidder_a, amount(2), [server])
        final = (await bid_until_acked(bidder_b, amount(3), [server]))["seq"]
        await catch_up_and_close(peers, final)
        return peers, during

    peers, during = run_async(scenario)
    disposable_services.postgres.forget_connections()
    assert during["type"] == "error" and during["code"] == "unavailable" and during["rule"] == "FA7"
    assert_nothing_lost(auction, peers, entries, bids=4)


# --- kill the clock worker --------------------------------------------------------------------
def wait_for(condition, timeout: float = TIMEOUT, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize("run", RUNS)
def test_clock_worker_killed_the_other_closes_the_round(disposable_services, live_processes, run):
    env, auction, cookies = fault_round(disposable_services, ends_in=timedelta(hours=1))
    server = live_processes.daphne(**env)
    first = live_processes.command("auction_clock", **env)
    live_processes.command("auction_clock", **env)
    wait_for(lambda: ServiceHeartbeat.objects.filter(role=ServiceHeartbeat.Role.CLOCK).count() == 2, what="clocks")

    async def scenario():
        bidder = Peer(auction.pk, cookies["alice"])
        await bidder.connect(server)
        await until(lambda: bidder.last_seq is not None)
        ack = await bid_until_acked(bidder, amount(0), [server])
        await bidder.close()
        return bidder, ack

    bidder, _ack = run_async(scenario)
    entries = ledger_entries()
    # The end comes near; one clock worker dies just before it, without a chance to clean up.
    Auction.objects.filter(pk=auction.pk).update(ends_at=clock.now() + timedelta(seconds=3))
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    wait_for(lambda: Auction.objects.get(pk=auction.pk).status == Auction.Status.SOLD, what="the close")
    closed = Auction.objects.get(pk=auction.pk)
    assert closed.closed_at >= closed.ends_at
    assert AuctionEvent.objects.filter(auction=auction, kind="closed").count() == 1
    assert DisposalRecord.objects.filter(auction=auction, kind=DisposalRecord.Kind.ROUND_SOLD).count() == 1
    assert Settlement.objects.filter(auction=auction).count() == 1
    applied = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.APPLY, auction=auction)
    assert applied.count() == 1  # the winner's deposit moved to the proceeds once
    # The bidder left before the close, so there is no client view to compare.
    assert_nothing_lost(auction, [bidder], entries, bids=1, watching=[])

"""Two real daphne processes on Redis: bidders and watchers on either server see the same events
in the same order, whichever server took each bid (issue 4, item 8), and the close published by a
third process (here: the test, as the clock worker would) reaches them all."""

import asyncio
import json
from datetime import timedelta
from decimal import Decimal

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.test import Client

from auctions import clock, lifecycle
from auctions.models import Auction
from tests import factories
from tests.test_bidding_support import run_async, unbatched

WATCHERS_PER_SERVER = 3
BIDS_PER_BIDDER = 8
TIMEOUT = 15


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


class Peer:
    """A websocket client that records every frame it gets."""

    def __init__(self, base_url: str, auction_id: int, cookie: str | None = None):
        self.url = base_url.replace("http://", "ws://") + f"/ws/auctions/{auction_id}/"
        self.headers = {"Cookie": cookie} if cookie else {}
        self.frames: list[dict] = []
        self.socket = None

    async def open(self):
        self.socket = await websockets.connect(self.url, origin="http://127.0.0.1", additional_headers=self.headers)
        self.frames.append(json.loads(await asyncio.wait_for(self.socket.recv(), TIMEOUT)))
        asyncio.get_running_loop().create_task(self._read())

    async def _read(self):
        async for text in self.socket:
            self.frames += unbatched(json.loads(text))

    def events(self) -> list[tuple]:
        return [
            (f["seq"], f["kind"], json.dumps(f["data"], sort_keys=True)) for f in self.frames if f["type"] == "event"
        ]

    def of_type(self, kind: str) -> list[dict]:
        return [frame for frame in self.frames if frame["type"] == kind]


async def until(condition, timeout: float = TIMEOUT):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.mark.services
def test_two_daphne_processes_deliver_identical_event_sequences(live_processes, monkeypatch):
    monkeypatch.setattr("auctions.handoff.round_closed", lambda auction: None)
    lot = factories.make_lot(factories.make_case(factories.make_court()))
    auction = factories.make_auction(lot)
    alice, dave = factories.make_bidder("alice"), factories.make_bidder("dave")
    for user in (alice, dave):
        factories.register(auction, user, secured=True)
    cookies = {user.username: session_cookie(user) for user in (alice, dave)}
    server_a, server_b = live_processes.daphne(), live_processes.daphne()

    def close_round():
        Auction.objects.filter(pk=auction.pk).update(ends_at=clock.now())
        with clock.travel(timedelta(seconds=1)):
            return lifecycle.do_close_auction(auction.pk)

    async def scenario():
        bidder_a = Peer(server_a, auction.pk, cookies["alice"])
        bidder_b = Peer(server_b, auction.pk, cookies["dave"])
        watchers = [Peer(server, auction.pk) for server in (server_a, server_b) for _ in range(WATCHERS_PER_SERVER)]
        peers = [bidder_a, bidder_b, *watchers]
        for peer in peers:
            await peer.open()
        # Both bidders fire at once, through different servers: some bids race and lose.
        for n in range(BIDS_PER_BIDDER):
            for peer, offset in ((bidder_a, 0), (bidder_b, 1000)):
                amount = 80_000 + 2_000 * n + offset
                await peer.socket.send(json.dumps({"type": "bid", "amount": f"{amount}.00", "client_bid_id": f"{n}"}))
            await asyncio.sleep(0.3)  # below the per-user limit of 5 bids a second
        await until(
            lambda: all(
                len(p.of_type("ack")) + len(p.of_type("error")) == BIDS_PER_BIDDER for p in (bidder_a, bidder_b)
            )
        )
        accepted = len(bidder_a.of_type("ack")) + len(bidder_b.of_type("ack"))
        await until(lambda: all(len(p.events()) == accepted for p in peers))
        result = await sync_to_async(close_round)()
        await until(lambda: all(len(p.events()) == accepted + 1 for p in peers))
        for peer in peers:
            await peer.socket.close()
        return peers, accepted, result

    peers, accepted, result = run_async(scenario)
    assert result == "sold" and accepted >= BIDS_PER_BIDDER
    reference = peers[0].events()
    assert [seq for seq, _kind, _data in reference] == list(range(1, accepted + 2))
    assert reference[-1][1] == "closed"
    for peer in peers[1:]:
        assert peer.events() == reference
    amounts = [json.loads(data)["amount"] for _seq, kind, data in reference if kind == "bid"]
    assert [Decimal(a) for a in amounts] == sorted(Decimal(a) for a in amounts)
    assert {p.of_type("snapshot")[0]["seq"] for p in peers} == {0}

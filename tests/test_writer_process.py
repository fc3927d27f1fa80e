"""The bid writer in a process of its own (bidding/writer_process.py, `BID_WRITER=process`, the
default): bids cross to a real writer process and their answers come back after commit, refusals
keep their code, rule and language, the writer's events reach this process's watchers (through
Redis, or without it relayed with the answers), the writer's metrics reach the daphne process, and
a writer process that dies answers what it held "unavailable" and is replaced.

Personas (tests/conftest.py): alice and dave (registered, deposit secured), bob (registered, no deposit), charlie
(outsider)."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError
from prometheus_client import REGISTRY

from bidding import fanout, services, writer
from bidding.errors import BidError, not_registered
from bidding.models import Bid
from bidding.routing import websocket_urlpatterns
from bidding.writer_process import WriterProcess, portable
from tests.test_bidding_support import run_async

TIMEOUT = 30  # the first bid waits for the writer process to start Django


@pytest.fixture
def process_writer():
    bid_writer = WriterProcess()
    bid_writer.start()
    yield bid_writer
    bid_writer.child.process.kill()
    bid_writer.child.process.wait(TIMEOUT)


def outcome(future):
    try:
        return future.result(timeout=TIMEOUT)
    except BidError as error:
        return error


def commits_counted() -> float:
    return REGISTRY.get_sample_value("auction_bid_commit_seconds_count") or 0.0


@pytest.mark.django_db(transaction=True)
def test_bids_decided_by_the_writer_process_are_answered_after_commit(
    process_writer, live_auction, alice, dave, bob, charlie
):
    at = live_auction.starts_at + timedelta(hours=1)
    commits = commits_counted()
    futures = [
        process_writer.submit(alice, live_auction.pk, "80000", "p1", at),
        process_writer.submit(dave, live_auction.pk, "81000", "p2", at + timedelta(milliseconds=1)),
        process_writer.submit(bob, live_auction.pk, "82000", "p3", at + timedelta(milliseconds=2)),  # BD1
        process_writer.submit(charlie, live_auction.pk, "82000", "p4", at + timedelta(milliseconds=3)),  # BD3
        process_writer.submit(AnonymousUser(), live_auction.pk, "82000", "p5", at + timedelta(milliseconds=4)),
    ]
    outcomes = [outcome(future) for future in futures]
    assert [o.bid_seq if isinstance(o, services.BidResult) else o.code for o in outcomes] == [
        1,
        2,
        "deposit_missing",
        "not_registered",
        "not_authenticated",
    ]
    assert outcomes[2].rule == "BD1"
    assert process_writer.child.process.pid != os.getpid()
    stored = list(Bid.objects.filter(auction=live_auction).order_by("seq").values_list("client_bid_id", flat=True))
    assert stored == ["p1", "p2"]
    assert commits_counted() > commits  # the writer process's metrics are observed here


@pytest.mark.django_db(transaction=True)
def test_the_writer_process_words_a_refusal_in_the_bidders_language(process_writer, live_auction, alice, dave):
    at = live_auction.starts_at + timedelta(hours=1)
    process_writer.submit(alice, live_auction.pk, "80000", "l1", at).result(timeout=TIMEOUT)

    async def too_low_in(language):
        future = asyncio.get_running_loop().create_future()
        entry, _ = writer.prepare(dave, live_auction.pk, "80000", "", at + timedelta(seconds=1), future, language)
        process_writer.submit_together([entry])
        try:
            await future
        except BidError as error:
            return error.code, str(error.message)

    assert run_async(too_low_in, "en") == ("too_low", "The bid may not be lower than ¥81000.00")
    assert run_async(too_low_in, "zh-hans") == ("too_low", "出价不得低于 ¥81000.00")


@pytest.mark.django_db(transaction=True)
def test_bids_held_by_a_writer_process_that_dies_are_unavailable_and_the_next_gets_a_new_one(
    process_writer, live_auction, alice, dave
):
    at = live_auction.starts_at + timedelta(hours=1)
    process_writer.submit(alice, live_auction.pk, "80000", "d1", at).result(timeout=TIMEOUT)
    first = process_writer.child
    first.process.send_signal(signal.SIGSTOP)  # it holds the next bid without deciding it
    held = process_writer.submit(dave, live_auction.pk, "81000", "d2", at + timedelta(milliseconds=1))
    deadline = time.monotonic() + TIMEOUT
    while first.waiting == {} and time.monotonic() < deadline:
        time.sleep(0.01)
    first.process.kill()
    error = outcome(held)
    assert (error.code, error.rule) == ("unavailable", "FA7")
    again = process_writer.submit(dave, live_auction.pk, "81000", "d2", at + timedelta(milliseconds=2))
    assert outcome(again).bid_seq == 2
    assert process_writer.child is not first and process_writer.child.process.pid != first.process.pid


@pytest.mark.django_db(transaction=True)
def test_the_writer_process_s_events_reach_this_process_s_watchers_without_the_tail(
    process_writer, live_auction, alice, monkeypatch
):
    # The hub's tail of the event table would find the event too, later: here it never runs, so
    # the event must come by Redis or, embedded, with the bid's answer.
    monkeypatch.setattr(fanout, "TAIL_EVERY_EMBEDDED", 3600)
    monkeypatch.setattr(fanout, "TAIL_EVERY_REDIS", 3600)

    async def scenario():
        watcher = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/auctions/{live_auction.pk}/")
        watcher.scope["user"] = AnonymousUser()
        await watcher.connect(timeout=TIMEOUT)
        snapshot = await watcher.receive_json_from(timeout=TIMEOUT)
        at = live_auction.starts_at + timedelta(hours=1)
        await asyncio.wrap_future(process_writer.submit(alice, live_auction.pk, "80000", "e1", at))
        event = await watcher.receive_json_from(timeout=TIMEOUT)
        await watcher.disconnect()
        return snapshot, event

    snapshot, event = run_async(scenario)
    assert snapshot["seq"] == 0
    assert (event["kind"], event["seq"], event["data"]["amount"]) == ("bid", 1, "80000.00")


@pytest.mark.backend_neutral
def test_what_crosses_back_keeps_refusals_and_outages_and_names_other_errors():
    refusal = not_registered()
    assert portable(refusal) is refusal
    outage = portable(OperationalError("connection refused"))
    assert type(outage) is OperationalError and str(outage) == "connection refused"
    other = portable(KeyError("x"))
    assert type(other) is RuntimeError and "KeyError" in str(other)


@pytest.mark.backend_neutral
def test_an_unknown_bid_writer_is_refused_at_start():
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env=os.environ | {"BID_WRITER": "threads", "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
    )
    assert started.returncode != 0
    assert 'BID_WRITER must be "process" or "thread"' in started.stderr

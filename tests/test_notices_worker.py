"""The real delivery path, with PostgreSQL and Redis: bids committed in this process hand the
outbid task to the enqueuing thread, huey's Redis queue carries it, a `run_huey` worker process
writes the notification and sends its email once."""

import time

import pytest
from huey.contrib.djhuey import HUEY

from auctions import lifecycle
from bidding import services
from notices.models import Kind, Notification
from tests import factories
from tests.test_public_support import lot_for, published_round

pytestmark = pytest.mark.services

WAIT_SECONDS = 60


@pytest.fixture
def real_queue():
    """Tasks go to the Redis queue, as in production, for this test only."""
    HUEY.immediate = False
    HUEY.flush()
    yield HUEY
    HUEY.flush()
    HUEY.immediate = True


def wait_for(check):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError("the worker did not deliver in time")


def test_a_worker_process_delivers_the_outbid_notice_and_its_email_once(live_processes, real_queue, court):
    auction = published_round(lot_for(court, title="工作进程送达测试"))
    lifecycle.do_open_round(auction.pk)
    alice, bob = factories.make_bidder("alice"), factories.make_bidder("bob")
    alice.email = "alice@example.com"
    alice.save(update_fields=["email"])
    for user in (alice, bob):
        factories.register(auction, user, secured=True)
    live_processes.command("run_huey", "--workers", "2")

    services.check_place_bid(alice, auction.pk, "80000.00", "a-1")
    services.check_place_bid(bob, auction.pk, "81000.00", "b-1")

    note = wait_for(lambda: Notification.objects.filter(kind=Kind.OUTBID, email=Notification.Email.SENT).first())
    assert note.user == alice and note.key == f"outbid:{auction.pk}:2" and note.email_attempts == 1
    time.sleep(1)  # let any stray duplicate task run before counting
    assert Notification.objects.filter(kind=Kind.OUTBID).count() == 1
    assert not Notification.objects.filter(user=bob, kind=Kind.OUTBID).exists()

"""FA7: the platform's own outages extend the rounds whose final 5 minutes they overlapped
(auctions/outage.py). Service and clock-watch tests in one process; the multi-process test that
stops the bid path is in tests/test_outage_live.py."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, OperationalError

from auctions import clock, outage
from auctions.models import Auction, AuctionEvent, OutageWindow, ServiceHeartbeat
from lots.models import DisposalRecord
from tests import factories

T = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)  # the round's end in every test
MINUTE, SECOND = timedelta(minutes=1), timedelta(seconds=1)
Cause = OutageWindow.Cause
pytestmark = pytest.mark.django_db


@pytest.fixture
def round_ending_at_t(lot):
    with clock.frozen(T - timedelta(hours=2)):
        return factories.make_auction(lot, ends_in=timedelta(hours=2))


def ends_at(auction) -> datetime:
    return Auction.objects.get(pk=auction.pk).ends_at


def report(cause, started, ended, at=None):
    with clock.frozen(at or ended):
        return outage.report_outage(cause, started, ended)


def test_fa7_outage_in_final_window_extends_to_five_minutes_after_recovery(round_ending_at_t):
    window = report(Cause.DATABASE, T - 3 * MINUTE, T - MINUTE)
    assert ends_at(round_ending_at_t) == T + 4 * MINUTE
    window.refresh_from_db()
    assert window.applied_at is not None and window.extended_rounds == 1


def test_fa7_extension_is_published_as_a_round_event_with_its_reason(round_ending_at_t):
    report(Cause.WEB_DOWN, T - 2 * MINUTE, T + MINUTE)
    event = AuctionEvent.objects.get(auction=round_ending_at_t, kind="extended")
    assert event.payload["rule"] == "FA7"
    assert event.payload["ends_at"].startswith("2026-05-01T02:06:00")
    assert event.payload["outage"]["cause"] == "web_down"
    assert event.payload["outage"]["previous_ends_at"].startswith("2026-05-01T02:00:00")
    notice = Auction.objects.get(pk=round_ending_at_t.pk).outage_notice
    assert notice.cause == "web_down" and notice.ends_at == T + 6 * MINUTE
    assert notice.started_at == T - 2 * MINUTE and notice.ended_at == T + MINUTE


def test_fa7_extension_is_recorded_in_the_disposal_record(round_ending_at_t):
    window = report(Cause.DATABASE, T - 3 * MINUTE, T - MINUTE)
    record = DisposalRecord.objects.get(auction=round_ending_at_t, kind=DisposalRecord.Kind.OUTAGE_EXTENSION)
    assert record.detail["outage_id"] == window.pk
    assert record.detail["cause"] == "database"
    assert record.detail["ends_at"].startswith("2026-05-01T02:04:00")
    assert "FA7" in record.detail["reason"] and "数据库不可用" in record.detail["reason"]


def test_fa7_outage_ending_exactly_when_final_window_opens_extends_nothing(round_ending_at_t):
    report(Cause.DATABASE, T - 20 * MINUTE, T - 5 * MINUTE)
    assert ends_at(round_ending_at_t) == T
    assert not DisposalRecord.objects.filter(kind=DisposalRecord.Kind.OUTAGE_EXTENSION).exists()


def test_fa7_outage_ending_one_second_into_final_window_extends_by_one_second(round_ending_at_t):
    report(Cause.DATABASE, T - 20 * MINUTE, T - 5 * MINUTE + SECOND)
    assert ends_at(round_ending_at_t) == T + SECOND


def test_fa7_outage_starting_at_the_end_extends_nothing_one_second_earlier_does(lot):
    with clock.frozen(T - timedelta(hours=2)):
        at_end = factories.make_auction(lot, ends_in=timedelta(hours=2))
        lot2 = factories.make_lot(lot.case)
        before_end = factories.make_auction(lot2, ends_in=timedelta(hours=2))
    report(Cause.WEB_DOWN, T, T + 2 * MINUTE)
    assert ends_at(at_end) == T
    Auction.objects.filter(pk=at_end.pk).update(status=Auction.Status.SOLD)  # closed on time
    report(Cause.WEB_DOWN, T - SECOND, T + 2 * MINUTE)
    assert ends_at(before_end) == T + 7 * MINUTE


def test_fa7_applying_a_window_twice_extends_once(round_ending_at_t):
    window = report(Cause.DATABASE, T - 3 * MINUTE, T - MINUTE)
    OutageWindow.objects.filter(pk=window.pk).update(applied_at=None)
    with clock.frozen(T):
        assert outage.apply_window(window.pk) == 0
    assert ends_at(round_ending_at_t) == T + 4 * MINUTE
    assert AuctionEvent.objects.filter(auction=round_ending_at_t, kind="extended").count() == 1


def test_fa7_suspended_and_closed_rounds_are_not_extended(lot):
    with clock.frozen(T - timedelta(hours=2)):
        suspended = factories.make_auction(lot, status=Auction.Status.SUSPENDED, ends_in=timedelta(hours=2))
        sold = factories.make_auction(
            factories.make_lot(lot.case), status=Auction.Status.SOLD, ends_in=timedelta(hours=2)
        )
    report(Cause.DATABASE, T - 3 * MINUTE, T - MINUTE)
    assert ends_at(suspended) == T and ends_at(sold) == T


def test_fa7_an_outage_must_last(round_ending_at_t):
    assert report(Cause.DATABASE, T - MINUTE, T - MINUTE) is None
    assert ends_at(round_ending_at_t) == T


# --- The bid path's hook ------------------------------------------------------------------------
def test_fa7_bid_path_database_failures_are_reported_with_the_next_heartbeat(round_ending_at_t):
    assert outage.bid_path_failed(OperationalError("connection refused"), T - 2 * MINUTE)
    assert outage.bid_path_failed(OperationalError("connection refused"), T - MINUTE)
    with clock.frozen(T - 30 * SECOND):
        window = outage.flush_bid_path_failures("web-1")
        assert outage.flush_bid_path_failures("web-1") is None  # reported once
    assert (window.cause, window.started_at, window.ended_at) == (Cause.DATABASE, T - 2 * MINUTE, T - 30 * SECOND)
    assert ends_at(round_ending_at_t) == T + 4 * MINUTE + 30 * SECOND


def test_fa7_refused_writes_are_not_outages():
    assert not outage.bid_path_failed(IntegrityError("duplicate"), T)
    assert not outage.bid_path_failed(ValueError("bad"), T)
    assert outage.flush_bid_path_failures("web-1") is None


# --- The clock's watch --------------------------------------------------------------------------
def web_beat(at, name="web-1"):
    with clock.frozen(at):
        outage.beat(name, ServiceHeartbeat.Role.WEB, at)


def check(monitor, at):
    with clock.frozen(at):
        monitor.check()


def close_due(at):
    with clock.frozen(at):
        return outage.close_due_rounds()


def test_fa7_clock_opens_an_outage_when_no_web_process_beats_and_extends_at_recovery(round_ending_at_t):
    monitor = outage.Monitor("clock-1", stall_after=timedelta(hours=1))  # ticks are skipped here
    web_beat(T - 2 * MINUTE)
    check(monitor, T - 2 * MINUTE + SECOND)
    assert not OutageWindow.objects.exists()
    check(monitor, T - 2 * MINUTE + outage.WEB_STALE_AFTER + SECOND)  # every web process is gone
    window = OutageWindow.objects.get()
    assert (window.cause, window.started_at, window.ended_at) == (Cause.WEB_DOWN, T - 2 * MINUTE, None)
    # The round's end passes while bids cannot be placed: it must not close.
    assert close_due(T + MINUTE) == 0
    assert Auction.objects.get(pk=round_ending_at_t.pk).status == Auction.Status.LIVE
    web_beat(T + 2 * MINUTE)  # a web process is back
    check(monitor, T + 2 * MINUTE + SECOND)
    window.refresh_from_db()
    assert window.ended_at == T + 2 * MINUTE + SECOND and window.applied_at is not None
    assert ends_at(round_ending_at_t) == T + 7 * MINUTE + SECOND
    assert close_due(T + 3 * MINUTE) == 0


def test_fa7_two_clock_workers_open_one_outage(round_ending_at_t):
    web_beat(T - 2 * MINUTE)
    for name in ("clock-1", "clock-2"):
        check(outage.Monitor(name), T - MINUTE)
    assert OutageWindow.objects.filter(cause=Cause.WEB_DOWN).count() == 1


def test_fa7_a_round_closes_only_once_a_web_process_was_alive_after_its_end(round_ending_at_t):
    web_beat(T - SECOND)
    assert close_due(T + SECOND) == 0  # the web tier was last seen before the end
    web_beat(T + SECOND)
    assert close_due(T + SECOND + outage.CLOSE_GRACE) == 1
    assert Auction.objects.get(pk=round_ending_at_t.pk).status == Auction.Status.FAILED


def test_fa7_without_any_web_heartbeat_the_clock_closes_as_before(round_ending_at_t):
    assert close_due(T + SECOND) == 1


def test_fa7_a_stalled_clock_records_the_stall_and_extends(round_ending_at_t):
    monitor = outage.Monitor("clock-1", stall_after=10 * SECOND)
    check(monitor, T - 2 * MINUTE)
    check(monitor, T - 2 * MINUTE + 10 * SECOND)  # exactly the limit: no stall
    assert not OutageWindow.objects.exists()
    check(monitor, T - MINUTE + 11 * SECOND)  # 11 s without a tick
    window = OutageWindow.objects.get()
    assert (window.cause, window.started_at) == (Cause.CLOCK_STALLED, T - 2 * MINUTE + 10 * SECOND)
    assert ends_at(round_ending_at_t) == T + 4 * MINUTE + 11 * SECOND


def test_fa7_the_clock_records_its_own_database_outage(round_ending_at_t, monkeypatch):
    monitor = outage.Monitor("clock-1")
    check(monitor, T - 3 * MINUTE)

    def refused(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(outage, "beat", refused)
        monitor.last_beat = None
        with pytest.raises(OperationalError):
            check(monitor, T - 2 * MINUTE)
    check(monitor, T - MINUTE)
    window = OutageWindow.objects.get()
    assert (window.cause, window.started_at, window.ended_at) == (Cause.DATABASE, T - 3 * MINUTE, T - MINUTE)
    assert ends_at(round_ending_at_t) == T + 4 * MINUTE


def test_fa7_heartbeat_updates_one_row_per_process():
    web_beat(T)
    web_beat(T + SECOND)
    heartbeat = ServiceHeartbeat.objects.get()
    assert heartbeat.beat_at == T + SECOND and heartbeat.started_at == T
    assert outage.latest_web_beat() == T + SECOND


def test_fa7_web_heartbeat_starts_only_under_daphne(monkeypatch):
    monkeypatch.setattr("sys.argv", ["/srv/.venv/bin/pytest"])
    assert not outage.running_under_daphne()
    monkeypatch.setattr("sys.argv", ["/srv/.venv/lib/python3.11/site-packages/daphne/__main__.py"])
    assert outage.running_under_daphne()
    monkeypatch.setattr("sys.argv", ["/srv/.venv/bin/daphne"])
    assert outage.running_under_daphne()

"""FA7: protection against the platform's own outages.

The service keeps a record of whether it was able to accept bids:

- every web process (daphne: the bidding socket and the HTTP bid endpoint) writes a heartbeat
  every second (`start_web_heartbeat`, from config/asgi.py); a bid that fails because the
  database is unreachable is noted by the bid path (`bid_path_failed`) and reported with the
  process's next successful heartbeat;
- the clock worker (`Monitor`, one per `manage.py auction_clock`) opens an outage window when no
  web process has beaten for `WEB_STALE_AFTER`, closes it when one beats again, and records the
  windows it lived through itself: its own database errors and its own stalled ticks.

While any window is open or not yet applied, the clock closes no round (`close_due_rounds`), and
it closes a round only once some web process has been seen alive after the round's end: a round
never closes during a period in which its bidders could not bid. Once a window is over,
`apply_window` extends every round whose final 5 minutes it overlapped to 5 minutes after
recovery (`rules.outage_extended_end`), publishes the reason in an "extended" round event that
the live page shows, and records it in the disposal record (PD5) in the same transaction.
"""

import logging
import os
import socket
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connections, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from bidding.events import record_event
from bidding.protocol import iso
from lots.models import DisposalRecord

from . import clock, rules
from .lifecycle import CLOSABLE, CLOSE_GRACE, DUE_BATCH, do_close_auction, lock_round, record_step
from .models import Auction, OutageWindow, ServiceHeartbeat

logger = logging.getLogger("auctions.outage")

Cause = OutageWindow.Cause
Role = ServiceHeartbeat.Role

# A round closes only once a web process has beaten after its end (`close_due_rounds`), so the
# period also bounds how late a round closes: a quarter second, as the clock ticks.
BEAT_EVERY = float(os.environ.get("HEARTBEAT_SECONDS", "0.25"))
# No web process heard from for this long: bids cannot be accepted. Apart from the period, so a
# process busy for a moment under load is not taken for an outage.
WEB_STALE_AFTER = timedelta(seconds=float(os.environ.get("WEB_STALE_SECONDS", "3")))
# The clock ticks every quarter second; a gap this long means the process (or machine) stalled.
CLOCK_STALL_AFTER = timedelta(seconds=float(os.environ.get("CLOCK_STALL_SECONDS", "10")))
# Errors that mean the database could not be reached, as opposed to a refused write.
UNAVAILABLE = (OperationalError, InterfaceError)

CAUSE_TEXT = {
    Cause.WEB_DOWN: _("全部网站进程停止"),
    Cause.DATABASE: _("数据库不可用"),
    Cause.CLOCK_STALLED: _("拍卖时钟停顿"),
}


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# --- Heartbeats -------------------------------------------------------------------------------
def beat(name: str, role: str, started_at: datetime) -> datetime:
    """Records that the process `name` is alive now; returns the time written."""
    now = clock.now()
    if not ServiceHeartbeat.objects.filter(name=name).update(beat_at=now, role=role):
        ServiceHeartbeat.objects.update_or_create(
            name=name, defaults={"role": role, "started_at": started_at, "beat_at": now}
        )
    return now


def latest_web_beat() -> datetime | None:
    """The last time any web process was alive, or None when no web process ever beat (a clock
    run without a web tier, as in unit tests: nothing to judge availability by)."""
    return ServiceHeartbeat.objects.filter(role=Role.WEB).aggregate(latest=Max("beat_at"))["latest"]


class _BidPathFailures:
    """The first and last bid that failed on an unreachable database in this process, since the
    last report. Kept in memory: the database is what failed."""

    def __init__(self):
        self.lock = threading.Lock()
        self.first: datetime | None = None
        self.last: datetime | None = None

    def note(self, at: datetime) -> None:
        with self.lock:
            self.first = at if self.first is None else min(self.first, at)
            self.last = at if self.last is None else max(self.last, at)

    def take(self) -> datetime | None:
        with self.lock:
            first, self.first, self.last = self.first, None, None
            return first


_failures = _BidPathFailures()


def bid_path_failed(error: BaseException, received_at: datetime) -> bool:
    """Called by the bid path when placing a bid raised; True when the error means the database
    was unreachable (the bidder gets the "unavailable" error and FA7 covers the period)."""
    if not isinstance(error, UNAVAILABLE):
        return False
    _failures.note(received_at)
    logger.warning("bid path: database unavailable (%s)", type(error).__name__)
    return True


def flush_bid_path_failures(name: str) -> OutageWindow | None:
    """Reports the bid failures noted since the last successful heartbeat as a database outage
    that lasted until now (the database answers again: the heartbeat just went through)."""
    first = _failures.take()
    if first is None:
        return None
    return report_outage(Cause.DATABASE, first, clock.now(), source=name)


class Heartbeat(threading.Thread):
    """A daemon thread that beats for this process every `BEAT_EVERY` seconds."""

    def __init__(self, role: str, name: str | None = None):
        super().__init__(name=f"heartbeat-{role}", daemon=True)
        self.role, self.process = role, name or process_name()
        self.started_at = clock.now()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                beat(self.process, self.role, self.started_at)
                flush_bid_path_failures(self.process)
            except DatabaseError as error:
                logger.warning("heartbeat %s failed: %s", self.process, type(error).__name__)
            except Exception:
                logger.exception("heartbeat %s failed", self.process)
            finally:
                connections.close_all()  # this thread's connection only: back to the pool
            self.stopped.wait(BEAT_EVERY)

    def stop(self) -> None:
        self.stopped.set()


_web_heartbeat: Heartbeat | None = None


def running_under_daphne() -> bool:
    program = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    return "daphne" in (program.name, program.parent.name)


def start_web_heartbeat() -> Heartbeat | None:
    """Starts this process's web heartbeat once, when it serves bids under daphne (not when a test
    or a command merely imports the ASGI application). WEB_HEARTBEAT=0 turns it off."""
    global _web_heartbeat
    if _web_heartbeat is not None or os.environ.get("WEB_HEARTBEAT") == "0" or not running_under_daphne():
        return _web_heartbeat
    _web_heartbeat = Heartbeat(Role.WEB)
    _web_heartbeat.start()
    return _web_heartbeat


# --- Outage windows ---------------------------------------------------------------------------
def open_outage(cause: str, started_at: datetime, **detail) -> OutageWindow | None:
    """Opens the window of an outage in progress; None when one of that cause is already open
    (another clock worker saw it first)."""
    try:
        with transaction.atomic(durable=True):
            if OutageWindow.objects.filter(cause=cause, ended_at__isnull=True).exists():
                return None
            window = OutageWindow.objects.create(cause=cause, started_at=started_at, detail=detail)
    except IntegrityError:
        return None  # opened concurrently: one open window per cause
    logger.warning("outage opened: %s since %s", cause, iso(started_at))
    return window


def end_outage(cause: str, ended_at: datetime) -> OutageWindow | None:
    """Closes the open window of `cause` at recovery; `apply_window` then extends the rounds."""
    with transaction.atomic(durable=True):
        window = OutageWindow.objects.select_for_update().filter(cause=cause, ended_at__isnull=True).first()
        if window is None:
            return None
        window.ended_at = max(ended_at, window.started_at + timedelta(microseconds=1000))
        window.save(update_fields=["ended_at"])
    logger.warning("outage ended: %s %s – %s", cause, iso(window.started_at), iso(window.ended_at))
    apply_window(window.pk)
    return window


def report_outage(cause: str, started_at: datetime, ended_at: datetime, **detail) -> OutageWindow | None:
    """Records an outage that is already over and extends the rounds it affected."""
    if ended_at <= started_at:
        return None
    window = OutageWindow.objects.create(cause=cause, started_at=started_at, ended_at=ended_at, detail=detail)
    logger.warning("outage recorded: %s %s – %s", cause, iso(started_at), iso(ended_at))
    apply_window(window.pk)
    return window


def apply_window(window_id: int) -> int:
    """FA7: extends every round whose final 5 minutes the ended window overlapped; returns how
    many it extended. Safe to repeat and to run in two clock workers at once: under the round's
    lock, a round already extended past this window is left alone."""
    window = OutageWindow.objects.get(pk=window_id)
    if window.ended_at is None or window.applied_at is not None:
        return 0
    affected = Auction.objects.filter(
        status__in=CLOSABLE,
        ends_at__gt=window.started_at,
        ends_at__lt=window.ended_at + rules.SOFT_CLOSE_WINDOW,
    )
    extended = sum(extend_round(pk, window) for pk in affected.order_by("ends_at").values_list("pk", flat=True))
    OutageWindow.objects.filter(pk=window.pk, applied_at__isnull=True).update(
        applied_at=clock.now(), extended_rounds=extended
    )
    return extended


def outage_reason(window: OutageWindow, ends_at: datetime) -> str:
    """The published reason, in the source language (the page renders it from the event's data
    in the reader's language)."""
    return str(
        _(
            "平台于 %(start)s 至 %(end)s 无法接受出价（%(cause)s），依 FA7 结束时间延至 %(ends_at)s，"
            "恢复后每位竞买人均有完整的5分钟出价时间"
        )
        % {
            "start": clock_text(window.started_at),
            "end": clock_text(window.ended_at),
            "cause": CAUSE_TEXT.get(window.cause, window.cause),
            "ends_at": clock_text(ends_at),
        }
    )


def clock_text(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")


def extend_round(auction_id: int, window: OutageWindow) -> bool:
    """Extends one round for `window` (FA7) if its final 5 minutes overlapped it: the new end,
    an "extended" event with the outage and the reason, and the OUTAGE_EXTENSION disposal record."""
    with transaction.atomic(durable=True):
        auction = lock_round(auction_id, statuses=CLOSABLE)
        if auction is None:
            return False
        previous = auction.ends_at
        new_end = rules.outage_extended_end(previous, window.started_at, window.ended_at)
        if new_end <= previous:
            return False
        now = clock.now()
        auction.ends_at = new_end
        outage = {
            "cause": window.cause,
            "started_at": iso(window.started_at),
            "ended_at": iso(window.ended_at),
            "previous_ends_at": iso(previous),
        }
        record_event(
            auction,
            "extended",
            {"ends_at": iso(new_end), "extension_count": auction.extension_count, "rule": "FA7", "outage": outage},
            now,
        )
        auction.save(update_fields=["ends_at", "event_seq", "updated_at"])
        record_step(
            auction,
            DisposalRecord.Kind.OUTAGE_EXTENSION,
            outage_id=window.pk,
            ends_at=iso(new_end),
            reason=outage_reason(window, new_end),
            **outage,
        )
    logger.warning("round %s extended to %s (FA7, %s)", auction_id, iso(new_end), window.cause)
    return True


def holding_closes() -> bool:
    """True while an outage is open or not yet applied: no round may close before its extension."""
    return OutageWindow.objects.filter(applied_at__isnull=True).exists()


def close_due_rounds() -> int:
    """The clock's closing step under FA7: nothing closes while an outage is open or unapplied,
    and a round closes only once a web process has been seen alive after its end (when the web
    tier beats at all). Returns how many rounds it closed."""
    if holding_closes():
        return 0
    limit = clock.now() - CLOSE_GRACE
    alive = latest_web_beat()
    if alive is not None:
        limit = min(limit, alive)
    due = Auction.objects.filter(status__in=CLOSABLE, ends_at__lte=limit)
    ids = list(due.order_by("ends_at").values_list("pk", flat=True)[:DUE_BATCH])
    return sum(do_close_auction(pk, skip_locked=True) is not None for pk in ids)


# --- The clock worker's watch -----------------------------------------------------------------
class Monitor:
    """Watches availability from the clock worker, once per tick (`check`), before any round
    is opened or closed."""

    def __init__(self, name: str | None = None, stall_after: timedelta = CLOCK_STALL_AFTER):
        self.name = name or process_name()
        self.stall_after = stall_after
        self.started_at = clock.now()
        self.last_ok: datetime | None = None  # the last tick that reached the database
        self.db_down_since: datetime | None = None
        self.web_grace_until: datetime | None = None
        self.last_beat: datetime | None = None

    def check(self) -> None:
        """Records what this tick learns; raises the database error when the database is down."""
        now = clock.now()
        try:
            self._check(now)
        except UNAVAILABLE:
            if self.db_down_since is None:
                self.db_down_since = self.last_ok or now
                logger.warning("auction clock: database unavailable since %s", iso(self.db_down_since))
            raise
        self.last_ok = now

    def _check(self, now: datetime) -> None:
        if self.last_beat is None or now - self.last_beat >= timedelta(seconds=BEAT_EVERY):
            beat(self.name, Role.CLOCK, self.started_at)
            self.last_beat = now
        if self.db_down_since is not None:
            report_outage(Cause.DATABASE, self.db_down_since, now, source=self.name)
            self.db_down_since = None
            # The web processes' heartbeats failed too: give them time to beat again before
            # judging the web tier, or the same outage would be recorded twice.
            self.web_grace_until = now + WEB_STALE_AFTER
        elif self.last_ok is not None and now - self.last_ok > self.stall_after:
            report_outage(Cause.CLOCK_STALLED, self.last_ok, now, source=self.name)
        # One read of the windows not yet applied: the common case (none) costs no write.
        pending = list(OutageWindow.objects.filter(applied_at__isnull=True).values_list("pk", "cause", "ended_at"))
        self._watch_web(now, open_causes={cause for _pk, cause, ended in pending if ended is None})
        for window_id, _cause, ended_at in pending:
            if ended_at is not None:
                apply_window(window_id)  # recorded by another process, or interrupted mid-way

    def _watch_web(self, now: datetime, open_causes: set[str]) -> None:
        alive = latest_web_beat()
        if alive is None:
            return
        down = now - alive > WEB_STALE_AFTER
        if down and Cause.WEB_DOWN not in open_causes and not (self.web_grace_until and now < self.web_grace_until):
            open_outage(Cause.WEB_DOWN, alive, source=self.name)
        elif not down and Cause.WEB_DOWN in open_causes:
            end_outage(Cause.WEB_DOWN, now)


# --- What the pages publish -------------------------------------------------------------------
@dataclass(frozen=True)
class OutageNotice:
    """The published reason of a round's outage extension (FA7), for the live panel."""

    cause: str
    cause_label: str
    started_at: datetime
    ended_at: datetime
    ends_at: datetime


def published_notice(auction: Auction) -> OutageNotice | None:
    """The round's latest FA7 extension as its "extended" event published it, or None."""
    if auction.pk is None:
        return None
    event = auction.events.filter(kind="extended", payload__rule="FA7").order_by("-seq").first()
    if event is None:
        return None
    data = event.payload
    outage = data.get("outage") or {}
    return OutageNotice(
        cause=outage.get("cause", ""),
        cause_label=str(CAUSE_TEXT.get(outage.get("cause"), "")),
        started_at=parse_datetime(outage["started_at"]),
        ended_at=parse_datetime(outage["ended_at"]),
        ends_at=parse_datetime(data["ends_at"]),
    )

"""Signal receivers. They run after the commit of what they announce, in the thread that
committed (on the bid path: before the bidder's acknowledgement), so they only hand the task to a
background thread of this process, which enqueues it: a few microseconds on the bid path instead
of a queue write (milliseconds with the embedded SQLite queue).

A task lost with its process before it was enqueued is not lost for good: the periodic sweep
(`triggers.sweep`) finds recent bids whose outbid notice is missing, and disposal steps that
matter to bidders are closes and extensions that the sweep's reminders and "my auctions" cover.
"""

import logging
import queue
import threading

from django.dispatch import receiver
from huey.contrib.djhuey import HUEY

from bidding.events import round_event_recorded
from lots.signals import disposal_recorded

from . import tasks

log = logging.getLogger(__name__)

_pending: queue.SimpleQueue = queue.SimpleQueue()
_worker: threading.Thread | None = None
_worker_lock = threading.Lock()


def _run() -> None:
    while True:
        calls = [_pending.get()]
        while not _pending.empty():
            calls.append(_pending.get_nowait())
        for task, args in _merged(calls):
            try:
                task(*args)
            except Exception:
                log.exception("could not enqueue %s%r", getattr(task, "name", task), args)


def _merged(calls: list[tuple]) -> list[tuple]:
    """The outbid notices queued together become one task with all their bids, whatever their
    rounds: in bidding wars on many rounds that is one queue write per batch of bids, not one per
    round (a queue write is a commit with the embedded SQLite queue)."""
    merged: list[tuple] = []
    outbid: list[tuple[int, int]] = []
    for task, args in calls:
        if task is tasks.notify_outbid:
            if not outbid:
                merged.append((task, outbid))
            outbid.extend(args)
        else:
            merged.append((task, args))
    return [(task, tuple(args)) for task, args in merged]


def enqueue_soon(task, *args) -> None:
    """Hands `task(*args)` to this process's enqueuing thread; inline when tasks run inline (tests)."""
    global _worker
    if HUEY.immediate:
        task(*args)
        return
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_run, name="notice-enqueue", daemon=True)
            _worker.start()
    _pending.put((task, args))


@receiver(disposal_recorded, dispatch_uid="notices.disposal")
def disposal_step(sender, record, **kwargs):
    enqueue_soon(tasks.notify_disposal, record.pk)


@receiver(round_event_recorded, dispatch_uid="notices.round_event")
def round_event(sender, auction_id, kind, seq, data, **kwargs):
    """Only bids matter here, and only from the second one (the first outbids nobody)."""
    if kind == "bid" and data.get("seq", 0) > 1:
        enqueue_soon(tasks.notify_outbid, (auction_id, data["seq"]))

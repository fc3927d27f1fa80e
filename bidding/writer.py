"""This process's bid writer: one thread that decides every bid the process receives, in batches.
With `BID_WRITER=process` (the default) that thread runs in a writer process of this process's
own, and here a thread forwards the batches to it (bidding/writer_process.py).

Why (docs/benchmarks.md, "What each change bought"): a round's bids serialise on its row lock, so
a hot round takes bids at the rate of its transactions. Deciding each bid in the thread that
received it put hundreds of threads on one lock, each needing the GIL back after every round trip
while holding it, and each holding one of the pool's few connections while it waited. Here the
socket consumers and the HTTP view hand bids to one queue; the writer takes what has queued up,
groups it by round and decides all of it with `services.place_bids_on_rounds`: one transaction
and one commit for the batch, each round's lock taken once (in ascending id order). The
acknowledgement still follows the commit, and the events (with their gap-free seqs) are recorded
and published exactly as for a single bid.

A batch that fails as a whole is decided again round by round (`services.place_bids`), and a
round that fails as a whole (a database error, or a 变卖 round that takes one bid at a time) bid
by bid with `services.check_place_bid`, so one bad bid cannot fail the others.
"""

import asyncio
import contextlib
import logging
import queue
import threading
import time
from concurrent.futures import Future, InvalidStateError

from django.conf import settings
from django.db import connection
from django.utils import translation

from config import metrics

from . import services
from .errors import BidError
from .ratelimit import check_bid_rates

logger = logging.getLogger(__name__)

MAX_BATCH = 200  # bids taken from the queue at once; more wait for the next transaction
IDLE_CLOSE = 1.0  # seconds without a bid before the writer gives its connection back
SQLITE_PAUSE = 0.02  # seconds at least between two batches on SQLite (embedded mode)
SQLITE_PAUSE_SHARE = 0.35  # and that share of the time the batch held SQLite's write lock


class BidWriter:
    thread_name = "bid-writer"

    def __init__(self):
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, user, auction_id: int, raw_amount, client_bid_id: str, received_at) -> Future:
        """Queues one bid; the future ends with its `BidResult` or raises its `BidError`."""
        entry, future = prepare(user, auction_id, raw_amount, client_bid_id, received_at)
        self.submit_together([entry])
        return future

    def submit_together(self, entries: list) -> None:
        """Queues bids received together (made by `prepare`) as one: the writer takes them into
        one batch, where `rules.decision_order` orders them among themselves."""
        self._ensure_thread()
        self.queue.put(entries)

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
                self._thread.start()

    def start(self) -> None:
        """Starts the writer now rather than at the first bid."""
        self._ensure_thread()

    def _take(self) -> list | None:
        """What has queued up (at least one bid, at most MAX_BATCH and the bids received with
        them), or None after IDLE_CLOSE seconds without a bid."""
        try:
            batch = list(self.queue.get(timeout=IDLE_CLOSE))
        except queue.Empty:
            return None
        while len(batch) < MAX_BATCH:
            try:
                batch += self.queue.get_nowait()
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                # Idle: the connection goes back to the pool (or is closed), as a request's would.
                # While bids keep coming it is kept: waiting for the pool between batches, behind
                # the HTTP threads' session lookups, would stall every round's bids.
                connection.close()
                continue
            started = time.monotonic()
            self.decide(batch)
            if connection.vendor == "sqlite":
                # SQLite has one write lock per file and no queue for it: a writer that takes it
                # again at once starves the other processes (the clock worker could not close
                # rounds under M8's load). A pause between batches, about a third as long as the
                # batch held the lock, leaves it free at least a quarter of the time: a process
                # waiting for it retries every 100 ms at most (SQLite's busy handler), so it finds
                # it free soon.
                # Bids queued meanwhile join the next batch.
                time.sleep(max(SQLITE_PAUSE, SQLITE_PAUSE_SHARE * (time.monotonic() - started)))

    def new_answers(self) -> "Answers":
        return Answers()

    def decide(self, batch: list) -> None:
        """Decides a batch of (round id, `services.BidRequest`, future) and hands over every answer."""
        self.answers = self.new_answers()
        try:
            self._decide_batch(batch)
        except BaseException as error:  # never leave a bidder waiting for an answer
            logger.exception("bid writer: deciding a batch of %s bids failed", len(batch))
            self.answers.give_missing(batch, error)
        finally:
            self.answers.hand_over()

    def _decide_batch(self, batch: list) -> None:
        """Rate limits for the whole batch in one round trip, then every round's bids in one
        transaction; if that fails, round by round (`_decide`), and there bid by bid."""
        try:
            users = [request.user.pk if _signed_in(request.user) else None for _, request, _ in batch]
            limited = check_bid_rates(users)
        except Exception as error:  # the shared cache is unreachable: no bid can be counted
            self.answers.give_missing(batch, error)
            return
        groups: dict[int, list] = {}
        for (auction_id, request, future), refusal in zip(batch, limited, strict=True):
            if refusal is None:
                groups.setdefault(auction_id, []).append((request, future))
            else:
                self.answers.give(future, refusal)
        if len(groups) == 1:
            self._decide(*next(iter(groups.items())))
            return
        started = time.perf_counter()
        try:
            outcomes = services.place_bids_on_rounds(
                {auction_id: [request for request, _future in items] for auction_id, items in groups.items()}
            )
        except Exception as error:
            if not isinstance(error, services.OneAtATime):
                connection.close()  # whatever broke the batch may have broken the connection
            for auction_id, items in groups.items():
                self._decide(auction_id, items)
            return
        self.answers.measure(time.perf_counter() - started, [len(items) for items in groups.values()])
        for auction_id, items in groups.items():
            self._answer(items, outcomes[auction_id])

    def _answer(self, items: list, outcomes: list) -> None:
        for (_request, future), outcome in zip(items, outcomes, strict=True):
            self.answers.give(future, outcome)

    def _decide(self, auction_id: int, items: list) -> None:
        if not items:
            return
        started = time.perf_counter()
        try:
            outcomes = services.place_bids(auction_id, [request for request, _future in items])
        except Exception as error:
            if not isinstance(error, services.OneAtATime):
                logger.warning("bid writer: a batch of %s bids on round %s failed; one by one", len(items), auction_id)
                connection.close()  # whatever broke the batch may have broken the connection
            self._one_by_one(auction_id, items)
            return
        self.answers.measure(time.perf_counter() - started, [len(items)])
        self._answer(items, outcomes)

    def _one_by_one(self, auction_id: int, items: list) -> None:
        in_order = sorted(items, key=lambda item: item[0].decision_order())
        for request, future in in_order:
            started = time.perf_counter()
            try:
                with translation.override(request.language):
                    result = services.check_place_bid(
                        request.user,
                        auction_id,
                        request.raw_amount,
                        request.client_bid_id,
                        received_at=request.received_at,
                        rate_checked=True,
                    )
            except BaseException as error:  # handed to the bid's caller, which answers the bidder
                self.answers.give(future, error)
                if not isinstance(error, BidError):
                    connection.close()
                continue
            self.answers.measure(time.perf_counter() - started, [])
            self.answers.give(future, result)


class Answers:
    """The outcomes of one batch (a `BidResult`, or the exception to raise), handed over once it is
    decided: to a thread's `concurrent.futures.Future` at once, to the futures of an event loop
    (the socket consumers') all together, with one wake-up of that loop per batch instead of one
    per bid."""

    def __init__(self):
        self.given: set[int] = set()
        self.by_loop: dict[asyncio.AbstractEventLoop, list] = {}

    def give(self, future, outcome) -> None:
        self.given.add(id(future))
        if isinstance(future, asyncio.Future):
            self.by_loop.setdefault(future.get_loop(), []).append((future, outcome))
        else:
            _resolve(future, outcome)

    def measure(self, commit_seconds: float, batch_sizes: list[int]) -> None:
        """One transaction of the batch: how long it took and how many bids each round had in it."""
        observe(commit_seconds, batch_sizes)

    def give_missing(self, batch: list, error: BaseException) -> None:
        for _auction_id, _request, future in batch:
            if id(future) not in self.given:
                self.give(future, error)

    def hand_over(self) -> None:
        for loop, outcomes in self.by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits there
                loop.call_soon_threadsafe(_settle, outcomes)
        self.by_loop = {}


def observe(commit_seconds: float, batch_sizes: list[int]) -> None:
    metrics.BID_COMMIT.observe(commit_seconds)
    for size in batch_sizes:
        metrics.BID_BATCH.observe(size)


def _settle(outcomes: list) -> None:
    """In the event loop: each future gets its outcome, unless its socket gave up on it."""
    for future, outcome in outcomes:
        _resolve(future, outcome)


def _resolve(future, outcome) -> None:
    if future.done():
        return  # cancelled: whoever waited gave up on it
    try:
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
    except InvalidStateError:
        pass  # cancelled by another thread since the check above


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated)


def prepare(
    user, auction_id: int, raw_amount, client_bid_id: str, received_at, future=None, language: str | None = None
) -> tuple[tuple, object]:
    """One bid as the writer's queue takes it, and the future of its answer: `future` (an event
    loop's, made in that loop) or a new `concurrent.futures.Future`. Refusal messages will be
    worded in `language`, the bidder's, or else the language active here. (A socket passes its
    own: asking the active language of a coroutine costs a context-local lookup per bid.)"""
    future = Future() if future is None else future
    language = language or translation.get_language()
    request = services.BidRequest(user, raw_amount, client_bid_id or "", received_at, language)
    return (auction_id, request, future), future


_writer: BidWriter | None = None
_writer_lock = threading.Lock()


def the_writer() -> BidWriter:
    """This process's bid writer, as `settings.BID_WRITER` says: a thread of this process, or a
    process of its own (bidding/writer_process.py)."""
    global _writer
    if _writer is not None:
        return _writer
    with _writer_lock:
        if _writer is None:
            if settings.BID_WRITER == "process":
                from .writer_process import WriterProcess

                _writer = WriterProcess()
            else:
                _writer = BidWriter()
        return _writer


def submit(user, auction_id: int, raw_amount, client_bid_id: str, received_at) -> Future:
    return the_writer().submit(user, auction_id, raw_amount, client_bid_id, received_at)


def submit_together(entries: list) -> None:
    the_writer().submit_together(entries)

"""The bid writer in a process of its own: `settings.BID_WRITER = "process"`, the default.

Why (docs/benchmarks.md, "the sixth round"): in one process, the writer's thread and the event loop
that reads the sockets share one interpreter lock. Under a hot round's load each turn of the loop
grew to 100–150 ms, and a socket read late in a long turn carried bids newer than those of a socket
read early in the next one, which were then refused as too low (BI2 decides by receive time). With
the writer in a process of its own, the loop keeps its interpreter to itself.

The daphne process keeps the writer's queue and its batching (`BidWriter`); its forwarding thread
sends each batch over a socket pair to the writer process, which decides it with the same
`BidWriter` (one transaction, answers after commit) and sends back the outcomes, which the daphne
process hands to the waiting futures. The events are published to Redis by the writer process, as
any process publishes them; without Redis they come back with the outcomes, and the daphne process
pokes its hub with them (`events.relay_events`) before it answers.
Each daphne process has one writer process, so the bids of a round (routed to one daphne process)
are still decided in the order that process received them. If the writer process dies, the bids
it held are answered "unavailable" (retry with the same client_bid_id: a bid it committed is
answered as a repeat) and the next bid starts another.
"""

import itertools
import logging
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from auctions.outage import UNAVAILABLE
from config.collector import tune_collector

from .errors import BidError, unavailable
from .events import publish_rollback_unsafe, relay_events
from .services import BidRequest
from .writer import Answers, BidWriter, _signed_in, observe

logger = logging.getLogger(__name__)

RESTART_PAUSE = 5.0  # seconds at least between two restarts of a process's writer process


class WriterProcess(BidWriter):
    """The daphne process's side: bids queue and batch as for the thread, then go to the writer
    process."""

    thread_name = "bid-forwarder"

    def __init__(self):
        super().__init__()
        self.child: Child | None = None
        self.restarted_at = -RESTART_PAUSE

    def start(self) -> None:
        self._ensure_thread()
        self._child()

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is not None:
                self._child().send(batch)

    def _child(self) -> "Child":
        with self._lock:
            if self.child is None:
                self.child = Child()
            elif not self.child.alive and time.monotonic() - self.restarted_at >= RESTART_PAUSE:
                # A writer process that cannot start must not be started again for every batch:
                # meanwhile the dead one answers each bid "unavailable".
                self.child, self.restarted_at = Child(), time.monotonic()
            return self.child


class Child:
    """One writer process, and the bids sent to it that wait for their answers."""

    def __init__(self):
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "bid_writer", str(theirs.fileno()), str(connection.settings_dict["NAME"])],
            pass_fds=[theirs.fileno()],
            cwd=settings.BASE_DIR,
        )
        theirs.close()
        self.connection = Connection(ours.detach())
        self.waiting: dict[int, object] = {}  # token → the future of a bid sent and not answered
        self.tokens = itertools.count()
        self.alive = True
        self._lock = threading.Lock()
        threading.Thread(target=self._read, name="bid-writer-answers", daemon=True).start()

    def send(self, batch: list) -> None:
        wire = []
        with self._lock:
            if not self.alive:
                _give_up(future for _, _, future in batch)
                return
            for auction_id, request, future in batch:
                token = next(self.tokens)
                self.waiting[token] = future
                wire.append((token, auction_id, *_on_the_wire(request)))
        try:
            self.connection.send(wire)
        except Exception:
            logger.exception("bid writer process %s: sending bids failed; it is stopped", self.process.pid)
            self.process.kill()  # `_read` then answers every bid it held; only `_read` closes the socket

    def _read(self) -> None:
        """Hands each batch's outcomes to their futures (with one wake-up per event loop, as the
        thread does) until the writer process has gone."""
        while True:
            try:
                outcomes, measures, relayed = self.connection.recv()
            except (EOFError, OSError):
                break
            except Exception:
                logger.exception("bid writer process %s: an answer could not be read; it is stopped", self.process.pid)
                self.process.kill()
                break
            for event in relayed:
                publish_rollback_unsafe(*event)
            answers = Answers()
            for token, outcome in outcomes:
                future = self.waiting.pop(token, None)
                if future is not None:
                    answers.give(future, outcome)
            answers.hand_over()
            for measure in measures:
                observe(*measure)
        with self._lock:
            self.alive = False
            left, self.waiting = self.waiting, {}
        self.connection.close()
        _give_up(left.values())
        try:
            code = self.process.wait(timeout=RESTART_PAUSE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        logger.error("bid writer process %s has ended (exit code %s)", self.process.pid, code)


def _on_the_wire(request) -> tuple:
    """A `services.BidRequest` as plain values (`serve` makes it again): the user by id."""
    user_id = request.user.pk if _signed_in(request.user) else None
    return user_id, request.raw_amount, request.client_bid_id, request.received_at, request.language


def _give_up(futures) -> None:
    answers = Answers()
    for future in futures:
        answers.give(future, unavailable())
    answers.hand_over()


# --- The writer process ------------------------------------------------------------------------
class PipeAnswers(Answers):
    """A batch's outcomes in the writer process, sent back together once the batch is decided,
    with the batch's events when there is no Redis to publish them."""

    def __init__(self, pipe: Connection):
        super().__init__()
        self.pipe = pipe
        self.outcomes: list = []
        self.measures: list = []
        self.events: list = []

    def give(self, future, outcome) -> None:  # here a bid's "future" is its token
        self.given.add(id(future))
        self.outcomes.append((future, portable(outcome)))

    def measure(self, commit_seconds: float, batch_sizes: list[int]) -> None:
        self.measures.append((commit_seconds, batch_sizes))

    def hand_over(self) -> None:
        self.pipe.send((self.outcomes, self.measures, self.events))


class PipeWriter(BidWriter):
    def __init__(self, pipe: Connection):
        super().__init__()
        self.pipe = pipe
        if not settings.REDIS_URL:
            # Events are committed while a batch is decided, so they join its answers.
            relay_events(lambda *event: self.answers.events.append(event))

    def new_answers(self) -> Answers:
        return PipeAnswers(self.pipe)


def portable(outcome):
    """An outcome as it can cross to the daphne process: results and refusals as they are, a
    database that cannot be reached as its error class (the daphne process reports it, FA7), any
    other error by its name."""
    if not isinstance(outcome, BaseException) or isinstance(outcome, BidError):
        return outcome
    if isinstance(outcome, UNAVAILABLE):
        return type(outcome)(str(outcome))
    return RuntimeError(f"bid writer process: {type(outcome).__name__}: {outcome}")


def serve(pipe: Connection) -> None:
    """Decides the bids that come over `pipe` until the daphne process closes it."""
    User = get_user_model()
    writer = PipeWriter(pipe)
    tune_collector()
    while True:
        try:
            wire = pipe.recv()
        except EOFError:
            return
        writer.submit_together(
            [
                (auction_id, BidRequest(User(pk=user_id) if user_id else AnonymousUser(), raw, cid, at, lang), token)
                for token, auction_id, user_id, raw, cid, at, lang in wire
            ]
        )

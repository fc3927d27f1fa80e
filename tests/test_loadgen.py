"""The bidder generator's reading of its sockets (bench/loadgen.py): answers settle their bids,
event frames are only counted, in whichever form the server sends them (bidding/protocol.py)."""

from concurrent.futures import Future
from datetime import UTC, datetime
from decimal import Decimal

from bench.loadgen import EVENTS_FRAME, BidderRun
from bidding.errors import BidError
from bidding.protocol import dumps, event_frame, frame_text
from bidding.services import BidResult

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def reader():
    run = BidderRun({"host": "127.0.0.1"})
    on_message = run.on_frame(Future())
    on_message(b'{"type":"snapshot"}', 0.0)
    return run, on_message


def event(seq: int) -> tuple[int, str]:
    return seq, dumps(event_frame(seq, "bid", AT, {"seq": seq, "amount": "80000.00"}))


def test_answers_settle_their_bids_and_event_frames_are_counted():
    run, on_message = reader()
    run.pending = {"a": (0.5, 7), "b": (0.5, 7)}
    several = frame_text([event(2), event(3), event(4)]).encode()
    assert several.startswith(EVENTS_FRAME)  # counted without being searched
    on_message(frame_text([event(1)]).encode(), 1.0)
    on_message(several, 1.0)
    ack = BidResult("a", 5, 5, "A0001", Decimal("81000"), AT).ack_frame()
    on_message(dumps(ack).encode(), 1.0)
    on_message(dumps(BidError("too_low", "低于当前价").as_frame("b")).encode(), 1.0)
    assert run.events_seen == 2
    assert [(auction_id, seq, amount) for auction_id, seq, _at, amount in run.acks] == [(7, 5, "81000.00")]
    assert run.errors == {"too_low": 1} and run.pending == {}

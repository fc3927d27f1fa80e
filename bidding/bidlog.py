"""The hash-chained public bid record (BI4).

Each accepted bid's hash commits to the round, its sequence number, the bidder code, the amount,
the server receive time and the previous bid's hash, so altering, removing or inserting any row
breaks every later hash. The chain's head is kept on the round and published in its "closed"
event; `manage.py verify_bid_log` recomputes everything from the rows.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from auctions.models import Auction, AuctionEvent

from .models import Bid
from .protocol import amount, iso


def genesis_hash(auction_id: int) -> str:
    """The prev_hash of a round's first bid."""
    return hashlib.sha256(f"auction:{auction_id}".encode()).hexdigest()


def canonical(auction_id: int, seq: int, code: str, value: Decimal, received_at: datetime, prev_hash: str) -> bytes:
    """The exact bytes that are hashed: a compact JSON array (documented in docs/websocket.md)."""
    fields = [auction_id, seq, code, amount(value), iso(received_at), prev_hash]
    return json.dumps(fields, ensure_ascii=True, separators=(",", ":")).encode()


def bid_hash(auction_id: int, seq: int, code: str, value: Decimal, received_at: datetime, prev_hash: str) -> str:
    return hashlib.sha256(canonical(auction_id, seq, code, value, received_at, prev_hash)).hexdigest()


@dataclass(frozen=True)
class Row:
    """One stored bid as the verifier reads it."""

    seq: int
    code: str
    amount: Decimal
    received_at: datetime
    prev_hash: str
    hash: str


def verify_chain(auction_id: int, rows: Iterable[Row]) -> tuple[str, list[str]]:
    """Recomputes the chain over rows in seq order; returns (head of the stored chain, problems found).

    A changed field shows as "altered" (the row's hash no longer matches its contents); a removed
    row as a gap in seq and a broken link; an inserted row as a broken link or a doubled seq.
    """
    problems: list[str] = []
    head, expected_seq = genesis_hash(auction_id), 1
    for row in rows:
        if row.seq != expected_seq:
            problems.append(f"auction {auction_id}: bid seq {row.seq} found where {expected_seq} was expected")
        if row.prev_hash != head:
            problems.append(f"auction {auction_id}: bid seq {row.seq} does not link to the previous bid")
        if bid_hash(auction_id, row.seq, row.code, row.amount, row.received_at, row.prev_hash) != row.hash:
            problems.append(f"auction {auction_id}: bid seq {row.seq} was altered (hash mismatch)")
        # Link to the stored hash: one altered row is reported once; a rewritten tail that is
        # consistent in itself is caught by the head kept on the round and in its "closed" event.
        head, expected_seq = row.hash, row.seq + 1
    return head, problems


def verify_round(auction: Auction) -> list[str]:
    """Every problem in one round's stored record: the chain itself, its length and head against
    the round, and for a closed round the final hash published in its "closed" event."""
    bids = Bid.objects.filter(auction=auction).select_related("registration").order_by("seq", "pk")
    rows = (
        Row(b.seq, b.registration.code, b.amount.amount, b.received_at, b.prev_hash, b.hash) for b in bids.iterator()
    )
    head, problems = verify_chain(auction.pk, rows)
    if head != (auction.bid_log_head or genesis_hash(auction.pk)):
        problems.append(f"auction {auction.pk}: the chain's head differs from the head kept on the round")
    if Bid.objects.filter(auction=auction).count() != auction.bid_count:
        problems.append(f"auction {auction.pk}: the round counts {auction.bid_count} bids but others are stored")
    closed = AuctionEvent.objects.filter(auction=auction, kind="closed").order_by("-seq").first()
    if closed is not None and closed.payload.get("final_hash") != head:
        problems.append(f"auction {auction.pk}: the chain's head differs from the final hash published at the close")
    return problems

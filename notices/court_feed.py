"""The results feed of the court API and the webhook payloads: one JSON shape of a disposal step,
and cursor pages over a court's steps in a stable order.

Order: by the record's id, which only grows. A transaction still open when a reader passes may
commit a smaller id later, so the feed shows only steps older than SETTLE (far longer than any
step's transaction); a reader following `next_cursor` therefore never skips a step. The cursor
is opaque (signed), bound to the court and the feed; a tampered or foreign cursor is a 422.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.utils import timezone

from auctions import clock
from lots.models import Court, DisposalRecord

SETTLE = timedelta(seconds=5)
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CLOSING_KINDS = (
    DisposalRecord.Kind.ROUND_SOLD,
    DisposalRecord.Kind.ROUND_FAILED,
    DisposalRecord.Kind.ROUND_WITHDRAWN,
)
RESULT_OF = {
    DisposalRecord.Kind.ROUND_SOLD: "sold",
    DisposalRecord.Kind.ROUND_FAILED: "failed",
    DisposalRecord.Kind.ROUND_WITHDRAWN: "withdrawn",
}
# Detail keys that never leave the platform (none today hold personal data; the list is the guard).
PRIVATE_DETAIL_KEYS = frozenset({"id_number", "phone", "address"})


class BadCursor(ValueError):
    pass


def _iso(value) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def record_json(record: DisposalRecord) -> dict:
    """A disposal step as the court API and the webhooks give it."""
    return {
        "id": record.pk,
        "kind": record.kind,
        "kind_label": str(DisposalRecord.Kind(record.kind).label),
        "at": _iso(record.at),
        "case_id": record.case_id,
        "case_number": record.case.number,
        "lot_id": record.lot_id,
        "auction_id": record.auction_id,
        "actor": record.actor_label,
        "amount": str(record.amount.amount) if record.amount is not None else None,
        "currency": str(record.amount.currency) if record.amount is not None else None,
        "detail": {key: value for key, value in (record.detail or {}).items() if key not in PRIVATE_DETAIL_KEYS},
    }


def result_json(record: DisposalRecord) -> dict:
    """A closed round's result, from the step that closed it."""
    auction = record.auction
    confirmation = getattr(auction, "confirmation", None) if auction else None
    return {
        "record_id": record.pk,
        "auction_id": record.auction_id,
        "lot_id": record.lot_id,
        "case_number": record.case.number,
        "round_label": auction.round_label if auction else None,
        "result": RESULT_OF[record.kind],
        "closed_at": _iso(record.at),
        "price": str(record.amount.amount) if record.amount is not None else None,
        "bidder_code": (record.detail or {}).get("code"),
        "bid_count": auction.bid_count if auction else None,
        "final_hash": (record.detail or {}).get("final_hash"),
        "reason": (record.detail or {}).get("reason"),
        "confirmation_number": confirmation.number if confirmation else None,
    }


# --- Cursors --------------------------------------------------------------------------------------
def _salt(feed: str, court: Court) -> str:
    return f"notices.court_feed:{feed}:{court.pk}"


def encode_cursor(feed: str, court: Court, after_id: int) -> str:
    # No timestamp: a position has one cursor, so a poller that is caught up gets back the cursor it sent.
    return signing.Signer(salt=_salt(feed, court)).sign_object({"a": after_id})


def decode_cursor(feed: str, court: Court, cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        after = signing.Signer(salt=_salt(feed, court)).unsign_object(cursor)["a"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise BadCursor(cursor) from None
    if not isinstance(after, int) or after < 0:
        raise BadCursor(cursor)
    return after


@dataclass
class Page:
    items: list[dict]
    next_cursor: str
    has_more: bool


def page(feed: str, court: Court, cursor: str | None, limit: int, *, case_id: int | None = None) -> Page:
    """One page of `feed` ("results": closed rounds; "steps": every disposal step) after the
    cursor. `next_cursor` is always given: with no new items it is the same position, to poll."""
    after = decode_cursor(feed, court, cursor)
    limit = max(1, min(limit, MAX_LIMIT))
    records = DisposalRecord.objects.filter(case__court=court, pk__gt=after, at__lte=clock.now() - SETTLE)
    if feed == "results":
        records = records.filter(kind__in=CLOSING_KINDS).select_related("auction__confirmation", "auction__lot")
    if case_id is not None:
        records = records.filter(case_id=case_id)
    rows = list(records.select_related("case").order_by("pk")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    shape = result_json if feed == "results" else record_json
    last = rows[-1].pk if rows else after
    return Page(items=[shape(row) for row in rows], next_cursor=encode_cursor(feed, court, last), has_more=has_more)

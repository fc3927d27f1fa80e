"""The HTTP side of live bidding: the bid fallback for clients without a socket, the snapshot,
and the public bid record (BI4). Thin: parse, call one service or reader, render."""

import time

from django.db import connection
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from auctions import clock, outage
from config import metrics

from . import services, snapshot, writer
from .bidlog import genesis_hash
from .errors import BidError, bad_message, not_found, unavailable
from .models import Bid
from .protocol import dumps, iso, parse_client_message

RECORD_PAGE = 100


def _json(frame: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(dumps(frame), status=status, content_type="application/json")


def _error(error: BidError, client_bid_id: str | None = None) -> HttpResponse:
    return _json(error.as_frame(client_bid_id), error.http_status)


@require_POST
def place_bid(request, auction_id: int):
    """POST /auctions/<id>/bids with the socket's bid message; 200 with the ack (after commit)
    or 4xx with the socket's error frame. Session auth; CSRF applies as to any form."""
    received_at = clock.now()
    arrived = time.perf_counter()
    client_bid_id = None
    try:
        message = parse_client_message(request.body)
        if message["type"] != "bid":
            raise bad_message(_("只接受出价消息"))
        client_bid_id = message["client_bid_id"] or None
        result = _decide(request.user, auction_id, message["amount"], message["client_bid_id"], received_at)
    except BidError as error:
        metrics.observe_bid("http", error.code, time.perf_counter() - arrived)
        return _error(error, client_bid_id)
    except Exception as error:
        if not outage.bid_path_failed(error, received_at):  # FA7: recorded, answered at once
            raise
        return _error(unavailable(), client_bid_id)
    metrics.observe_bid("http", "accepted", time.perf_counter() - arrived)
    return _json(result.ack_frame())


def _decide(user, auction_id: int, raw_amount, client_bid_id: str, received_at) -> services.BidResult:
    """Hands the bid to the process's bid writer (bidding/writer.py) and waits for its answer,
    which comes after commit. The request's database connection goes back to the pool first: the
    writer needs one, and requests waiting for it must not hold them all. A request inside a
    transaction (a test's) cannot wait for another connection to see its data: it decides the bid
    itself, the same way."""
    if connection.in_atomic_block:
        return services.check_place_bid(user, auction_id, raw_amount, client_bid_id, received_at=received_at)
    user.is_authenticated  # noqa: B018  (resolves the session's user now, before the connection goes)
    connection.close()
    return writer.submit(user, auction_id, raw_amount, client_bid_id, received_at).result()


@require_GET
def round_snapshot(request, auction_id: int):
    """GET /auctions/<id>/snapshot: the socket's snapshot frame, for polling clients."""
    auction = snapshot.load_public_round(auction_id)
    if auction is None:
        return _error(not_found())
    return _json(snapshot.build_snapshot(auction, request.user))


@require_GET
def bid_record(request, auction_id: int):
    """GET /auctions/<id>/bids.json?after=<seq>: the public bid record (BI4), oldest first, in
    pages, with each bid's hash so anyone can recompute the chain (docs/websocket.md)."""
    auction = snapshot.load_public_round(auction_id)
    if auction is None:
        return _error(not_found())
    try:
        after = max(int(request.GET.get("after", 0)), 0)
    except ValueError:
        return _error(bad_message(_("after 须为整数")))
    bids = list(
        Bid.objects.filter(auction=auction, seq__gt=after, seq__lte=auction.bid_count)
        .select_related("registration")
        .order_by("seq")[:RECORD_PAGE]
    )
    more = bool(bids) and bids[-1].seq < auction.bid_count
    return _json(
        {
            "auction": auction.pk,
            "status": auction.status,
            "bid_count": auction.bid_count,
            "genesis_hash": genesis_hash(auction.pk),
            "head": auction.bid_log_head or genesis_hash(auction.pk),
            "closed_at": iso(auction.closed_at),
            "bids": [dict(snapshot.bid_item(bid), prev_hash=bid.prev_hash, hash=bid.hash) for bid in bids],
            "next": f"{request.path}?after={bids[-1].seq}" if more else None,
        }
    )

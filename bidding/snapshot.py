"""What a watcher is sent on connect and on resync: the round's public state, its recent bids and
the connected user's own standing. Public data is bidder codes only, never names or ID numbers
(BD3); only the `me` part is personal, and only to that user."""

from dataclasses import dataclass

from auctions import clock, rules
from auctions.lifecycle import round_state
from auctions.models import Auction, AuctionEvent
from payments import services as payments

from .models import Bid, Registration
from .protocol import amount, dumps, event_text, iso

RECENT_BIDS = 50
REPLAY_LIMIT = 200  # a client further behind gets a fresh snapshot instead of the events


def load_public_round(auction_id: int) -> Auction | None:
    rounds = Auction.objects.select_related("leading_bid__registration")
    return rounds.filter(pk=auction_id, status__in=Auction.PUBLIC_STATUSES).first()


def build_snapshot(auction: Auction, user) -> dict:
    """The snapshot frame of docs/websocket.md. Bids are read up to the round's own bid count,
    so the list agrees with `seq` even if a bid commits while it is read."""
    state = round_state(auction)
    bids = (
        Bid.objects.filter(auction=auction, seq__lte=auction.bid_count)
        .select_related("registration")
        .order_by("-seq")[:RECENT_BIDS]
    )
    leader = auction.leading_bid
    return {
        "type": "snapshot",
        "seq": auction.event_seq,
        "server_time": iso(clock.now()),
        "auction": {
            "id": auction.pk,
            "status": auction.status,
            "starts_at": iso(auction.starts_at),
            "ends_at": iso(auction.ends_at),
            "starting_price": amount(state.starting_price),
            "increment": amount(state.increment),
            "current_price": amount(state.current_price),
            "bid_count": auction.bid_count,
            "extension_count": auction.extension_count,
            "leader_code": leader.registration.code if leader else None,
            "round_label": auction.round_label,
        },
        "bids": [bid_item(bid) for bid in bids],
        "me": _me(auction.pk, state, user),
    }


def bid_item(bid: Bid) -> dict:
    return {
        "seq": bid.seq,
        "code": bid.registration.code,
        "amount": amount(bid.amount.amount),
        "received_at": iso(bid.received_at),
    }


def _me(auction_id: int, state: rules.AuctionState, user) -> dict | None:
    """The user's own standing; `reason` is the error code a bid would get now, or None."""
    if not user or not user.is_authenticated:
        return None
    registration = Registration.objects.filter(auction_id=auction_id, user=user).first()
    if registration is None:
        minimum = rules.minimum_bid(state, rules.BidderState(0, None, False))
        return {
            "code": None,
            "can_bid": False,
            "min_bid": amount(minimum),
            "leading": False,
            "reason": "not_registered",
            "priority_rank": None,
        }
    bidder = rules.BidderState(registration.pk, registration.priority_rank, payments.deposit_secured(registration))
    minimum = rules.minimum_bid(state, bidder)
    try:
        rules.evaluate_bid(state, bidder, minimum, clock.now())
        reason = None
    except rules.BidRefused as refusal:
        reason = str(refusal.code)
    return {
        "code": registration.code,
        "can_bid": reason is None,
        "min_bid": amount(minimum),
        "leading": state.leader_id == registration.pk,
        "reason": reason,
        "priority_rank": registration.priority_rank,
    }


def socket_state(auction_id: int, user, since: int | None) -> tuple[int, list[str]] | None:
    """What a (re)connecting socket is sent: (seq, frames as text), or None for no such public
    round. With `since` a little behind the round, the events after it; otherwise a snapshot."""
    auction = load_public_round(auction_id)
    if auction is None:
        return None
    current = auction.event_seq
    if since is not None and 0 <= current - since <= REPLAY_LIMIT:
        events = AuctionEvent.objects.filter(auction=auction, seq__gt=since, seq__lte=current).order_by("seq")
        return current, [event_text(event) for event in events]
    return current, [dumps(build_snapshot(auction, user))]


@dataclass(frozen=True)
class Public:
    """A round's public snapshot kept for the next sockets that connect (bidding/fanout.py `Room`):
    its seq, its text with SERVER_TIME_MARK and NO_ME to fill in, and the rule state it shows,
    from which a signed-in user's `me` is worked out without reading the round again."""

    seq: int
    template: str
    state: rules.AuctionState


def personal_snapshot(auction_id: int, user, public: Public | None) -> tuple[int, str, Public | None] | None:
    """A signed-in socket's snapshot on connect: (seq, text, the public snapshot read on the way or
    None), or None for no such public round. With `public` (the room's, current up to the events
    it has delivered) only the user's own `me` is read and set into it, instead of reading and
    rendering the round and its recent bids again for every bidder who connects."""
    if public is not None:
        me = dumps(_me(auction_id, public.state, user))
        return public.seq, with_server_time(public.template).replace(f'"me":{NO_ME}', f'"me":{me}', 1), None
    auction = load_public_round(auction_id)
    if auction is None:
        return None
    frame = build_snapshot(auction, user)
    text = dumps(frame)
    frame["me"], frame["server_time"] = None, SERVER_TIME_MARK
    return auction.event_seq, text, Public(auction.event_seq, dumps(frame), round_state(auction))


NO_ME = "null"  # `me` of a stored public snapshot (JSON); never inside a string there, which escapes quotes
SERVER_TIME_MARK = "@@server_time@@"  # where a stored anonymous snapshot takes the time it is sent


def anonymous_snapshot(auction_id: int) -> Public | None:
    """The snapshot an anonymous watcher gets (its text with SERVER_TIME_MARK for the time), or
    None for no such public round. Public state changes only with an event, so the text holds
    for every anonymous watcher until the round's next event (bidding/consumers.py keeps one per
    round and process)."""
    auction = load_public_round(auction_id)
    if auction is None:
        return None
    frame = build_snapshot(auction, None)
    frame["server_time"] = SERVER_TIME_MARK
    return Public(auction.event_seq, dumps(frame), round_state(auction))


def with_server_time(template: str) -> str:
    return template.replace(SERVER_TIME_MARK, iso(clock.now()), 1)

"""Registration and bids: the one bid path behind the socket and the HTTP fallback.

`check_place_bid` takes raw input, locks the round, applies the law (`auctions.rules`) by the
server's receive time and hands an accepted bid to `do_place_bid`, which writes it. The
acknowledgement is returned only after commit, and the broadcast goes out only after commit.
"""

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from auctions import clock, rules
from auctions.lifecycle import close_sale_at_first_bid, lock_round, lock_rounds, open_round, record_step, round_state
from auctions.models import Auction, AuctionEvent
from lots.models import DisposalRecord, Party
from payments import services as payments
from payments.models import Deposit

from . import bulk
from .bidlog import bid_hash, genesis_hash
from .errors import BidError, not_authenticated, not_found, not_registered
from .events import record_event
from .models import Bid, PriorityRight, Registration
from .protocol import amount, iso, to_millis
from .ratelimit import check_bid_rate

REGISTRATION_OPEN = (Auction.Status.ANNOUNCED, Auction.Status.LIVE, Auction.Status.SUSPENDED)


# --- Registration -----------------------------------------------------------------------------
def register_bidder(user, auction_id: int, *, accept_terms: bool) -> Registration:
    """Registers a real-name bidder for one round (BD1) with a bidder code (BD3) and opens the
    deposit (`payments.services.open_deposit`). A second call returns the same registration.

    Refused: without a bidder profile or accepted terms (BD1); for a round that is not public or
    has ended; for barred bidders (BD4). Priority-right holders get a P code and their rank (BD5);
    the applicant creditor is marked for the deposit exemption (BD2).
    """
    if not user or not user.is_authenticated:
        raise not_authenticated()
    profile = getattr(user, "bidder", None)
    if profile is None:
        raise BidError("profile_required", _("请先完成实名认证"), "BD1")
    with transaction.atomic(durable=True):
        # The round's lock serialises registrations: codes stay unique, a repeat finds the first.
        auction = lock_round(auction_id, statuses=Auction.PUBLIC_STATUSES)
        if auction is None:
            raise not_found()
        existing = Registration.objects.filter(auction=auction, user=user).first()
        if existing is not None:
            return existing
        if not accept_terms:
            raise BidError("terms_required", _("请阅读并接受竞买须知"), "BD1")
        now = clock.now()
        if auction.status not in REGISTRATION_OPEN or now >= auction.ends_at:
            raise BidError("registration_closed", _("本场拍卖已结束，不能报名"), "BD1")
        check_not_barred(user, profile.id_number_hash, auction)
        priority = PriorityRight.objects.filter(auction=auction, id_number_hash=profile.id_number_hash).first()
        registration = Registration.objects.create(
            auction=auction,
            user=user,
            code=_new_code(auction, "P" if priority else "A"),
            priority_rank=priority.rank if priority else None,
            is_applicant=Party.objects.filter(
                case_id=auction.lot.case_id, role=Party.Role.APPLICANT, id_number_hash=profile.id_number_hash
            ).exists(),
            terms_accepted_at=now,
        )
        payments.open_deposit(registration)
        return registration


def check_not_barred(user, id_number_hash: str, auction: Auction) -> None:
    """BD4: the case's respondent debtor, staff of the court selling the lot, and a buyer who
    defaulted (悔拍, ST4) on an earlier round of the same lot may not bid."""
    lot = auction.lot
    if Party.objects.filter(case_id=lot.case_id, role=Party.Role.RESPONDENT, id_number_hash=id_number_hash).exists():
        raise BidError("barred", _("被执行人不得竞买本案财产"), "BD4", reason="respondent")
    staff = getattr(user, "court_staff", None)
    if staff is not None and staff.court_id == lot.court_id:
        raise BidError("barred", _("承办法院工作人员不得竞买"), "BD4", reason="court_staff")
    defaulted = Deposit.objects.filter(
        registration__auction__lot_id=lot.pk,
        registration__user__bidder__id_number_hash=id_number_hash,
        status=Deposit.Status.FORFEITED,
    )
    if defaulted.exists():
        raise BidError("barred", _("悔拍的买受人不得参加该标的物的再次拍卖"), "BD4", reason="defaulter")


def _new_code(auction: Auction, prefix: str) -> str:
    """A short code that says nothing about the bidder or the order of registration (BD3)."""
    taken = set(Registration.objects.filter(auction=auction).values_list("code", flat=True))
    digits = 4
    while True:
        for _attempt in range(20):
            code = f"{prefix}{secrets.randbelow(10**digits):0{digits}d}"
            if code not in taken:
                return code
        digits += 1  # that many codes are taken: widen the space


# --- Bids -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BidResult:
    """An accepted, committed bid as its bidder is told (the "ack" frame)."""

    client_bid_id: str
    seq: int  # the round's event seq of this bid's "bid" event
    bid_seq: int
    code: str
    amount: Decimal
    received_at: datetime
    duplicate: bool = False  # a repeated client_bid_id: the first result, nothing written

    def ack_frame(self) -> dict:
        return {
            "type": "ack",
            "client_bid_id": self.client_bid_id or None,
            "seq": self.seq,
            "duplicate": self.duplicate,
            "bid": {
                "seq": self.bid_seq,
                "code": self.code,
                "amount": amount(self.amount),
                "received_at": iso(self.received_at),
            },
        }


def check_place_bid(
    user, auction_id: int, raw_amount, client_bid_id: str = "", *, received_at=None, rate_checked: bool = False
) -> BidResult:
    """Decides and, if lawful, stores one bid; returns after commit. Raises BidError.

    The receive time (taken by the caller as the message arrived, else now) decides everything
    (BI2): the start (BI1), the end, and the extension to receive time + 5 minutes. Under the
    round's row lock: registration (BD1, BD3), deposit (BD1, BD2), amount and increments (PR4),
    priority matching (BD5). A repeated client_bid_id of the same registration returns the first
    result. Any refusal writes nothing.
    """
    received_at = to_millis(received_at or clock.now())
    if not user or not user.is_authenticated:
        raise not_authenticated()
    if not rate_checked:  # a batch that fell back to single bids has counted them already
        check_bid_rate(user.pk)
    with transaction.atomic(durable=True):
        # Read before taking the lock (registrations do not change while a round runs): the
        # round's lock is held for as few round trips as possible.
        registration = Registration.objects.filter(auction_id=auction_id, user=user).first()
        auction = lock_round(auction_id, statuses=Auction.PUBLIC_STATUSES)
        if auction is None:
            raise not_found()
        if registration is None:
            raise not_registered()
        if client_bid_id:
            first = Bid.objects.filter(registration=registration, client_bid_id=client_bid_id).first()
            if first is not None:
                return _repeated(first, registration)
        bidder = rules.BidderState(registration.pk, registration.priority_rank, payments.deposit_secured(registration))
        if auction.status == Auction.Status.ANNOUNCED and auction.starts_at <= received_at < auction.ends_at:
            open_round(auction, received_at)  # the clock is late: time decides, not the worker
        try:
            accepted = rules.evaluate_bid(round_state(auction), bidder, raw_amount, received_at)
        except rules.BidRefused as refusal:
            raise BidError.from_refusal(refusal) from None
        result = do_place_bid(auction, registration, accepted, received_at, client_bid_id)
        if auction.kind == Auction.Kind.SALE:
            close_sale_at_first_bid(auction, received_at)  # FA2: the first buyer at the sale price
        return result


class OneAtATime(Exception):
    """`place_bids` declines a batch (nothing written): decide these bids one by one instead."""


@dataclass(frozen=True)
class BidRequest:
    """One bid as received, waiting for its turn in `place_bids`."""

    user: object
    raw_amount: object
    client_bid_id: str
    received_at: datetime
    language: str | None = None  # the bidder's: refusal messages are worded when they are made

    def decision_order(self) -> tuple:
        """The key that puts bids in the order they are decided (BI2, `rules.decision_order`)."""
        return rules.decision_order(self.received_at, self.raw_amount)


def place_bids(auction_id: int, requests: list[BidRequest]) -> list[BidResult | BidError]:
    """Decides several bids on one round in ONE transaction under one row lock, in receive order
    (`rules.decision_order`: by the millisecond, and bids of the same millisecond by amount);
    returns each bid's result or refusal, in the order given, after commit. The caller has counted
    the bids against the rate limits (`ratelimit.check_bid_rates`, one round trip for all).

    Every bid is decided exactly as `check_place_bid` would decide it placed alone right after the
    bids before it (same rules, same refusals, same records, same events and seqs); what is shared
    is the lock, the reads (registrations, secured deposits, repeated client_bid_ids: one query
    each for the whole batch), the round's row update and the commit (docs/benchmarks.md: a hot
    round takes bids at the rate of commits, so a commit per bid caps it). A refusal writes
    nothing. An unexpected error (or `OneAtATime`, for a 变卖 round) raises with nothing of the
    batch written; the caller then decides the bids one by one with `check_place_bid`
    (bidding/writer.py).
    """
    return place_bids_on_rounds({auction_id: requests})[auction_id]


def place_bids_on_rounds(batches: dict[int, list[BidRequest]]) -> dict[int, list[BidResult | BidError]]:
    """`place_bids` for several rounds in ONE transaction and one commit (the bid writer's batch
    when bids for many rounds queue up at once), with the same queries as for one round: the
    rounds are locked by one statement in ascending id order, as every writer locks them, so two
    processes cannot deadlock; the reads, the inserts and the rounds' update are one statement
    each for all of them. An error raises with nothing written."""
    with transaction.atomic(durable=True):
        return _place_bids_on_rounds(batches)


def _place_bids_on_rounds(batches: dict[int, list[BidRequest]]) -> dict[int, list[BidResult | BidError]]:
    outcomes = {auction_id: [None] * len(requests) for auction_id, requests in batches.items()}
    todo: dict[int, list[int]] = {}  # per round, the indexes of its signed-in bids in decision order
    for auction_id, requests in batches.items():
        for index, request in enumerate(requests):
            if not request.user or not request.user.is_authenticated:
                outcomes[auction_id][index] = not_authenticated()
            else:
                todo.setdefault(auction_id, []).append(index)
        if auction_id in todo:
            todo[auction_id].sort(key=lambda i, r=requests: r[i].decision_order())
    if not todo:
        return outcomes
    registrations = known_registrations.read(
        {auction_id: {batches[auction_id][i].user.pk for i in indexes} for auction_id, indexes in todo.items()}
    )
    rounds = {auction.pk: auction for auction in lock_rounds(todo, statuses=Auction.PUBLIC_STATUSES)}
    if any(auction.kind == Auction.Kind.SALE for auction in rounds.values()):
        raise OneAtATime  # a 变卖 (FA2) ends at its first bid: each bid goes alone
    secured = set(  # BD1 as payments.deposit_secured decides it, for every bidder at once
        Deposit.objects.filter(
            registration_id__in=[r.pk for by_user in registrations.values() for r in by_user.values()],
            status=Deposit.Status.SECURED,
        ).values_list("registration_id", flat=True)
    )
    asked = {batches[a][i].client_bid_id for a, indexes in todo.items() for i in indexes} - {""}
    placed = (
        {
            (bid.registration_id, bid.client_bid_id): bid
            for bid in Bid.objects.filter(auction_id__in=rounds, client_bid_id__in=asked).order_by()
        }
        if asked
        else {}
    )
    rows = {"bids": [], "events": []}  # inserted together, before the rounds' rows are saved
    changed = []
    for auction_id, indexes in todo.items():
        auction = rounds.get(auction_id)
        if auction is None:
            for index in indexes:
                outcomes[auction_id][index] = not_found()
            continue
        placed_before = len(rows["bids"])
        for index in indexes:
            request = batches[auction_id][index]
            with translation.override(request.language):
                _decide_in_batch(
                    auction, registrations[auction_id], secured, placed, request, outcomes[auction_id], index, rows
                )
        if len(rows["bids"]) > placed_before:
            changed.append(auction)
    if changed:
        bulk.insert(rows["bids"])
        bulk.insert(rows["events"])
        bulk.save_fields(changed, AFTER_BID_FIELDS)
    return outcomes


class KnownRegistrations:
    """The registrations the bid writer has read, by round and user. A registration does not change
    once it is made (`RegistrationQuerySet` refuses to update or delete one; the admin shows them
    read-only), so a batch reads only the bidders it has not met before: under M1, reading each
    batch's hundreds of registrations again took a fifth of the writer's time
    (docs/benchmarks.md). Only registrations found are kept: a bidder who registers later is read
    then."""

    LIMIT = 50_000  # registrations kept; past it, the next read starts from empty

    def __init__(self):
        self.kept: dict[tuple[int, int], Registration] = {}

    def read(self, users_by_round: dict[int, set[int]]) -> dict[int, dict[int, Registration]]:
        """{round id: {user id: registration}} for the users asked about who are registered."""
        found: dict[int, dict[int, Registration]] = {auction_id: {} for auction_id in users_by_round}
        missing_rounds, missing_users = set(), set()
        for auction_id, users in users_by_round.items():
            for user_id in users:
                registration = self.kept.get((auction_id, user_id))
                if registration is None:
                    missing_rounds.add(auction_id)
                    missing_users.add(user_id)
                else:
                    found[auction_id][user_id] = registration
        if not missing_users:
            return found
        if len(self.kept) > self.LIMIT:
            self.kept = {}
        # `.order_by()`: the models' default orderings would join the rounds to sort rows nobody orders.
        for registration in Registration.objects.filter(
            auction_id__in=missing_rounds, user_id__in=missing_users
        ).order_by():
            self.kept[registration.auction_id, registration.user_id] = registration
            if registration.user_id in users_by_round.get(registration.auction_id, ()):
                found[registration.auction_id][registration.user_id] = registration
        return found


known_registrations = KnownRegistrations()


def _decide_in_batch(auction, registrations, secured, placed, request, outcomes, index, rows) -> None:
    """One bid of `place_bids`, under the round's lock; what it writes is added to `rows`."""
    registration = registrations.get(request.user.pk)
    if registration is None:
        outcomes[index] = not_registered()
        return
    first = placed.get((registration.pk, request.client_bid_id)) if request.client_bid_id else None
    if isinstance(first, BidResult):  # placed earlier in this batch
        outcomes[index] = dataclasses.replace(first, duplicate=True)
        return
    if first is not None:
        outcomes[index] = _repeated(first, registration)
        return
    bidder = rules.BidderState(registration.pk, registration.priority_rank, registration.pk in secured)
    at = to_millis(request.received_at)  # as check_place_bid keeps it
    if auction.status == Auction.Status.ANNOUNCED and auction.starts_at <= at < auction.ends_at:
        open_round(auction, at)  # the clock is late: time decides, not the worker
    try:
        accepted = rules.evaluate_bid(round_state(auction), bidder, request.raw_amount, at)
    except rules.BidRefused as refusal:
        outcomes[index] = BidError.from_refusal(refusal)
        return
    outcomes[index] = do_place_bid(auction, registration, accepted, at, request.client_bid_id, rows=rows)
    if request.client_bid_id:
        placed[registration.pk, request.client_bid_id] = outcomes[index]


AFTER_BID_FIELDS = [
    "current_price",
    "current_price_currency",
    "leading_bid",
    "bid_count",
    "bid_log_head",
    "ends_at",
    "extension_count",
    "event_seq",
    "updated_at",
]


def do_place_bid(
    auction: Auction,
    registration: Registration,
    accepted: rules.BidAccepted,
    received_at: datetime,
    client_bid_id="",
    *,
    rows: dict | None = None,
) -> BidResult:
    """Writes an accepted bid: the hash-chained Bid row (BI4), the round's price, leader, end and
    counters, the "bid" event and, for an extension (BI2), its disposal record (PD5).

    The caller holds the round's row lock (`lock_round`) and has applied `rules.evaluate_bid`.
    With `rows` ({"bids": [], "events": []}) the Bid and AuctionEvent rows are appended there, and
    the caller inserts them and saves the round (AFTER_BID_FIELDS), once for several bids.
    """
    received_at = to_millis(received_at)
    seq = auction.bid_count + 1
    prev_hash = auction.bid_log_head or genesis_hash(auction.pk)
    bid = Bid(
        auction=auction,
        registration=registration,
        seq=seq,
        amount=Money(accepted.amount, "CNY"),
        received_at=received_at,
        is_priority=registration.priority_rank is not None,
        client_bid_id=client_bid_id or "",
        prev_hash=prev_hash,
        hash=bid_hash(auction.pk, seq, registration.code, accepted.amount, received_at, prev_hash),
    )
    if rows is None:
        bid.save(force_insert=True)
    else:
        rows["bids"].append(bid)
    auction.current_price = Money(accepted.amount, "CNY")
    auction.leading_bid, auction.bid_count, auction.bid_log_head = bid, seq, bid.hash
    if accepted.extended:
        auction.ends_at = accepted.ends_at
        auction.extension_count += 1
        record_step(
            auction,
            DisposalRecord.Kind.ROUND_EXTENDED,
            price=accepted.amount,
            code=registration.code,
            bid_seq=seq,
            ends_at=iso(auction.ends_at),
            extension_count=auction.extension_count,
        )
    frame = record_event(
        auction,
        "bid",
        {
            "seq": seq,
            "code": registration.code,
            "amount": amount(accepted.amount),
            "received_at": iso(received_at),
            "current_price": amount(accepted.amount),
            "ends_at": iso(auction.ends_at),
            "extended": accepted.extended,
            "bid_count": seq,
            "extension_count": auction.extension_count,
            "priority": bid.is_priority,
        },
        received_at,
        rows=None if rows is None else rows["events"],
    )
    if rows is None:  # `place_bids` inserts the rows and saves the round once for the whole batch
        auction.save(update_fields=AFTER_BID_FIELDS)
    return BidResult(client_bid_id, frame["seq"], seq, registration.code, accepted.amount, received_at)


def _repeated(bid: Bid, registration: Registration) -> BidResult:
    event_seq = (
        AuctionEvent.objects.filter(auction_id=bid.auction_id, kind="bid", payload__seq=bid.seq)
        .values_list("seq", flat=True)
        .first()
    )
    return BidResult(
        bid.client_bid_id,
        event_seq,
        bid.seq,
        registration.code,
        bid.amount.amount,
        bid.received_at,
        duplicate=True,
    )

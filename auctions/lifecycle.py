"""A round's life after publication: opening, closing, suspension and resumption.

Every transition locks the round row and re-checks status and time under the lock
(compare-and-set), so the clock worker may run twice, or race a bid, without doing anything
twice. The clock (auctions/management/commands/auction_clock.py) calls `open_due_rounds` and
`close_due_rounds`; the court console calls `suspend_round`, `resume_round` and `withdraw_round`.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, Q
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from bidding.bidlog import genesis_hash
from bidding.errors import BidError
from bidding.events import record_event
from bidding.protocol import amount, iso
from lots.models import DisposalRecord, Lot
from lots.services import record_disposal

from . import clock, handoff, rules
from .announcements import scrub_for_case
from .models import Auction

Status = Auction.Status
# A bid received just before the end may still be waiting for the round's lock; the clock gives
# it this long before closing, so the receive time decides and not the queue (BI2).
CLOSE_GRACE = timedelta(milliseconds=250)
DUE_BATCH = 100  # rounds handled per clock tick and kind of transition
CLOSABLE = (Status.ANNOUNCED, Status.LIVE)


def lock_round(auction_id: int, *, statuses=None, skip_locked: bool = False) -> Auction | None:
    """The round row locked for update (only that row: joined rows stay unlocked), with what the
    rules need; None when missing, not in `statuses`, or (skip_locked) locked by someone else."""
    return _lockable(statuses, skip_locked).filter(pk=auction_id).first()


def lock_rounds(auction_ids, *, statuses=None) -> list[Auction]:
    """Several round rows locked as `lock_round` locks one, by one statement that takes the locks
    in ascending id order: the order every writer of several rounds uses, so two cannot deadlock.
    Rounds missing or not in `statuses` are left out. Only the leader is joined: the bid writer's
    batches lock up to hundreds of rounds, and a round's lot and case are read only when a step
    is recorded (`record_step`: an extension, or a round the clock has not opened yet)."""
    return list(
        _lockable(statuses, skip_locked=False, related=("leading_bid__registration",))
        .filter(pk__in=auction_ids)
        .order_by("pk")
    )


def _lockable(statuses, skip_locked: bool, related=("lot__case", "leading_bid__registration")):
    rounds = Auction.objects.select_for_update(of=("self",), skip_locked=skip_locked).select_related(*related)
    return rounds if statuses is None else rounds.filter(status__in=statuses)


def round_state(auction: Auction) -> rules.AuctionState:
    """The facts the bid rules decide on; `auction` comes from `lock_round` (leader joined)."""
    leader = auction.leading_bid
    return rules.AuctionState(
        status=auction.status,
        starts_at=auction.starts_at,
        ends_at=auction.ends_at,
        starting_price=auction.starting_price.amount,
        increment=auction.increment.amount,
        current_price=auction.current_price.amount if auction.current_price is not None else None,
        leader_id=leader.registration_id if leader else None,
        leader_priority_rank=leader.registration.priority_rank if leader else None,
        is_sale=auction.kind == Auction.Kind.SALE,
    )


def record_step(auction: Auction, kind: str, *, actor=None, price: Decimal | None = None, **detail):
    """The round's disposal record entry (PD5), in the transaction that takes the step."""
    return record_disposal(
        kind, case=auction.lot.case, lot=auction.lot, auction=auction, actor=actor, amount=price, detail=detail
    )


# --- Opening ----------------------------------------------------------------------------------
def open_round(auction: Auction, at: datetime) -> None:
    """Marks a locked, announced round live (BI1: its bidding period has begun) and says so."""
    auction.status = Status.LIVE
    record_event(
        auction,
        "started",
        {"status": auction.status, "starts_at": iso(auction.starts_at), "ends_at": iso(auction.ends_at)},
        at,
    )
    auction.save(update_fields=["status", "event_seq", "updated_at"])
    record_step(auction, DisposalRecord.Kind.ROUND_STARTED)


def do_open_round(auction_id: int, *, skip_locked: bool = False) -> bool:
    with transaction.atomic(durable=True):
        auction = lock_round(auction_id, statuses=[Status.ANNOUNCED], skip_locked=skip_locked)
        now = clock.now()
        if auction is None or not auction.starts_at <= now < auction.ends_at:
            return False
        open_round(auction, now)
        return True


def open_due_rounds() -> int:
    """Opens announced rounds whose bidding period has begun; returns how many it opened."""
    now = clock.now()
    due = Auction.objects.filter(status=Status.ANNOUNCED, starts_at__lte=now, ends_at__gt=now)
    ids = list(due.order_by("starts_at").values_list("pk", flat=True)[:DUE_BATCH])
    return sum(do_open_round(pk, skip_locked=True) for pk in ids)


def next_transition_at(now: datetime) -> datetime | None:
    """The first instant after `now` at which a round becomes due to open (its start) or to close
    (its end plus CLOSE_GRACE), or None: the clock sleeps until then instead of a whole tick, so
    a round closes when it is due and not up to a tick later. Rounds already due are the tick's
    business, not this wake-up's."""
    due = Auction.objects.aggregate(
        opens=Min("starts_at", filter=Q(status=Status.ANNOUNCED, starts_at__gt=now)),
        closes=Min("ends_at", filter=Q(status__in=CLOSABLE, ends_at__gt=now - CLOSE_GRACE)),
    )
    times = [due["opens"], due["closes"] and due["closes"] + CLOSE_GRACE]
    return min((at for at in times if at is not None), default=None)


# --- Closing ----------------------------------------------------------------------------------
def do_close_auction(auction_id: int, *, skip_locked: bool = False) -> str | None:
    """Closes a round whose end (extensions included) has passed: "sold" or "failed", or None
    when there is nothing to do (not open, not yet ended, or being closed by another clock).

    BI3/BI5: the leading bid is the highest valid one, BD5 already applied when bids were
    accepted; `rules.closing_result` decides. The final hash of the bid record is published in
    the "closed" event (BI4); settlement continues in `auctions.handoff.round_closed`.
    """
    with transaction.atomic(durable=True):
        auction = lock_round(auction_id, statuses=CLOSABLE, skip_locked=skip_locked)
        now = clock.now()
        if auction is None or now < auction.ends_at:
            return None
        return close_round(auction, now)


def close_round(auction: Auction, now: datetime) -> str:
    """Closes a locked round at `now` (the caller has checked that it may close) and hands it to
    settlement; returns "sold" or "failed"."""
    result = rules.closing_result(round_state(auction))
    sold = result == "sold"
    leader = auction.leading_bid if sold else None
    price = auction.current_price.amount if sold else None
    final_hash = auction.bid_log_head or genesis_hash(auction.pk)
    auction.status, auction.closed_at = (Status.SOLD if sold else Status.FAILED), now
    record_event(
        auction,
        "closed",
        {
            "result": result,
            "price": amount(price),
            "code": leader.registration.code if leader else None,
            "final_hash": final_hash,
            "bid_count": auction.bid_count,
        },
        now,
    )
    auction.save(update_fields=["status", "closed_at", "ends_at", "event_seq", "updated_at"])
    if sold:
        Lot.objects.filter(pk=auction.lot_id).update(status=Lot.Status.SOLD, updated_at=now)
        record_step(
            auction,
            DisposalRecord.Kind.ROUND_SOLD,
            price=price,
            code=leader.registration.code,
            bid_seq=leader.seq,
            final_hash=final_hash,
        )
    else:
        record_step(auction, DisposalRecord.Kind.ROUND_FAILED, bid_count=auction.bid_count, final_hash=final_hash)
    handoff.round_closed(auction)
    if sold and auction.kind == Auction.Kind.SALE:
        _sale_paid_up_front(auction, price)
    return result


def _sale_paid_up_front(auction: Auction, price: Decimal) -> None:
    """FA2: the 变卖 buyer paid the full price up front as the deposit, which settlement has just
    applied; nothing is left to pay, so the price is in the court's account now."""
    settlement = getattr(auction, "settlement", None)
    if settlement is not None and settlement.status == "paid":
        record_step(auction, DisposalRecord.Kind.PROCEEDS_RECEIVED, price=price, paid_up_front=True)


def close_sale_at_first_bid(auction: Auction, received_at: datetime) -> str:
    """FA2: the first bid at the sale price buys the lot; the 变卖 ends at that bid's receive time.
    The caller holds the round's lock and has just written the bid (bidding.services)."""
    auction.ends_at = received_at
    return close_round(auction, received_at)


def close_due_rounds() -> int:
    """Closes rounds past their end; returns how many it closed."""
    due = Auction.objects.filter(status__in=CLOSABLE, ends_at__lte=clock.now() - CLOSE_GRACE)
    ids = list(due.order_by("ends_at").values_list("pk", flat=True)[:DUE_BATCH])
    return sum(do_close_auction(pk, skip_locked=True) is not None for pk in ids)


# --- Suspension (FA4) and withdrawal (FA5) ---------------------------------------------------
def _lock_for_court(auction_id: int, actor, statuses) -> Auction:
    auction = lock_round(auction_id, statuses=statuses)
    if auction is None:
        if Auction.objects.filter(pk=auction_id).exists():
            raise BidError("wrong_status", _("当前状态不能执行此操作"), "FA4")
        raise BidError("not_found", _("没有这场拍卖"))
    staff = getattr(actor, "court_staff", None)
    if staff is None or staff.court_id != auction.lot.court_id:
        raise BidError("forbidden", _("只有本院工作人员可以暂缓、恢复或撤回拍卖"))
    return auction


def suspend_round(auction_id: int, actor, reason: str) -> Auction:
    """FA4: suspends an announced or live round and publishes the reason. The bidding time left
    is recorded so that resuming restores it."""
    reason = (reason or "").strip()
    if not reason:
        raise BidError("reason_required", _("暂缓拍卖须公布原因"), "FA4")
    with transaction.atomic():  # a court act: the court API's idempotency record commits with it
        auction = _lock_for_court(auction_id, actor, CLOSABLE)
        reason = scrub_for_case(reason, auction.lot.case)  # published: personal data masked (AN5)
        now = clock.now()
        remaining = auction.ends_at - max(now, auction.starts_at)
        auction.status = Status.SUSPENDED
        record_event(auction, "suspended", {"status": auction.status, "reason": reason}, now)
        auction.save(update_fields=["status", "event_seq", "updated_at"])
        record_step(
            auction,
            DisposalRecord.Kind.ROUND_SUSPENDED,
            actor=actor,
            reason=reason,
            remaining_seconds=max(remaining.total_seconds(), 0),
        )
        return auction


def resume_round(auction_id: int, actor, cause_ended_on: date | str | None = None) -> Auction:
    """FA4: resumes a suspended round. Before its start it is simply announced again; otherwise
    bidding reopens with the time that was left at suspension, and never less than 5 minutes.

    `cause_ended_on`, when the court gives it, is the day the cause of the suspension ended: it may
    not lie in the future, and the record keeps the FA4 deadline (that day + 5) and whether the
    resumption met it. A late resumption still goes ahead (the round must not stay suspended)."""
    ended_on = _cause_ended_on(cause_ended_on)
    with transaction.atomic():  # a court act: the court API's idempotency record commits with it
        auction = _lock_for_court(auction_id, actor, [Status.SUSPENDED])
        now = clock.now()
        today = rules.court_date(now)
        if ended_on is not None and ended_on > today:
            raise BidError("cause_not_ended", _("暂缓原因消除之日不得晚于今天"), "FA4")
        suspension = (
            DisposalRecord.objects.filter(auction=auction, kind=DisposalRecord.Kind.ROUND_SUSPENDED)
            .order_by("-at", "-id")
            .first()
        )
        remaining = timedelta(seconds=suspension.detail["remaining_seconds"]) if suspension else timedelta(0)
        if now < auction.starts_at:
            auction.status = Status.ANNOUNCED
        else:
            auction.status = Status.LIVE
            auction.ends_at = now + max(remaining, rules.SOFT_CLOSE_WINDOW)
        record_event(auction, "resumed", {"status": auction.status, "ends_at": iso(auction.ends_at)}, now)
        auction.save(update_fields=["status", "ends_at", "event_seq", "updated_at"])
        timing = {}
        if ended_on is not None:
            timing = {
                "cause_ended_on": ended_on.isoformat(),
                "resume_deadline": rules.resume_deadline(ended_on).isoformat(),
                "within_deadline": rules.check_resume_deadline(ended_on, today) is None,
            }
        record_step(auction, DisposalRecord.Kind.ROUND_RESUMED, actor=actor, ends_at=iso(auction.ends_at), **timing)
        return auction


def _cause_ended_on(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        parsed = parse_date(str(value).strip()) if isinstance(value, str) else None
    except ValueError:  # well formed but no such day
        parsed = None
    if parsed is None:
        raise BidError("invalid_date", _("日期格式应为 YYYY-MM-DD"), "FA4")
    return parsed


def withdraw_round(auction_id: int, actor, reason: str) -> Auction:
    """FA5: withdraws a round that has not ended and publishes the reason; settlement releases
    every deposit (`auctions.handoff.round_closed`). What becomes of the lot is the court's call."""
    reason = (reason or "").strip()
    if not reason:
        raise BidError("reason_required", _("撤回拍卖须公布原因"), "FA5")
    with transaction.atomic():  # a court act: the court API's idempotency record commits with it
        auction = _lock_for_court(auction_id, actor, [*CLOSABLE, Status.SUSPENDED])
        return withdraw_locked(auction, actor, reason)


def withdraw_locked(auction: Auction, actor, reason: str, **detail) -> Auction:
    """FA5: withdraws a locked round that has not ended, publishing `reason`; settlement then
    releases every deposit. `detail` adds to the disposal record (FA6 names its rule there)."""
    reason = scrub_for_case(reason, auction.lot.case)  # published: personal data masked (AN5)
    now = clock.now()
    auction.status, auction.closed_at = Status.WITHDRAWN, now
    record_event(auction, "withdrawn", {"status": auction.status, "reason": reason}, now)
    auction.save(update_fields=["status", "closed_at", "event_seq", "updated_at"])
    record_step(auction, DisposalRecord.Kind.ROUND_WITHDRAWN, actor=actor, reason=reason, **detail)
    handoff.round_closed(auction)
    return auction

"""What each source announces, and to whom. Each function runs in a background task, reads the
committed rows it is told about, and calls `services.notify` with a key derived from them, so
running it twice sends nothing twice.

Sources: `lots.signals.disposal_recorded` (results, extensions, withdrawals, the parties' steps),
`bidding.events.round_event_recorded` (outbid), and the periodic `sweep` (registrations, deposit
moves, starting and ending soon, balance due and its reminders).
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q

from auctions.models import Auction
from auctions.presenters import yuan
from bidding.models import Bid, Registration
from lots.models import DisposalRecord, Party
from payments.models import Deposit, Settlement

from . import timing
from .messages import iso
from .models import Kind, Notification, ReminderSubscription
from .services import notify

Step = DisposalRecord.Kind
# Steps a party hears about (PD2): everything but the extensions of a live round.
PARTY_STEPS = frozenset(Step) - {Step.ROUND_EXTENDED}
RESULT_STEPS = frozenset({Step.ROUND_SOLD, Step.ROUND_FAILED})
PARTY_ROLES = (Party.Role.APPLICANT, Party.Role.AGENT, Party.Role.REPRESENTATIVE)


def _lot_params(auction: Auction) -> dict:
    return {"lot": auction.lot.title, "round": auction.round_label}


def _registrations(auction: Auction):
    return Registration.objects.filter(auction=auction).select_related("user").order_by("pk")


# --- Disposal records -----------------------------------------------------------------------------
def on_disposal(record_id: int) -> None:
    record = (
        DisposalRecord.objects.select_related("auction__lot", "auction__settlement", "case", "lot")
        .filter(pk=record_id)
        .first()
    )
    if record is None:
        return
    with transaction.atomic():
        if record.auction is not None:
            _bidders_hear(record)
        if record.kind in PARTY_STEPS:
            _parties_hear(record)


def _bidders_hear(record: DisposalRecord) -> None:
    auction = record.auction
    base = _lot_params(auction)
    if record.kind == Step.ROUND_SOLD:
        price = yuan(record.amount.amount if record.amount else None)
        winner_code = record.detail.get("code")
        settlement = getattr(auction, "settlement", None)
        for registration in _registrations(auction):
            if registration.code == winner_code:
                notify(
                    Kind.WON,
                    f"won:{auction.pk}",
                    user=registration.user,
                    auction=auction,
                    price=price,
                    code=registration.code,
                    **base,
                )
                if settlement is not None and settlement.status == Settlement.Status.AWAITING_BALANCE:
                    _balance_due(settlement, registration, base)
            else:
                notify(
                    Kind.LOST,
                    f"lost:{auction.pk}:{registration.user_id}",
                    user=registration.user,
                    auction=auction,
                    result="sold",
                    price=price,
                    **base,
                )
    elif record.kind in (Step.ROUND_FAILED, Step.ROUND_WITHDRAWN):
        result = "failed" if record.kind == Step.ROUND_FAILED else "withdrawn"
        for registration in _registrations(auction):
            notify(
                Kind.LOST,
                f"lost:{auction.pk}:{registration.user_id}",
                user=registration.user,
                auction=auction,
                result=result,
                **base,
            )
    elif record.kind == Step.ROUND_EXTENDED:
        count = record.detail.get("extension_count", record.pk)
        for registration in _registrations(auction):
            if registration.code == record.detail.get("code"):
                continue  # the bidder whose bid extended the round knows
            notify(
                Kind.EXTENDED,
                f"extended:{auction.pk}:{count}:{registration.user_id}",
                user=registration.user,
                auction=auction,
                at=record.detail.get("ends_at"),
                **base,
            )


def _parties_hear(record: DisposalRecord) -> None:
    """Results and new steps to the case's verified parties (PD1, PD2: the applicant, its
    representatives and agents whose agency has not ended), by email when the court recorded an
    address at verification (lots/portal.py); parties have no site account. The respondent is not
    told through the platform."""
    parties = (
        Party.objects.filter(
            case=record.case, role__in=PARTY_ROLES, verified_at__isnull=False, agency_ended_at__isnull=True
        )
        .exclude(email="")
        .order_by("pk")
    )
    lot_title = record.lot.title if record.lot else ""
    for party in parties:
        if record.kind in RESULT_STEPS:
            notify(
                Kind.CASE_RESULT,
                f"party:{party.pk}:{record.pk}",
                party=party,
                auction=record.auction,
                case=record.case.number,
                lot=lot_title,
                step=record.kind,
                price=yuan(record.amount.amount) if record.amount else "",
            )
        else:
            notify(
                Kind.CASE_STEP,
                f"party:{party.pk}:{record.pk}",
                party=party,
                auction=record.auction,
                case=record.case.number,
                lot=lot_title,
                step=record.kind,
                at=iso(record.at),
            )


def _balance_due(settlement: Settlement, registration: Registration, base: dict) -> None:
    notify(
        Kind.BALANCE_DUE,
        f"balance_due:{settlement.pk}",
        user=registration.user,
        auction=settlement.auction,
        balance=yuan(settlement.balance.amount),
        due=iso(settlement.balance_due_at),
        **base,
    )


# --- Round events -------------------------------------------------------------------------------
def on_bid(auction_id: int, bid_seq: int) -> None:
    """Outbid: the bidder who led before bid `bid_seq` hears of it, unless they raised their own bid."""
    if bid_seq < 2:
        return
    bids = {
        bid.seq: bid
        for bid in Bid.objects.filter(auction_id=auction_id, seq__in=(bid_seq - 1, bid_seq)).select_related(
            "registration__user", "auction__lot"
        )
    }
    previous, current = bids.get(bid_seq - 1), bids.get(bid_seq)
    if previous is None or current is None or previous.registration_id == current.registration_id:
        return
    auction = current.auction
    with transaction.atomic():
        notify(
            Kind.OUTBID,
            f"outbid:{auction_id}:{bid_seq}",
            user=previous.registration.user,
            auction=auction,
            price=yuan(current.amount.amount),
            code=current.registration.code,
            yours=yuan(previous.amount.amount),
            **_lot_params(auction),
        )


# --- The periodic sweep -----------------------------------------------------------------------------
def sweep(now: datetime) -> int:
    """Everything that is announced by looking: returns how many notifications it wrote or found."""
    count = 0
    with transaction.atomic():
        count += _registrations_done(now)
        count += _missed_outbids(now)
        count += _deposits_moved(now)
        count += _rounds_soon(now)
        count += _balances(now)
    return count


def _registrations_done(now: datetime) -> int:
    since = now - timing.SWEEP_LOOKBACK
    recent = Registration.objects.filter(terms_accepted_at__gte=since, terms_accepted_at__lte=now).select_related(
        "user", "auction__lot"
    )
    for registration in recent:
        notify(
            Kind.REGISTERED,
            f"registered:{registration.pk}",
            user=registration.user,
            auction=registration.auction,
            code=registration.code,
            **_lot_params(registration.auction),
        )
    return len(recent)


def _missed_outbids(now: datetime) -> int:
    """Outbid notices whose task never ran (its process ended before enqueuing): recent bids from
    the second of a round on, whose key is not written yet."""
    recent = list(
        Bid.objects.filter(received_at__gte=now - timing.OUTBID_LOOKBACK, received_at__lte=now, seq__gt=1)
        .order_by("auction_id", "seq")
        .values_list("auction_id", "seq")
    )
    keys = {f"outbid:{auction_id}:{seq}": (auction_id, seq) for auction_id, seq in recent}
    written = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
    missing = [pair for key, pair in keys.items() if key not in written]
    for auction_id, seq in missing:
        on_bid(auction_id, seq)
    return len(missing)


def _deposits_moved(now: datetime) -> int:
    since = now - timing.SWEEP_LOOKBACK
    deposits = Deposit.objects.select_related("registration__user", "registration__auction__lot")
    secured = list(deposits.filter(secured_at__gte=since, secured_at__lte=now))
    released = list(
        deposits.filter(
            status=Deposit.Status.RELEASED, secured_at__isnull=False, settled_at__gte=since, settled_at__lte=now
        )
    )
    for deposit in secured:
        registration = deposit.registration
        notify(
            Kind.DEPOSIT_SECURED,
            f"deposit_secured:{deposit.pk}",
            user=registration.user,
            auction=registration.auction,
            amount=yuan(deposit.amount.amount),
            **_lot_params(registration.auction),
        )
    for deposit in released:
        registration = deposit.registration
        notify(
            Kind.DEPOSIT_RELEASED,
            f"deposit_released:{deposit.pk}",
            user=registration.user,
            auction=registration.auction,
            amount=yuan(deposit.amount.amount),
            **_lot_params(registration.auction),
        )
    return len(secured) + len(released)


def _audience(auction: Auction) -> list:
    """Reminder subscribers and registered bidders, each once."""
    users = {}
    for subscription in ReminderSubscription.objects.filter(auction=auction).select_related("user").order_by("pk"):
        users.setdefault(subscription.user_id, subscription.user)
    for registration in _registrations(auction):
        users.setdefault(registration.user_id, registration.user)
    return list(users.values())


def _rounds_soon(now: datetime) -> int:
    starting = Auction.objects.filter(
        status=Auction.Status.ANNOUNCED, starts_at__gt=now, starts_at__lte=now + timing.START_REMINDER_LEAD
    )
    ending = Auction.objects.filter(
        status=Auction.Status.LIVE, ends_at__gt=now, ends_at__lte=now + timing.END_REMINDER_LEAD
    )
    count = 0
    for auction in starting.select_related("lot"):
        if not timing.due_before(auction.starts_at, timing.START_REMINDER_LEAD, now):
            continue
        for user in _audience(auction):
            notify(
                Kind.STARTING_SOON,
                f"starting_soon:{auction.pk}:{user.pk}",
                user=user,
                auction=auction,
                at=iso(auction.starts_at),
                **_lot_params(auction),
            )
            count += 1
    for auction in ending.select_related("lot"):
        if not timing.due_before(auction.ends_at, timing.END_REMINDER_LEAD, now):
            continue
        price = yuan((auction.current_price or auction.starting_price).amount)
        for user in _audience(auction):
            notify(
                Kind.ENDING_SOON,
                f"ending_soon:{auction.pk}:{user.pk}",
                user=user,
                auction=auction,
                at=iso(auction.ends_at),
                price=price,
                **_lot_params(auction),
            )
            count += 1
    return count


def _balances(now: datetime) -> int:
    awaiting = Settlement.objects.filter(
        Q(status=Settlement.Status.AWAITING_BALANCE), balance_due_at__gt=now, winner__isnull=False
    ).select_related("winner__user", "auction__lot")
    count = 0
    for settlement in awaiting:
        base = _lot_params(settlement.auction)
        _balance_due(settlement, settlement.winner, base)
        count += 1
        stage = timing.balance_reminder_stage(settlement.balance_due_at, now)
        if stage is not None:
            notify(
                Kind.BALANCE_REMINDER,
                f"balance_reminder:{settlement.pk}:{stage}",
                user=settlement.winner.user,
                auction=settlement.auction,
                balance=yuan(settlement.balance.amount),
                due=iso(settlement.balance_due_at),
                **base,
            )
            count += 1
    return count

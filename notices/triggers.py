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
    if record.kind in RESULT_STEPS:
        kind, detail = Kind.CASE_RESULT, {"price": yuan(record.amount.amount) if record.amount else ""}
    else:
        kind, detail = Kind.CASE_STEP, {"at": iso(record.at)}
    for party in parties:
        notify(
            kind,
            f"party:{party.pk}:{record.pk}",
            party=party,
            auction=record.auction,
            case=record.case.number,
            lot=lot_title,
            step=record.kind,
            **detail,
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
    """Everything that is announced by looking; returns how many notifications it wrote. Each part
    first asks which of its keys are written already (one query), so a sweep that finds nothing
    new costs a few queries, however many rows it looks at."""
    with transaction.atomic():
        return (
            _registrations_done(now) + _missed_outbids(now) + _deposits_moved(now) + _rounds_soon(now) + _balances(now)
        )


def _unwritten(keys) -> set[str]:
    keys = set(keys)
    return keys - set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))


def _registrations_done(now: datetime) -> int:
    since = now - timing.SWEEP_LOOKBACK
    recent = Registration.objects.filter(terms_accepted_at__gte=since, terms_accepted_at__lte=now)
    new = _unwritten(f"registered:{pk}" for pk in recent.values_list("pk", flat=True))
    wanted = recent.filter(pk__in=[int(key.split(":")[1]) for key in new]).select_related("user", "auction__lot")
    for registration in wanted:
        notify(
            Kind.REGISTERED,
            f"registered:{registration.pk}",
            user=registration.user,
            auction=registration.auction,
            code=registration.code,
            **_lot_params(registration.auction),
        )
    return len(wanted)


def _missed_outbids(now: datetime) -> int:
    """Outbid notices whose task never ran (its process ended before enqueuing): recent bids from
    the second of a round on, whose key is not written yet."""
    recent = Bid.objects.filter(
        received_at__gte=now - timing.OUTBID_LOOKBACK, received_at__lte=now, seq__gt=1
    ).values_list("auction_id", "seq")
    keys = {f"outbid:{auction_id}:{seq}": (auction_id, seq) for auction_id, seq in recent}
    missing = sorted(keys[key] for key in _unwritten(keys))
    for auction_id, seq in missing:
        on_bid(auction_id, seq)
    return len(missing)


def _deposits_moved(now: datetime) -> int:
    since = now - timing.SWEEP_LOOKBACK
    moves = (
        (Kind.DEPOSIT_SECURED, Deposit.objects.filter(secured_at__gte=since, secured_at__lte=now)),
        (
            Kind.DEPOSIT_RELEASED,
            Deposit.objects.filter(
                status=Deposit.Status.RELEASED, secured_at__isnull=False, settled_at__gte=since, settled_at__lte=now
            ),
        ),
    )
    count = 0
    for kind, deposits in moves:
        new = _unwritten(f"{kind}:{pk}" for pk in deposits.values_list("pk", flat=True))
        wanted = deposits.filter(pk__in=[int(key.split(":")[1]) for key in new]).select_related(
            "registration__user", "registration__auction__lot"
        )
        for deposit in wanted:
            registration = deposit.registration
            notify(
                kind,
                f"{kind}:{deposit.pk}",
                user=registration.user,
                auction=registration.auction,
                amount=yuan(deposit.amount.amount),
                **_lot_params(registration.auction),
            )
            count += 1
    return count


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
    for kind, rounds, lead, moment in (
        (Kind.STARTING_SOON, starting, timing.START_REMINDER_LEAD, "starts_at"),
        (Kind.ENDING_SOON, ending, timing.END_REMINDER_LEAD, "ends_at"),
    ):
        for auction in rounds.select_related("lot"):
            at = getattr(auction, moment)
            if not timing.due_before(at, lead, now):
                continue
            audience = _audience(auction)
            new = _unwritten(f"{kind}:{auction.pk}:{user.pk}" for user in audience)
            extra = (
                {"price": yuan((auction.current_price or auction.starting_price).amount)}
                if kind == Kind.ENDING_SOON
                else {}
            )
            for user in audience:
                key = f"{kind}:{auction.pk}:{user.pk}"
                if key in new:
                    notify(kind, key, user=user, auction=auction, at=iso(at), **extra, **_lot_params(auction))
                    count += 1
    return count


def _balances(now: datetime) -> int:
    awaiting = list(
        Settlement.objects.filter(
            Q(status=Settlement.Status.AWAITING_BALANCE), balance_due_at__gt=now, winner__isnull=False
        ).select_related("winner__user", "auction__lot")
    )
    stages = {settlement.pk: timing.balance_reminder_stage(settlement.balance_due_at, now) for settlement in awaiting}
    keys = [f"balance_due:{settlement.pk}" for settlement in awaiting]
    keys += [f"balance_reminder:{pk}:{stage}" for pk, stage in stages.items() if stage is not None]
    new = _unwritten(keys)
    count = 0
    for settlement in awaiting:
        base = _lot_params(settlement.auction)
        if f"balance_due:{settlement.pk}" in new:
            _balance_due(settlement, settlement.winner, base)
            count += 1
        key = f"balance_reminder:{settlement.pk}:{stages[settlement.pk]}"
        if key in new:
            notify(
                Kind.BALANCE_REMINDER,
                key,
                user=settlement.winner.user,
                auction=settlement.auction,
                balance=yuan(settlement.balance.amount),
                due=iso(settlement.balance_due_at),
                **base,
            )
            count += 1
    return count

"""Scheduling rounds and publishing their announcements (AN1–AN6, PR1–PR4, BI1, RP3).

Every function here validates through auctions/rules.py, runs in one transaction, locks in the
global order Auction → Lot, and writes the case's DisposalRecord (PD5). A refused request saves
nothing and raises RuleViolation naming the rules.
"""

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from lots.models import DisposalRecord, Lot
from lots.services import lock_lot, record_disposal

from . import clock, rules
from .announcements import build_sections, scrub_for_case
from .errors import RuleViolation
from .models import Announcement, AnnouncementAmendment, Auction

logger = logging.getLogger(__name__)

UNPUBLISHED_STATUSES = frozenset({Auction.Status.DRAFT, Auction.Status.SCHEDULED})
# A lot has at most one round in one of these at a time.
ACTIVE_STATUSES = UNPUBLISHED_STATUSES | Auction.OPEN_STATUSES
TERM_FIELDS = ("starting_price", "increment", "deposit", "announce_at", "starts_at", "ends_at", "balance_due_at")


@dataclass(frozen=True)
class Terms:
    """What a court enters for a round (money in yuan as Decimal, aware datetimes)."""

    starting_price: Decimal
    increment: Decimal
    deposit: Decimal
    announce_at: datetime
    starts_at: datetime
    ends_at: datetime
    balance_due_at: datetime


def defaulted(auction: Auction) -> bool:
    """ST4: the round sold but its buyer defaulted (悔拍) and the court confirmed it."""
    from payments.models import Settlement  # payments imports auctions, not the reverse

    return (
        auction.status == Auction.Status.SOLD
        and Settlement.objects.filter(auction=auction, status=Settlement.Status.DEFAULTED).exists()
    )


def previous_round_for(lot: Lot) -> Auction | None:
    """The round a re-auction follows: the lot's latest auction round, when it failed (流拍, FA1) or
    its buyer defaulted (悔拍, ST4) and no round follows it yet."""
    latest = lot.auctions.filter(kind=Auction.Kind.AUCTION).order_by("-round_no").first()
    if latest is None or Auction.objects.filter(previous=latest).exists():
        return None
    if latest.status == Auction.Status.FAILED or defaulted(latest):
        return latest
    return None


def _check_sequence(lot: Lot, previous: Auction | None, editing: Auction | None) -> list[rules.Refusal]:
    """Raises ValidationError when the lot cannot take a round now; returns the FA1 refusal when a
    later round does not follow a failed one (re-auction only after 流拍, or after 悔拍 by ST4)."""
    after_default = previous is not None and previous.lot_id == lot.id and defaulted(previous)
    if previous is not None and previous.status != Auction.Status.FAILED and not after_default:
        return [rules.Refusal("FA1", "", "previous_not_failed", _("只有流拍或买受人悔拍的轮次之后才能重新拍卖"))]
    open_statuses = (Lot.Status.DRAFT, Lot.Status.LISTED, *((Lot.Status.SOLD,) if after_default else ()))
    if lot.status not in open_statuses:
        raise ValidationError(_("该标的物已成交、抵债或撤回，不能再安排拍卖。"), code="lot_closed")
    others = lot.auctions.exclude(pk=editing.pk) if editing is not None else lot.auctions.all()
    if others.filter(status__in=ACTIVE_STATUSES).exists():
        raise ValidationError(_("该标的物已有未结束的拍卖轮次。"), code="round_in_progress")
    if previous is None:
        follows_nothing = not others.exists()
    else:
        follows_nothing = (
            previous.lot_id == lot.id
            and previous.kind == Auction.Kind.AUCTION
            and (previous.status == Auction.Status.FAILED or after_default)
            and not others.filter(previous=previous).exists()
        )
    if follows_nothing:
        return []
    return [rules.Refusal("FA1", "", "previous_not_failed", _("再次拍卖须在前一轮流拍之后安排"))]


def failed_on(auction: Auction):
    """The court calendar day a round failed (FA1 counts 30 days from it)."""
    return rules.court_date(auction.closed_at or auction.ends_at)


def round_refusals(lot: Lot, terms: Terms, *, previous: Auction | None = None, editing: Auction | None = None):
    """All rule refusals for these terms (rules.check_round_terms plus FA1 and ST3); raises
    ValidationError when the lot cannot take a round at all.

    An announcement time already past counts as "now", since that is when it would go out (AN1).
    """
    reference = lot.current_reference_price()
    if reference is None:
        return [rules.Refusal("RP1", "", "reference_price_missing", _("须先确定参考价，才能安排拍卖"))]
    refusals = _check_sequence(lot, previous, editing)
    if terms.balance_due_at <= terms.ends_at:
        refusals.append(
            rules.Refusal("ST3", "balance_due_at", "balance_due_too_early", _("尾款截止时间须晚于竞价结束时间"))
        )
    announce_at = max(terms.announce_at, clock.now())
    round_terms = rules.RoundTerms(
        round_no=previous.round_no + 1 if previous else 1,
        is_immovable=lot.is_immovable,
        reference_price=reference.value.amount,
        reference_valid_until=reference.valid_until,
        starting_price=terms.starting_price,
        increment=terms.increment,
        deposit=terms.deposit,
        announce_at=announce_at,
        starts_at=terms.starts_at,
        ends_at=terms.ends_at,
        previous_starting_price=previous.starting_price.amount if previous else None,
    )
    refusals += rules.check_round_terms(round_terms, timezone.localtime(announce_at).date())
    if previous is not None and previous.status == Auction.Status.FAILED:
        late = rules.check_reauction_deadline(failed_on(previous), rules.court_date(terms.starts_at))
        refusals += [late] if late else []
    return refusals


def _check(lot, terms, **kwargs) -> None:
    refusals = round_refusals(lot, terms, **kwargs)
    if refusals:
        raise RuleViolation(refusals)


def _apply_terms(auction: Auction, terms: Terms) -> None:
    for name in TERM_FIELDS:
        setattr(auction, name, getattr(terms, name))
    auction.scheduled_end_at = terms.ends_at


def _terms_detail(terms: Terms) -> dict:
    return {name: str(getattr(terms, name)) for name in TERM_FIELDS}


@transaction.atomic
def schedule_round(
    lot: Lot,
    actor,
    *,
    starting_price: Decimal,
    increment: Decimal,
    deposit: Decimal,
    announce_at: datetime,
    starts_at: datetime,
    ends_at: datetime,
    balance_due_at: datetime,
    court_text: str = "",
    previous: Auction | None = None,
    as_draft: bool = False,
) -> Auction:
    """Creates a round (SCHEDULED, or DRAFT to confirm later) and its unpublished announcement after
    every scheduling rule passes; otherwise raises RuleViolation and saves nothing."""
    if previous is not None:
        previous = Auction.objects.select_for_update().get(pk=previous.pk)  # Auction before Lot
    lot = lock_lot(lot)
    terms = Terms(starting_price, increment, deposit, announce_at, starts_at, ends_at, balance_due_at)
    _check(lot, terms, previous=previous)
    if lot.status == Lot.Status.SOLD:  # ST4: the buyer defaulted; the lot is for sale again
        lot.status = Lot.Status.LISTED
        lot.save(update_fields=["status", "updated_at"])
    auction = Auction(
        lot=lot,
        round_no=previous.round_no + 1 if previous else 1,
        previous=previous,
        status=Auction.Status.DRAFT if as_draft else Auction.Status.SCHEDULED,
        created_by=actor,
    )
    _apply_terms(auction, terms)
    auction.save()
    Announcement.objects.create(auction=auction, court_text=court_text.strip(), publish_at=announce_at)
    if not as_draft:
        _record_scheduled(auction, actor, terms)
    return auction


def _record_scheduled(auction: Auction, actor, terms: Terms) -> None:
    kind = DisposalRecord.Kind.REAUCTION_SCHEDULED if auction.previous_id else DisposalRecord.Kind.ROUND_SCHEDULED
    detail = {"round": auction.round_label, **_terms_detail(terms)}
    if auction.previous_id:
        previous = auction.previous
        detail.update(
            previous_round_id=previous.id,
            after="default" if previous.status == Auction.Status.SOLD else "failed",
            previous_starting_price=str(previous.starting_price.amount),
        )
    record_disposal(
        kind,
        case=auction.lot.case,
        actor=actor,
        lot=auction.lot,
        auction=auction,
        amount=terms.starting_price,
        detail=detail,
    )


def _lock_unpublished(auction: Auction) -> tuple[Auction, Lot]:
    auction = Auction.objects.select_for_update().get(pk=auction.pk)
    lot = lock_lot(auction.lot)
    if auction.status not in UNPUBLISHED_STATUSES:
        raise ValidationError(_("公告已发布，不能修改轮次；请发布公告更正（AN6）。"), code="already_published")
    return auction, lot


def current_terms(auction: Auction) -> Terms:
    return Terms(
        auction.starting_price.amount,
        auction.increment.amount,
        auction.deposit.amount,
        auction.announce_at,
        auction.starts_at,
        auction.scheduled_end_at,
        auction.balance_due_at,
    )


@transaction.atomic
def update_round(auction: Auction, actor, *, court_text: str | None = None, **changes) -> Auction:
    """Edits a round not yet announced, through the same rule checks as scheduling (AN6: once
    published it is corrected only by amendments)."""
    unknown = set(changes) - set(TERM_FIELDS)
    if unknown:
        raise ValueError(f"update_round cannot change {sorted(unknown)}")
    auction, lot = _lock_unpublished(auction)
    if auction.kind == Auction.Kind.SALE:
        raise ValidationError(_("变卖的价格和期间由法律确定，不能修改；如需改期请撤回后重新安排。"), code="sale_fixed")
    terms = replace(current_terms(auction), **changes)
    _check(lot, terms, previous=auction.previous, editing=auction)
    _apply_terms(auction, terms)
    auction.save()
    announcement = auction.announcement
    announcement.publish_at = terms.announce_at
    if court_text is not None:
        announcement.court_text = court_text.strip()
    announcement.save(update_fields=["publish_at", "court_text"])
    if auction.status == Auction.Status.SCHEDULED:
        _record_scheduled(auction, actor, terms)
    return auction


@transaction.atomic
def confirm_round(auction: Auction, actor) -> Auction:
    """A draft round becomes SCHEDULED: its announcement will go out at announce_at."""
    auction, lot = _lock_unpublished(auction)
    if auction.status != Auction.Status.DRAFT:
        return auction
    terms = current_terms(auction)
    _check(lot, terms, previous=auction.previous, editing=auction)
    auction.status = Auction.Status.SCHEDULED
    auction.save(update_fields=["status", "updated_at"])
    _record_scheduled(auction, actor, terms)
    return auction


def _publish(auction: Auction, lot: Lot, actor) -> Auction:
    """Caller holds the locks. Re-checks the rules against the real publication time: a late
    announcement may no longer leave the notice period AN1/AN2 requires, or fall outside RP3."""
    now = clock.now()
    if auction.kind == Auction.Kind.SALE:
        refusals = sale_refusals(lot, auction.previous, announce_at=now, starts_at=auction.starts_at, editing=auction)
        if refusals:
            raise RuleViolation(refusals)
    else:
        terms = current_terms(auction)
        _check(lot, replace(terms, announce_at=now), previous=auction.previous, editing=auction)
    announcement = auction.announcement
    announcement.sections = build_sections(auction)
    announcement.published_at = now
    announcement.save(update_fields=["sections", "published_at"])
    auction.status = Auction.Status.ANNOUNCED
    auction.save(update_fields=["status", "updated_at"])
    if lot.status == Lot.Status.DRAFT:
        lot.status = Lot.Status.LISTED
        lot.save(update_fields=["status", "updated_at"])
    record_disposal(
        DisposalRecord.Kind.ANNOUNCEMENT_PUBLISHED,
        case=lot.case,
        actor=actor,
        lot=lot,
        auction=auction,
        detail={"announcement_id": announcement.id, "round": auction.round_label},
    )
    return auction


@transaction.atomic
def publish_announcement(auction: Auction, actor=None) -> Auction:
    """Publishes now: freezes the AN3/AN4 sections; refuses an announcement already published (AN6)."""
    auction, lot = _lock_unpublished(auction)
    return _publish(auction, lot, actor)


def publish_due_announcements() -> int:
    """Publishes every SCHEDULED round whose announce_at has come; returns how many were published.

    Called every second by the clock worker, possibly by two at once: each round is claimed with
    SKIP LOCKED (PostgreSQL) and its status re-read under the lock, so each is published once.
    A round whose notice period can no longer be met goes back to DRAFT for the court to reschedule.
    """
    due = Auction.objects.filter(status=Auction.Status.SCHEDULED, announce_at__lte=clock.now())
    published = 0
    for auction_id in due.values_list("id", flat=True)[:200]:
        with transaction.atomic():
            auction = (
                Auction.objects.select_for_update(skip_locked=True)
                .filter(pk=auction_id, status=Auction.Status.SCHEDULED)
                .first()
            )
            if auction is None:
                continue
            lot = lock_lot(auction.lot)
            try:
                with transaction.atomic():
                    _publish(auction, lot, None)
            except RuleViolation as violation:
                auction.status = Auction.Status.DRAFT
                auction.save(update_fields=["status", "updated_at"])
                logger.warning("round %s not published, back to draft: %s", auction.id, violation.rules)
                continue
            published += 1
    return published


@transaction.atomic
def amend_announcement(auction: Auction, actor, *, text: str, reason: str) -> AnnouncementAmendment:
    """AN6: a published announcement is never edited; a numbered amendment is published beside it.
    Personal data in the text is masked before publication (AN5)."""
    auction = Auction.objects.select_for_update().get(pk=auction.pk)
    announcement = auction.announcement
    if not announcement.is_published:
        raise ValidationError(_("公告尚未发布，可直接修改拍卖轮次。"), code="not_published")
    text, reason = text.strip(), reason.strip()
    errors = {}
    if not text:
        errors["text"] = ValidationError(_("请填写更正内容。"), code="required")
    if not reason:
        errors["reason"] = ValidationError(_("请填写更正原因。"), code="required")
    if errors:
        raise ValidationError(errors)
    case = auction.lot.case
    seq = (announcement.amendments.aggregate(top=Max("seq"))["top"] or 0) + 1
    amendment = AnnouncementAmendment.objects.create(
        announcement=announcement,
        seq=seq,
        text=scrub_for_case(text, case),
        reason=scrub_for_case(reason, case),
        published_at=clock.now(),
        created_by=actor,
    )
    record_disposal(
        DisposalRecord.Kind.ANNOUNCEMENT_AMENDED,
        case=case,
        actor=actor,
        lot=auction.lot,
        auction=auction,
        detail={"amendment_seq": seq, "reason": amendment.reason},
    )
    return amendment


# --- 变卖 (FA2) ----------------------------------------------------------------------------------
def sale_refusals(
    lot: Lot, previous: Auction | None, *, announce_at: datetime, starts_at: datetime, editing: Auction | None = None
) -> list[rules.Refusal]:
    """FA2: a 变卖 follows the lot's failed re-auction, at that round's starting price, for 60 days,
    starting after its announcement; RP3: it starts no later than six months past the reference
    price's validity. Raises ValidationError when the lot cannot take a round at all."""
    if lot.status not in (Lot.Status.DRAFT, Lot.Status.LISTED):
        raise ValidationError(_("该标的物已成交、抵债或撤回，不能再安排拍卖。"), code="lot_closed")
    others = lot.auctions.exclude(pk=editing.pk) if editing is not None else lot.auctions.all()
    if others.filter(status__in=ACTIVE_STATUSES).exists():
        raise ValidationError(_("该标的物已有未结束的拍卖轮次。"), code="round_in_progress")
    follows_failed = (
        previous is not None
        and previous.lot_id == lot.id
        and previous.kind == Auction.Kind.AUCTION
        and previous.status == Auction.Status.FAILED
        and not others.filter(previous=previous).exists()
    )
    if not follows_failed:
        return [rules.Refusal("FA2", "", "sale_before_reauction", _("变卖须在再次拍卖流拍之后进行"))]
    price = previous.starting_price.amount
    refusals = rules.check_sale_terms(
        price=price,
        last_starting_price=price,
        last_round_no=previous.round_no,
        starts_at=starts_at,
        ends_at=rules.sale_ends_at(starts_at),
    )
    if starts_at <= max(announce_at, clock.now()):
        refusals.append(
            rules.Refusal("FA2", "starts_at", "sale_starts_before_announcement", _("变卖须在公告发布之后开始"))
        )
    reference = lot.current_reference_price()
    if reference is not None:
        expired = rules.check_reference_validity_at_sale(reference.valid_until, rules.court_date(starts_at))
        refusals += [expired] if expired else []
    return refusals


def sale_notice(price) -> str:
    """FA2 as the announcement states it (the platform's 变卖 mechanics, docs/disposal-steps.md)."""
    return _(
        "本次为变卖（FA2）：变卖价为最后一次拍卖的起拍价%(price)s，变卖期六十日。竞买人须一次性交纳全部变卖价款"
        "作为保证金；变卖期内第一个以变卖价应买的竞买人为买受人，变卖即时结束，价款已全部付清。"
        "其他竞买人交纳的款项在变卖结束后二十四小时内退还。"
    ) % {"price": f"¥{price:,.2f}"}


@transaction.atomic
def schedule_sale(
    previous: Auction, actor, *, announce_at: datetime, starts_at: datetime, court_text: str = ""
) -> Auction:
    """FA2: schedules the 变卖 of a lot whose re-auction failed: price fixed at that round's starting
    price, paid in full up front (the deposit is the whole price), 60 days from `starts_at`.
    Refused (RuleViolation, nothing saved) when any FA2 or RP3 condition fails."""
    previous = Auction.objects.select_for_update().get(pk=previous.pk)  # Auction before Lot
    lot = lock_lot(previous.lot)
    refusals = sale_refusals(lot, previous, announce_at=announce_at, starts_at=starts_at)
    if refusals:
        raise RuleViolation(refusals)
    price = previous.starting_price.amount
    ends_at = rules.sale_ends_at(starts_at)
    auction = Auction(
        lot=lot,
        kind=Auction.Kind.SALE,
        round_no=previous.round_no + 1,
        previous=previous,
        status=Auction.Status.SCHEDULED,
        created_by=actor,
    )
    _apply_terms(auction, Terms(price, previous.increment.amount, price, announce_at, starts_at, ends_at, ends_at))
    auction.save()
    text = "\n\n".join(part for part in (sale_notice(price), court_text.strip()) if part)
    Announcement.objects.create(auction=auction, court_text=text, publish_at=announce_at)
    record_disposal(
        DisposalRecord.Kind.SALE_STARTED,
        case=lot.case,
        actor=actor,
        lot=lot,
        auction=auction,
        amount=price,
        detail={
            "round": auction.round_label,
            "previous_round_id": previous.id,
            "announce_at": str(announce_at),
            "starts_at": str(starts_at),
            "ends_at": str(ends_at),
            "paid_in_full_up_front": True,
        },
    )
    return auction

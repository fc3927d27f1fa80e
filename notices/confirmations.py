"""What happens to a round's result after the close: the ST1 confirmation, issued in the closing
transaction, and the property's delivery to the buyer (ST3), recorded by the court.

Both write the case's disposal record in their own transaction (PD5); the court webhooks for it
are queued in that same transaction by `lots.services.record_disposal` (notices/webhooks.py).
"""

import logging
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from auctions import clock, lifecycle
from auctions.models import Auction
from lots import pii
from lots.models import DisposalRecord
from payments.models import Settlement

from .models import Confirmation

MAX_NOTE_LENGTH = 500
log = logging.getLogger(__name__)


def confirmation_number(auction: Auction, closed_at) -> str:
    """（2026）京0105拍确第123号: year of the close, court code, the round's id (unique)."""
    year = timezone.localtime(closed_at).year
    return f"（{year}）{auction.lot.court.code}拍确第{auction.pk}号"


def _facts(auction: Auction, settlement: Settlement | None) -> dict:
    """The round as it stood at the close, frozen into the confirmation (texts in Chinese: the
    record's language, like the announcement)."""
    lot, case = auction.lot, auction.lot.case
    with translation.override("zh-hans"):
        return {
            "court_name": lot.court.name,
            "court_code": lot.court.code,
            "court_address": lot.court.address,
            "court_phone": lot.court.phone,
            "case_number": case.number,
            "lot_id": lot.pk,
            "lot_title": lot.title,
            "lot_location": lot.location,
            "round_label": auction.round_label,
            "starting_price": str(auction.starting_price.amount),
            "starts_at": timezone.localtime(auction.starts_at).isoformat(),
            "closed_at": timezone.localtime(auction.closed_at).isoformat(),
            "bid_count": auction.bid_count,
            "final_hash": auction.bid_log_head,
            "settlement_id": settlement.pk if settlement else None,
        }


def issue_confirmation(auction: Auction) -> Confirmation | None:
    """ST1: the confirmation of a sold round, in the buyer's real name, with the price, the deposit
    applied (ST2) and the balance owed by its deadline (ST3). Called from `auctions.handoff` inside
    the closing transaction, which holds the round's lock, after settlement; idempotent. Only facts
    are stored here; the PDF is rendered on demand (notices/pdf.py), so the close stays fast."""
    if auction.status != Auction.Status.SOLD or auction.leading_bid is None:
        return None
    existing = Confirmation.objects.filter(auction=auction).first()
    if existing:
        return existing
    registration = auction.leading_bid.registration
    profile = getattr(registration.user, "bidder", None)
    if profile is None:  # cannot happen past BD1; never break the engine's close over it
        log.error("winner of auction %s has no bidder profile: no confirmation issued", auction.pk)
        return None
    settlement = Settlement.objects.filter(auction=auction).first()
    price = auction.current_price
    deposit_applied = settlement.deposit_applied if settlement and settlement.deposit_applied is not None else None
    balance = settlement.balance if settlement and settlement.balance is not None else None
    confirmation = Confirmation.objects.create(
        auction=auction,
        number=confirmation_number(auction, auction.closed_at),
        issued_at=clock.now(),
        price=price,
        deposit_applied=deposit_applied if deposit_applied is not None else price * 0,
        balance=balance if balance is not None else price,
        balance_due_at=auction.balance_due_at,
        bidder_code=registration.code,
        buyer=registration.user,
        buyer_name=profile.real_name,
        buyer_name_masked=pii.mask_person_name(profile.real_name),
        buyer_id_number=profile.id_number,
        buyer_id_number_masked=profile.id_number_masked,
        facts=_facts(auction, settlement),
    )
    lifecycle.record_step(
        auction,
        DisposalRecord.Kind.CONFIRMATION_ISSUED,
        price=price.amount,
        number=confirmation.number,
        code=registration.code,
        balance=str(confirmation.balance.amount),
        balance_due_at=timezone.localtime(auction.balance_due_at).isoformat(),
    )
    return confirmation


def round_closed(auction: Auction) -> None:
    """The result side of the close hand-off (`auctions.handoff.round_closed`): the ST1 confirmation."""
    issue_confirmation(auction)


# --- Delivery of the property (ST3) ---------------------------------------------------------------
def _refuse(field: str, code: str, message: str):
    raise ValidationError({field: ValidationError(message, code=code)})


def record_delivery(auction: Auction, actor, *, delivered_on: date, note: str = "") -> DisposalRecord:
    """ST3: once the balance is paid in full, the court delivers the property to the buyer; the
    court records the day it did (PD5: the record is written here, in this transaction). Refused
    before full payment, in the future, before the close, and a second time."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        _refuse("note", "too_long", _("说明最多%(n)s个字。") % {"n": MAX_NOTE_LENGTH})
    # Not durable: the court API runs it inside its Idempotency-Key transaction (lots/idempotency.py).
    with transaction.atomic():
        auction = lifecycle.lock_round(auction.pk)
        if auction is None:
            _refuse("__all__", "not_found", _("没有这场拍卖。"))
        staff = getattr(actor, "court_staff", None)
        if staff is None or staff.court_id != auction.lot.court_id:
            _refuse("__all__", "forbidden", _("只有本院工作人员可以登记交付。"))
        if auction.status != Auction.Status.SOLD:
            _refuse("__all__", "not_sold", _("ST3：只有已成交的标的物才能交付。"))
        settlement = Settlement.objects.filter(auction=auction).first()
        if settlement is None or settlement.status != Settlement.Status.PAID:
            _refuse("__all__", "balance_unpaid", _("ST3：买受人付清全部价款后，法院方可交付标的物。"))
        if DisposalRecord.objects.filter(auction=auction, kind=DisposalRecord.Kind.PROPERTY_DELIVERED).exists():
            _refuse("__all__", "already_delivered", _("该标的物已登记交付。"))
        today = timezone.localtime(clock.now()).date()
        closed_on = timezone.localtime(auction.closed_at).date()
        if delivered_on > today:
            _refuse("delivered_on", "in_future", _("交付日期不得晚于今天。"))
        if delivered_on < closed_on:
            _refuse("delivered_on", "before_close", _("交付日期不得早于成交日期。"))
        confirmation = Confirmation.objects.filter(auction=auction).first()
        return lifecycle.record_step(
            auction,
            DisposalRecord.Kind.PROPERTY_DELIVERED,
            actor=actor,
            price=settlement.price.amount if settlement.price is not None else None,
            delivered_on=delivered_on.isoformat(),
            note=note,
            code=confirmation.bidder_code if confirmation else None,
        )

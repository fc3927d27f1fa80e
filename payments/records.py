"""Case disposal records (PD5) written by the payments services inside their own transaction."""

from decimal import Decimal

from djmoney.money import Money

from auctions import clock
from lots.models import DisposalRecord

# Stored data, not interface text: the record names who acted in the language of the file.
PLATFORM_LABEL = "平台"


def record_disposal(kind: str, auction, *, amount: Decimal | None = None, actor=None, detail=None) -> DisposalRecord:
    lot = auction.lot
    staff = getattr(actor, "court_staff", None) if actor else None
    return DisposalRecord.objects.create(
        case=lot.case,
        lot=lot,
        auction=auction,
        kind=kind,
        at=clock.now(),
        actor=actor,
        actor_label=str(staff) if staff else PLATFORM_LABEL,
        amount=Money(amount, "CNY") if amount is not None else None,
        detail=detail or {},
    )

"""Case disposal records (PD5) written by the payments services inside their own transaction."""

from decimal import Decimal

from djmoney.money import Money

from lots import services as lots_services
from lots.models import DisposalRecord

# Stored data, not interface text: the record names who acted in the language of the file.
PLATFORM_LABEL = "平台"


def record_disposal(kind: str, auction, *, amount: Decimal | None = None, actor=None, detail=None) -> DisposalRecord:
    """Through `lots.services.record_disposal`, so the court webhooks are queued with the step and
    `disposal_recorded` is sent after commit, as for every other step."""
    staff = getattr(actor, "court_staff", None) if actor else None
    return lots_services.record_disposal(
        kind,
        case=auction.lot.case,
        lot=auction.lot,
        auction=auction,
        actor=actor,
        amount=Money(amount, "CNY") if amount is not None else None,
        detail=detail,
        label=str(staff) if staff else PLATFORM_LABEL,
    )

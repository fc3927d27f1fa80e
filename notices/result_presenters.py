"""The public result notice of a closed round (sold: price, bidder code, time; failed: 流拍;
withdrawn: the published reason), built from the round and the step that closed it."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from auctions.models import Auction
from auctions.presenters import yuan
from lots.models import DisposalRecord

from .court_feed import CLOSING_KINDS, RESULT_OF


@dataclass(frozen=True)
class ResultNotice:
    auction_id: int
    result: str  # "sold", "failed" or "withdrawn"
    headline: str
    closed_at: datetime | None
    price_text: str
    bidder_code: str
    bid_count: int
    final_hash: str
    reason: str
    confirmation_number: str
    buyer_user_id: int | None
    defaulted: bool  # the buyer did not pay the balance (悔拍, ST4)


def notice(auction: Auction) -> ResultNotice | None:
    """None while the round has not ended. The bidder code is public (BD3); names never are."""
    if auction.status not in Auction.ENDED_STATUSES:
        return None
    record = DisposalRecord.objects.filter(auction=auction, kind__in=CLOSING_KINDS).order_by("-at", "-id").first()
    detail = record.detail if record else {}
    result = RESULT_OF[record.kind] if record else auction.status
    confirmation = getattr(auction, "confirmation", None)
    headlines = {"sold": _("拍卖成交"), "failed": _("流拍"), "withdrawn": _("已撤回")}
    return ResultNotice(
        auction_id=auction.pk,
        result=result,
        headline=str(headlines.get(result, "")),
        closed_at=auction.closed_at or (record.at if record else None),
        price_text=yuan(auction.current_price.amount) if result == "sold" and auction.current_price else "",
        bidder_code=detail.get("code", "") if result == "sold" else "",
        bid_count=auction.bid_count,
        final_hash=detail.get("final_hash", "") or auction.bid_log_head,
        reason=str(detail.get("reason", "")) if result == "withdrawn" else "",
        confirmation_number=confirmation.number if confirmation else "",
        buyer_user_id=confirmation.buyer_id if confirmation else None,
        defaulted=result == "sold" and _defaulted(auction),
    )


def _defaulted(auction: Auction) -> bool:
    from payments.models import Settlement  # payments builds on auctions

    return Settlement.objects.filter(auction=auction, status=Settlement.Status.DEFAULTED).exists()

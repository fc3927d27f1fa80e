"""The next lawful steps once a round has ended or must stop (FA1–FA6, ST4).

- re-auction after 流拍 (FA1, with PR2 and AN2) or after a default (悔拍, ST4):
  `services.schedule_round(previous=…)`, prefilled here by `reauction_initial`;
- 变卖 after a failed re-auction (FA2): `services.schedule_sale`;
- 以物抵债 after a failed re-auction or 变卖 (FA3): `satisfy_in_kind`;
- suspension, resumption and withdrawal (FA4, FA5): `auctions.lifecycle`;
- stopping a debt's remaining lots once it is covered (FA6): `stop_remaining_lots`.

`next_steps` tells the console and the court API which of these a round allows now. Every step
validates through auctions/rules.py, runs in one transaction (rounds locked before lots, in id
order) and writes the case's disposal record in it (PD5); a refusal names its rule and saves nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from lots.models import DisposalRecord, EnforcementCase, Lot, Party
from lots.services import lock_lot, record_disposal

from . import clock, lifecycle, rules, services
from .announcements import public_party_name
from .errors import RuleViolation
from .models import Auction

Status = Auction.Status
CENT = rules.CENT


# --- What may come next ------------------------------------------------------------------------
@dataclass(frozen=True)
class NextSteps:
    """Which steps a round allows now; `reauction_by` is the FA1 deadline for bidding to start."""

    reauction: bool = False
    after_default: bool = False
    reauction_by: object = None  # date
    sale: bool = False
    satisfaction: bool = False
    withdraw: bool = False

    @property
    def any(self) -> bool:
        return self.reauction or self.sale or self.satisfaction or self.withdraw


def latest_round(lot: Lot) -> Auction | None:
    return lot.auctions.order_by("-round_no", "-id").first()


def next_steps(auction: Auction) -> NextSteps:
    """FA1/ST4 re-auction, FA2 变卖, FA3 以物抵债 and FA5 withdrawal, as the round's state allows."""
    lot = auction.lot
    if auction.status in (*Auction.OPEN_STATUSES,):
        return NextSteps(withdraw=True)
    if lot.status not in (Lot.Status.DRAFT, Lot.Status.LISTED, Lot.Status.SOLD) or latest_round(lot) != auction:
        return NextSteps()
    if auction.status == Status.FAILED:
        is_auction = auction.kind == Auction.Kind.AUCTION
        failed_reauction = is_auction and auction.round_no >= 2
        return NextSteps(
            reauction=is_auction,
            reauction_by=rules.reauction_deadline(services.failed_on(auction)) if is_auction else None,
            sale=failed_reauction,
            satisfaction=failed_reauction or auction.kind == Auction.Kind.SALE,
        )
    if auction.kind == Auction.Kind.AUCTION and services.defaulted(auction):
        return NextSteps(reauction=True, after_default=True)
    return NextSteps()


# --- Re-auction (FA1, ST4): what the form starts from ------------------------------------------
def reauction_initial(previous: Auction, now: datetime | None = None) -> dict:
    """Lawful terms to start from: the largest cut PR2 allows after 流拍 (the same price after a
    default), the previous increment and deposit ratio, the shortest AN2 notice plus a day from an
    hour from now (capped by the FA1 deadline), 24 hours of bidding, the previous balance period."""
    now = (now or clock.now()).replace(second=0, microsecond=0)
    old_price = previous.starting_price.amount
    after_failure = previous.status == Status.FAILED
    price = rules.percent_of(old_price, 1 - rules.REAUCTION_MAX_CUT) if after_failure else old_price
    deposit = (price * previous.deposit.amount / old_price).quantize(CENT, rounding="ROUND_FLOOR")
    deposit = max(deposit, rules.percent_of(price, rules.DEPOSIT_MIN_RATIO))
    notice = rules.NOTICE_REAUCTION_IMMOVABLE if previous.lot.is_immovable else rules.NOTICE_REAUCTION_MOVABLE
    announce_at = now + timedelta(hours=1)
    starts_at = announce_at + notice + timedelta(days=1)
    if previous.status == Status.FAILED:
        last_day = rules.reauction_deadline(services.failed_on(previous))
        while rules.court_date(starts_at) > last_day and starts_at - announce_at > notice:
            starts_at -= timedelta(days=1)
    ends_at = starts_at + rules.MIN_BIDDING_PERIOD
    balance_period = max(previous.balance_due_at - previous.scheduled_end_at, timedelta(days=1))
    return {
        "starting_price": price,
        "increment": previous.increment.amount,
        "deposit": deposit,
        "announce_at": announce_at,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "balance_due_at": ends_at + balance_period,
    }


def sale_initial(previous: Auction, now: datetime | None = None) -> dict:
    """A 变卖 announced in an hour and starting seven days later (docs/disposal-steps.md)."""
    announce_at = (now or clock.now()).replace(second=0, microsecond=0) + timedelta(hours=1)
    return {"announce_at": announce_at, "starts_at": announce_at + timedelta(days=7)}


# --- 以物抵债 (FA3) -----------------------------------------------------------------------------
def satisfaction_refusals(auction: Auction, lot: Lot) -> list[rules.Refusal]:
    """FA3: from the lot's latest round, once a re-auction or a 变卖 has failed; nothing open."""
    latest = latest_round(lot)
    if latest != auction or lot.status not in (Lot.Status.DRAFT, Lot.Status.LISTED):
        return [rules.Refusal("FA3", "", "not_latest_failed_round", _("以物抵债须以该标的物最后一轮流拍的起拍价作价"))]
    refusal = rules.check_satisfaction_in_kind(auction.kind, auction.round_no, auction.status)
    return [refusal] if refusal else []


def check_applicant(case: EnforcementCase, applicant_id) -> Party:
    party = Party.objects.filter(pk=applicant_id, case=case, role=Party.Role.APPLICANT).first()
    if party is None:
        raise ValidationError({"applicant": ValidationError(_("请选择本案的申请执行人。"), code="wrong_applicant")})
    return party


@transaction.atomic  # not durable: the court API's idempotency record commits with the step
def satisfy_in_kind(auction: Auction, actor, *, applicant_id: int, note: str = "") -> DisposalRecord:
    """FA3: the applicant accepts the lot in satisfaction of the debt at the starting price of the
    failed round (the lot's latest: a failed re-auction or 变卖). The lot becomes SATISFIED and the
    step is recorded with that amount; refused with the rule named, nothing saved, otherwise."""
    auction = lifecycle.lock_round(auction.pk)  # Auction before Lot
    lot = lock_lot(auction.lot)
    refusals = satisfaction_refusals(auction, lot)
    if refusals:
        raise RuleViolation(refusals)
    party = check_applicant(lot.case, applicant_id)
    lot.status = Lot.Status.SATISFIED
    lot.save(update_fields=["status", "updated_at"])
    price = auction.starting_price.amount
    return record_disposal(
        DisposalRecord.Kind.SATISFACTION_IN_KIND,
        case=lot.case,
        actor=actor,
        lot=lot,
        auction=auction,
        amount=price,
        detail={
            "rule": "FA3",
            "round": auction.round_label,
            "applicant_id": party.id,
            "applicant": public_party_name(party),
            "note": note.strip(),
        },
    )


# --- Stopping the remaining lots of a covered debt (FA6) ------------------------------------------
def collected(case: EnforcementCase) -> Decimal:
    """What the case's lots have brought in: the price received on the ledger (applied deposits and
    balances, less forfeitures moved out) plus lots taken in satisfaction of the debt (FA3)."""
    from payments import ledger  # payments imports auctions, not the reverse

    rounds = list(Auction.objects.filter(lot__case=case).values_list("pk", flat=True))
    proceeds = sum((totals["proceeds"] for totals in ledger.totals_by_auction(rounds).values()), Decimal("0.00"))
    in_kind = DisposalRecord.objects.filter(case=case, kind=DisposalRecord.Kind.SATISFACTION_IN_KIND).aggregate(
        total=Sum("amount")
    )["total"]
    return proceeds + (in_kind or Decimal("0.00"))


def claimed_debt(case: EnforcementCase) -> Decimal | None:
    """The applicants' claims (申请执行标的额), when the court recorded them."""
    total = case.parties.filter(role=Party.Role.APPLICANT).aggregate(total=Sum("claim_amount"))["total"]
    return total


def remaining_lots(case: EnforcementCase):
    return case.lots.filter(status__in=[Lot.Status.DRAFT, Lot.Status.LISTED]).order_by("pk")


@dataclass(frozen=True)
class Stopped:
    lots: list
    rounds: list
    collected: Decimal
    debt: Decimal
    costs: Decimal


def coverage_refusal(case: EnforcementCase, debt: Decimal, costs: Decimal) -> rules.Refusal | None:
    got = collected(case)
    if rules.remaining_lots_must_stop(got, debt, costs):
        return None
    return rules.Refusal(
        "FA6",
        "costs",
        "debt_not_covered",
        _("已收价款 ¥%(got)s 尚不足以清偿债务及费用 ¥%(need)s，其余标的物不能停止处置")
        % {"got": f"{got:,.2f}", "need": f"{debt + costs:,.2f}"},
    )


def stop_remaining_lots(case: EnforcementCase, actor, *, costs: Decimal, debt: Decimal | None = None, reason: str = ""):
    """FA6: once the proceeds cover the debt and costs, every remaining lot of the case stops: its
    open or unpublished round is withdrawn with the published reason (deposits released through
    settlement, FA5) and the lot is withdrawn, all in one transaction and recorded (PD5)."""
    if debt is None:
        debt = claimed_debt(case)
    if debt is None:
        message = _("本案未登记申请执行标的额，请填写债务金额。")
        raise ValidationError({"debt": ValidationError(message, code="required")})
    reason = reason.strip() or _("FA6：本案已处置财产所得价款足以清偿债务及执行费用，其余标的物停止拍卖")
    with transaction.atomic():  # not durable: the court API's idempotency record commits with it
        rounds = list(
            Auction.objects.select_for_update(of=("self",))
            .filter(lot__case=case, lot__status__in=[Lot.Status.DRAFT, Lot.Status.LISTED])
            .filter(status__in=services.ACTIVE_STATUSES)
            .select_related("lot__case")
            .order_by("pk")
        )
        lots = list(remaining_lots(case).select_for_update())
        if not lots:
            raise ValidationError(_("本案没有尚在处置中的其他标的物。"), code="no_remaining_lots")
        refusal = coverage_refusal(case, debt, costs)
        if refusal:
            raise RuleViolation([refusal])
        got = collected(case)
        for auction in rounds:
            lifecycle.withdraw_locked(auction, actor, reason, rule="FA6")
        stopped_with_round = {auction.lot_id for auction in rounds}
        for lot in lots:
            lot.status = Lot.Status.WITHDRAWN
            lot.save(update_fields=["status", "updated_at"])
            if lot.pk not in stopped_with_round:
                record_disposal(
                    DisposalRecord.Kind.ROUND_WITHDRAWN,
                    case=case,
                    actor=actor,
                    lot=lot,
                    detail={"rule": "FA6", "reason": reason},
                )
        record_disposal(
            DisposalRecord.Kind.ROUND_WITHDRAWN,
            case=case,
            actor=actor,
            amount=got,
            detail={
                "rule": "FA6",
                "reason": reason,
                "collected": str(got),
                "debt": str(debt),
                "costs": str(costs),
                "lots": [lot.pk for lot in lots],
                "rounds": [auction.pk for auction in rounds],
            },
        )
        return Stopped(lots, rounds, got, debt, costs)

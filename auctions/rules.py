"""The law of judicial e-auctions as pure functions (../shared/judicial-auction-rules.md).

Nothing here touches the database, the clock or the network: callers pass in every fact and get
back a decision. Each function cites the rule it enforces; refusals carry the rule ID so forms,
the API and the bidding socket can name it. Money is Decimal in yuan; datetimes are aware.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # fits MONEY_MAX_DIGITS = 14

FIRST_ROUND_MIN_RATIO = Decimal("0.70")  # PR1
REAUCTION_MAX_CUT = Decimal("0.20")  # PR2
DEPOSIT_MIN_RATIO = Decimal("0.05")  # PR3
DEPOSIT_MAX_RATIO = Decimal("0.20")  # PR3
NOTICE_FIRST_MOVABLE = timedelta(days=15)  # AN1
NOTICE_FIRST_IMMOVABLE = timedelta(days=30)  # AN1
NOTICE_REAUCTION_MOVABLE = timedelta(days=7)  # AN2
NOTICE_REAUCTION_IMMOVABLE = timedelta(days=15)  # AN2
MIN_BIDDING_PERIOD = timedelta(hours=24)  # BI1
SOFT_CLOSE_WINDOW = timedelta(minutes=5)  # BI2
REFERENCE_VALIDITY_GRACE_MONTHS = 6  # RP3
REFERENCE_START_REMINDER = timedelta(days=10)  # RP4
REAUCTION_WITHIN = timedelta(days=30)  # FA1
SALE_PERIOD = timedelta(days=60)  # FA2
RESUME_WITHIN = timedelta(days=5)  # FA4
DEPOSIT_RELEASE_WITHIN = timedelta(hours=24)  # ST2
PARTY_ACCESS_MONTHS = 1  # PD3
SHIELDING_WORKING_DAYS = 5  # PD4


@dataclass(frozen=True)
class Refusal:
    """Why a rule refuses: the rule ID, the form field it concerns and a message naming the rule."""

    rule: str
    field: str
    code: str
    message: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return naming_rule(self.rule, self.message)


def naming_rule(rule: str | None, message) -> str:
    """A refusal's message led by the rule that speaks ("PR1：…"), punctuated for the language."""
    return gettext("%(rule)s：%(message)s") % {"rule": rule, "message": message} if rule else str(message)


# --- Money ------------------------------------------------------------------------------------
# Plain yuan as people type it: digits, optionally a point and one or two decimals. Exponents,
# signs, separators and non-ASCII digits are refused rather than guessed at.
_AMOUNT_RE = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")


def parse_amount(raw) -> Decimal | None:
    """A positive yuan amount with at most two decimals and within range, or None."""
    if isinstance(raw, bool | float):
        return None  # floats never carry money; JSON numbers arrive as strings or ints
    if isinstance(raw, str) and _AMOUNT_RE.match(raw.strip()):
        value = Decimal(raw.strip())
    elif isinstance(raw, int | Decimal) and Decimal(raw).is_finite():
        value = Decimal(raw)
    else:
        return None
    if not 0 < value <= MAX_AMOUNT or value != value.quantize(CENT, rounding="ROUND_DOWN"):
        return None
    return value.quantize(CENT)


def percent_of(value: Decimal, ratio: Decimal) -> Decimal:
    """ratio × value rounded up to the cent: a boundary is never rounded in the bidder's favour."""
    return (value * ratio).quantize(CENT, rounding="ROUND_CEILING")


# --- Scheduling a round -----------------------------------------------------------------------
@dataclass(frozen=True)
class RoundTerms:
    """Everything the law looks at when a court schedules an auction round."""

    round_no: int  # 1 for the first round, 2+ for re-auctions
    is_immovable: bool
    reference_price: Decimal
    reference_valid_until: date
    starting_price: Decimal
    increment: Decimal
    deposit: Decimal
    announce_at: datetime
    starts_at: datetime
    ends_at: datetime
    previous_starting_price: Decimal | None = None


def check_notice_period(
    is_immovable: bool, is_first_round: bool, announce_at: datetime, starts_at: datetime
) -> Refusal | None:
    """AN1 (first round: 15 days movables, 30 immovables) and AN2 (re-auction: 7 / 15 days)."""
    if is_first_round:
        rule, minimum = "AN1", NOTICE_FIRST_IMMOVABLE if is_immovable else NOTICE_FIRST_MOVABLE
    else:
        rule, minimum = (
            "AN2",
            NOTICE_REAUCTION_IMMOVABLE if is_immovable else NOTICE_REAUCTION_MOVABLE,
        )
    if starts_at - announce_at < minimum:
        return Refusal(
            rule,
            "starts_at",
            "notice_too_short",
            _("公告发布至竞价开始不得少于%(days)s日") % {"days": minimum.days},
            {"days": minimum.days},
        )
    return None


def check_first_round_starting_price(starting_price: Decimal, reference_price: Decimal) -> Refusal | None:
    """PR1: the first-round starting price is at least 70% of the reference price."""
    minimum = percent_of(reference_price, FIRST_ROUND_MIN_RATIO)
    if starting_price < minimum:
        return Refusal(
            "PR1",
            "starting_price",
            "starting_price_too_low",
            _("一拍起拍价不得低于参考价的70%%（不低于 ¥%(minimum)s）") % {"minimum": minimum},
            {"minimum": str(minimum)},
        )
    return None


def check_reauction_starting_price(starting_price: Decimal, previous_starting_price: Decimal) -> Refusal | None:
    """PR2: a re-auction may cut the previous round's starting price by at most 20%."""
    minimum = percent_of(previous_starting_price, 1 - REAUCTION_MAX_CUT)
    if starting_price < minimum:
        return Refusal(
            "PR2",
            "starting_price",
            "reduction_too_large",
            _("再次拍卖的起拍价降价幅度不得超过前次起拍价的20%%（不低于 ¥%(minimum)s）") % {"minimum": minimum},
            {"minimum": str(minimum)},
        )
    return None


def check_deposit(deposit: Decimal, starting_price: Decimal) -> Refusal | None:
    """PR3: the deposit is between 5% and 20% of the starting price."""
    low = percent_of(starting_price, DEPOSIT_MIN_RATIO)
    high = (starting_price * DEPOSIT_MAX_RATIO).quantize(CENT, rounding="ROUND_FLOOR")
    if not low <= deposit <= high:
        return Refusal(
            "PR3",
            "deposit",
            "deposit_out_of_range",
            _("保证金应在起拍价的5%%至20%%之间（¥%(low)s 至 ¥%(high)s）") % {"low": low, "high": high},
            {"low": str(low), "high": str(high)},
        )
    return None


def check_increment(increment: Decimal) -> Refusal | None:
    """PR4: the court sets a positive bid increment."""
    if increment <= 0:
        return Refusal("PR4", "increment", "increment_not_positive", _("加价幅度必须大于零"))
    return None


def check_bidding_period(starts_at: datetime, ends_at: datetime) -> Refusal | None:
    """BI1: the bidding period lasts at least 24 hours."""
    if ends_at - starts_at < MIN_BIDDING_PERIOD:
        return Refusal("BI1", "ends_at", "bidding_period_too_short", _("竞价时间不得少于24小时"))
    return None


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it has no such day (Civil Code
    art. 202): Aug 31 + 6 months is the last day of February."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    raise ValueError(day)


def check_reference_validity(valid_until: date, announce_on: date, is_first_round: bool) -> Refusal | None:
    """RP3: first-round announcements fall within the reference price's validity; later rounds may
    proceed up to six months past it; beyond that a new reference price is needed."""
    if is_first_round and announce_on > valid_until:
        return Refusal(
            "RP3",
            "announce_at",
            "reference_price_expired",
            _("参考价已于%(date)s失效，一拍公告须在有效期内发布") % {"date": valid_until.isoformat()},
        )
    grace_end = add_months(valid_until, REFERENCE_VALIDITY_GRACE_MONTHS)
    if announce_on > grace_end:
        return Refusal(
            "RP3",
            "announce_at",
            "reference_price_expired",
            _("参考价有效期届满已超过六个月（%(date)s），须重新确定参考价") % {"date": grace_end.isoformat()},
        )
    return None


def check_reference_validity_at_sale(valid_until: date, sale_on: date) -> Refusal | None:
    """RP3 (RPR 27: "拍卖、变卖时未超过有效期六个月"): the sale itself, counted from the day bidding
    starts, falls no later than six months after the reference price's validity ends."""
    grace_end = add_months(valid_until, REFERENCE_VALIDITY_GRACE_MONTHS)
    if sale_on > grace_end:
        return Refusal(
            "RP3",
            "starts_at",
            "reference_price_expired_at_sale",
            _("竞价开始日不得晚于参考价有效期届满后六个月（%(date)s），否则须重新确定参考价")
            % {"date": grace_end.isoformat()},
        )
    return None


def court_date(moment: datetime) -> date:
    """The calendar day of `moment` where the courts count days (settings.TIME_ZONE)."""
    return timezone.localdate(moment, timezone.get_default_timezone())


def reference_validity_end(valuation_date: date) -> date:
    """RP3: a reference price is valid for at most one year."""
    return add_months(valuation_date, 12)


def start_reminder_due(fixed_on: date, today: date) -> bool:
    """RP4: the sale should start within 10 days of fixing the reference price (a reminder only)."""
    return today - fixed_on > REFERENCE_START_REMINDER


def check_round_terms(terms: RoundTerms, announce_on: date) -> list[Refusal]:
    """Every rule that applies when a court schedules a round; an empty list means lawful.

    `announce_on` is the announcement's calendar date in the court's time zone (RP3 counts days).
    """
    first = terms.round_no == 1
    checks = [
        check_notice_period(terms.is_immovable, first, terms.announce_at, terms.starts_at),
        check_first_round_starting_price(terms.starting_price, terms.reference_price)
        if first or terms.previous_starting_price is None
        else check_reauction_starting_price(terms.starting_price, terms.previous_starting_price),
        check_deposit(terms.deposit, terms.starting_price),
        check_increment(terms.increment),
        check_bidding_period(terms.starts_at, terms.ends_at),
        check_reference_validity(terms.reference_valid_until, announce_on, first)
        or check_reference_validity_at_sale(terms.reference_valid_until, court_date(terms.starts_at)),
    ]
    return [refusal for refusal in checks if refusal is not None]


# --- Bidding ----------------------------------------------------------------------------------
class BidCode(StrEnum):
    """Machine-readable refusal codes shared by the socket, the HTTP endpoint and the page."""

    INVALID_AMOUNT = "invalid_amount"
    NOT_STARTED = "auction_not_started"
    CLOSED = "auction_closed"
    SUSPENDED = "auction_suspended"
    DEPOSIT_MISSING = "deposit_missing"
    ALREADY_LEADING = "already_leading"
    TOO_LOW = "too_low"
    NOT_A_MULTIPLE = "not_a_multiple"
    NOT_SALE_PRICE = "not_sale_price"


class BidRefused(Exception):
    def __init__(self, code: BidCode, rule: str, message: str, **params):
        super().__init__(message)
        self.code, self.rule, self.message, self.params = code, rule, message, params


@dataclass(frozen=True)
class AuctionState:
    """What the bid rules need to know about a round, read under its row lock."""

    status: str  # an auctions.models.Auction.Status value
    starts_at: datetime
    ends_at: datetime
    starting_price: Decimal
    increment: Decimal
    current_price: Decimal | None
    leader_id: int | None  # registration id of the current highest bid
    leader_priority_rank: int | None  # 1 is the highest priority (BD5)
    is_sale: bool = False  # a 变卖 round (FA2): one bid at the sale price buys the lot


@dataclass(frozen=True)
class BidderState:
    registration_id: int
    priority_rank: int | None
    deposit_secured: bool  # BD1, with BD2's exemption for the applicant already applied


@dataclass(frozen=True)
class BidAccepted:
    amount: Decimal
    ends_at: datetime
    extended: bool


# Statuses in which a bid inside the bidding period is considered; "announced" covers a clock
# worker that has not yet marked the round live: time decides, not the worker (BI2).
BIDDABLE_STATUSES = frozenset({"announced", "live"})
SUSPENDED_STATUSES = frozenset({"suspended"})


def minimum_bid(state: AuctionState, bidder: BidderState) -> Decimal:
    """The lowest amount this bidder may bid now (PR4, BD5)."""
    if state.current_price is None:
        return state.starting_price
    if may_match(state, bidder):
        return state.current_price
    return state.current_price + state.increment


def may_match(state: AuctionState, bidder: BidderState) -> bool:
    """BD5: a priority holder may bid equal to the highest bid when equal price would make it win:
    the leader is an ordinary bidder or a holder of lower rank (a larger rank number)."""
    if bidder.priority_rank is None or state.current_price is None:
        return False
    return state.leader_priority_rank is None or bidder.priority_rank < state.leader_priority_rank


def decision_order(received_at: datetime, raw_amount) -> tuple[datetime, Decimal]:
    """BI2, PR4: the order in which bids received together are decided (a sort key).

    The server's receive time decides, and it is kept to the millisecond. Bids received within
    the same millisecond (on different connections: the server reads them in one turn, in no
    order of their own) are decided in ascending amount, so that none of them is refused as too
    low only because a higher one of the same instant happened to be read first; the highest still
    leads. Amounts that do not parse sort first: they are refused whatever their place."""
    amount = parse_amount(raw_amount)
    millisecond = received_at.replace(microsecond=received_at.microsecond // 1000 * 1000)
    return millisecond, amount if amount is not None else Decimal(0)


def evaluate_bid(state: AuctionState, bidder: BidderState, raw_amount, received_at: datetime) -> BidAccepted:
    """Decides one bid by the server's receive time; raises BidRefused with the rule it breaks.

    BI2: received within the last 5 minutes, the end moves to received_at + 5 minutes, repeatedly.
    PR4: the first bid is start + k×increment (k ≥ 0), later bids current + k×increment (k ≥ 1),
    except a priority holder's matching bid (BD5). BD1/BD2: no secured deposit, no bid.
    """
    if state.status in SUSPENDED_STATUSES:
        raise BidRefused(BidCode.SUSPENDED, "FA4", _("拍卖已暂缓"))
    if state.status not in BIDDABLE_STATUSES or received_at >= state.ends_at:
        raise BidRefused(BidCode.CLOSED, "BI2", _("竞价已结束"))
    if received_at < state.starts_at:
        raise BidRefused(BidCode.NOT_STARTED, "BI1", _("竞价尚未开始"))
    if not bidder.deposit_secured:
        raise BidRefused(BidCode.DEPOSIT_MISSING, "BD1", _("未交纳保证金，不能出价"))
    if state.leader_id == bidder.registration_id:
        raise BidRefused(BidCode.ALREADY_LEADING, "PR4", _("您已是当前最高出价者"))
    amount = parse_amount(raw_amount)
    if amount is None:
        raise BidRefused(BidCode.INVALID_AMOUNT, "PR4", _("出价须为正数金额，最多两位小数"))
    if state.is_sale:
        return evaluate_sale_bid(state, amount)
    lowest = minimum_bid(state, bidder)
    if amount < lowest:
        raise BidRefused(
            BidCode.TOO_LOW,
            "PR4",
            _("出价不得低于 ¥%(minimum)s") % {"minimum": lowest},
            minimum=str(lowest),
        )
    base = state.starting_price if state.current_price is None else state.current_price
    if (amount - base) % state.increment != 0:
        raise BidRefused(
            BidCode.NOT_A_MULTIPLE,
            "PR4",
            _("出价须为 ¥%(base)s 加整数倍加价幅度 ¥%(increment)s") % {"base": base, "increment": state.increment},
            base=str(base),
            increment=str(state.increment),
        )
    window_end = received_at + SOFT_CLOSE_WINDOW
    if window_end > state.ends_at:
        return BidAccepted(amount, window_end, True)
    return BidAccepted(amount, state.ends_at, False)


def evaluate_sale_bid(state: AuctionState, amount: Decimal) -> BidAccepted:
    """FA2: in a 变卖 sale the price is fixed; the first bid at exactly the sale price buys the lot and
    the sale ends at that bid's receive time (no increments, no extension)."""
    if amount != state.starting_price:
        raise BidRefused(
            BidCode.NOT_SALE_PRICE,
            "FA2",
            _("变卖须以变卖价 ¥%(price)s 应买") % {"price": state.starting_price},
            price=str(state.starting_price),
        )
    return BidAccepted(amount, state.ends_at, False)


def closing_result(state: AuctionState) -> str:
    """BI3, BI5: the highest valid bid at the end buys the lot (one bidder at the starting price
    suffices); with no valid bid the round fails (流拍). Returns "sold" or "failed"."""
    has_valid_leader = state.leader_id is not None and state.current_price is not None
    return "sold" if has_valid_leader and state.current_price >= state.starting_price else "failed"


# --- After the auction ------------------------------------------------------------------------
def balance_due(price: Decimal, deposit: Decimal) -> Decimal:
    """ST2, ST3: the winner's deposit becomes part of the price; the buyer owes the rest."""
    return max(price - deposit, Decimal("0.00"))


def deposit_release_deadline(ended_at: datetime) -> datetime:
    """ST2: every deposit but the winner's is released within 24 hours of the end of bidding."""
    return ended_at + DEPOSIT_RELEASE_WITHIN


def deposit_release_overdue(ended_at: datetime, now: datetime) -> bool:
    """ST2: a losing bidder's deposit still held after the 24-hour deadline is overdue."""
    return now > deposit_release_deadline(ended_at)


@dataclass(frozen=True)
class ForfeitureAllocation:
    """ST4: where a defaulter's forfeited deposit goes, in the order the law gives."""

    resale_costs: Decimal
    shortfall: Decimal
    debt: Decimal
    remainder: Decimal  # left after the debt of this case; the court applies it (NJA 24)


def resale_shortfall(defaulted_price: Decimal, resale_price: Decimal) -> Decimal:
    """ST4: how much the new sale fell short of the price the defaulter had agreed to."""
    return max(defaulted_price - resale_price, Decimal("0.00"))


def allocate_forfeited_deposit(
    deposit: Decimal, *, resale_costs: Decimal, shortfall: Decimal, debt: Decimal
) -> ForfeitureAllocation:
    """ST4 (NJA 24): a defaulter's deposit is not returned; it pays first the costs of selling
    again, then the shortfall of the new price, then the debt; whatever is left is the remainder."""
    left = deposit
    shares = []
    for claim in (resale_costs, shortfall, debt):
        share = min(left, max(claim, Decimal("0.00")))
        shares.append(share)
        left -= share
    return ForfeitureAllocation(*shares, remainder=left)


# --- When it does not sell, or must stop ------------------------------------------------------
def reauction_deadline(failed_on: date) -> date:
    """FA1 (NJA 26): the last day on which a re-auction may start after a round failed (流拍)."""
    return failed_on + REAUCTION_WITHIN


def _past_deadline(day: date, deadline: date, rule: str, field: str, code: str, message) -> Refusal | None:
    """A refusal naming the last lawful day when `day` comes after it; the deadline day passes."""
    if day <= deadline:
        return None
    params = {"date": deadline.isoformat()}
    return Refusal(rule, field, code, message % params, params)


def check_reauction_deadline(failed_on: date, starts_on: date) -> Refusal | None:
    """FA1 (NJA 26): after 流拍 the re-auction starts bidding within 30 days (court calendar days)."""
    message = _("流拍后须在三十日内再次拍卖（竞价最迟于%(date)s开始）")
    return _past_deadline(starts_on, reauction_deadline(failed_on), "FA1", "starts_at", "reauction_too_late", message)


def sale_ends_at(starts_at: datetime) -> datetime:
    """FA2: a 变卖 sale runs for 60 days."""
    return starts_at + SALE_PERIOD


def check_sale_terms(
    *, price: Decimal, last_starting_price: Decimal, last_round_no: int, starts_at: datetime, ends_at: datetime
) -> list[Refusal]:
    """FA2: only after a failed re-auction (round 2 or later), at that round's starting price,
    for exactly 60 days. An empty list means lawful."""
    refusals = []
    if last_round_no < 2:
        refusals.append(Refusal("FA2", "", "sale_before_reauction", _("变卖须在再次拍卖流拍之后进行")))
    if price != last_starting_price:
        refusals.append(
            Refusal(
                "FA2",
                "starting_price",
                "sale_price_not_last_start",
                _("变卖价须为最后一次拍卖的起拍价 ¥%(price)s") % {"price": last_starting_price},
                {"price": str(last_starting_price)},
            )
        )
    if ends_at != sale_ends_at(starts_at):
        refusals.append(Refusal("FA2", "ends_at", "sale_period_not_60_days", _("变卖期为六十日")))
    return refusals


def check_sale_payment(paid: Decimal, price: Decimal) -> Refusal | None:
    """FA2: a 变卖 buyer pays the full price up front."""
    if paid < price:
        return Refusal(
            "FA2",
            "amount",
            "sale_not_paid_in_full",
            _("变卖须一次性交付全部价款 ¥%(price)s") % {"price": price},
            {"price": str(price)},
        )
    return None


def check_satisfaction_in_kind(last_kind: str | None, last_round_no: int, last_status: str | None) -> Refusal | None:
    """FA3 (AVS): the applicant may take the property in satisfaction of the debt only once a
    re-auction (round 2 or later) or a 变卖 sale has failed, and only from the lot's latest round.
    `last_*` describe that latest round (None when the lot has had none)."""
    failed_reauction = last_kind == "auction" and last_round_no >= 2
    if last_status == "failed" and (failed_reauction or last_kind == "sale"):
        return None
    return Refusal("FA3", "", "satisfaction_too_early", _("以物抵债须在再次拍卖或变卖流拍之后进行"))


def resume_deadline(cause_ended_on: date) -> date:
    """FA4 (NJA 28): the last day on which suspended bidding resumes once its cause has ended."""
    return cause_ended_on + RESUME_WITHIN


def check_resume_deadline(cause_ended_on: date, resumes_on: date) -> Refusal | None:
    """FA4 (NJA 28): bidding resumes within 5 days after the cause of a suspension ends."""
    message = _("暂缓或中止的原因消除后，须在五日内恢复拍卖（最迟%(date)s）")
    return _past_deadline(resumes_on, resume_deadline(cause_ended_on), "FA4", "resumes_at", "resume_too_late", message)


def remaining_lots_must_stop(proceeds: Decimal, debt: Decimal, costs: Decimal) -> bool:
    """FA6: with several lots sold for one debt, the rest stop once proceeds cover debt and costs."""
    return proceeds >= debt + costs


def outage_extended_end(ends_at: datetime, outage_started_at: datetime, outage_ended_at: datetime) -> datetime:
    """FA7: an outage overlapping the final 5 minutes of bidding moves the end to 5 minutes after
    recovery, so every bidder gets a full window; otherwise the end stays. Never shortens the end."""
    if outage_ended_at <= outage_started_at:
        raise ValueError("an outage ends after it starts")
    overlaps_final_window = outage_started_at < ends_at and outage_ended_at > ends_at - SOFT_CLOSE_WINDOW
    if not overlaps_final_window:
        return ends_at
    return max(ends_at, outage_ended_at + SOFT_CLOSE_WINDOW)


# --- Disclosure -------------------------------------------------------------------------------
def party_access_ends(closed_on: date) -> date:
    """PD3 (JLP 4): the last day a verified party may query the case online, one month after it
    closes (Civil Code art. 202 for months without that day)."""
    return add_months(closed_on, PARTY_ACCESS_MONTHS)


def party_access_open(closed_on: date | None, today: date) -> bool:
    """PD3 (JLP 4): online queries are open while the case runs and until one month after it closes."""
    return closed_on is None or today <= party_access_ends(closed_on)


def is_working_day(
    day: date, *, holidays: frozenset[date] = frozenset(), workdays: frozenset[date] = frozenset()
) -> bool:
    """A working day under the State Council's calendar: `holidays` are days off, `workdays` are
    weekend days made working days (调休)."""
    if day in workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def shielding_deadline(
    closed_on: date, *, holidays: frozenset[date] = frozenset(), workdays: frozenset[date] = frozenset()
) -> date:
    """PD4 (JLP 12): public listings about a closed case are shielded by the 5th working day after
    the day it closed (the closing day itself is not counted)."""
    day, counted = closed_on, 0
    while counted < SHIELDING_WORKING_DAYS:
        day += timedelta(days=1)
        counted += is_working_day(day, holidays=holidays, workdays=workdays)
    return day

"""Auction rounds in the JSON API.

`public_router` (/api/v1/auctions...): the same public rounds, filters and AN5 masking as the
public pages, built from auctions/presenters.py. `court_router` (/api/v1/court/...): a court
system schedules rounds with the console's RoundForm and publishes their announcements.
"""

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from lots.access import auction_for_court, lot_for_court
from lots.api import (
    ERRORS,
    actor,
    as_json,
    create_with_form,
    documented_body,
    error_entries,
    idempotent,
    service_refused,
)
from lots.api_auth import ApiError, CourtToken

from . import clock, presenters, search
from .forms import RoundForm
from .services import publish_announcement

public_router = Router(tags=["public"])
court_router = Router(auth=CourtToken(), tags=["court"])


# --- Public ---------------------------------------------------------------------------------------
class AuctionFilters(Schema):
    """The search page's filters (auctions/search.py validates them for both)."""

    q: str | None = None
    court: str | None = None
    region: str | None = None
    category: str | None = None
    min_price: str | None = None
    max_price: str | None = None
    status: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    sort: str | None = None
    loan: str | None = None
    restricted: str | None = None
    source: str | None = None
    round: str | None = None
    page: str | None = None
    page_size: str | None = None


class PhotoOut(Schema):
    url: str
    caption: str


class AuctionOut(Schema):
    id: int
    url: str
    title: str
    round_label: str
    kind: str
    phase: str
    phase_label: str
    price: Decimal
    starting_price: Decimal
    current_price: Decimal | None
    reference_price: Decimal | None
    court_name: str
    court_code: str
    province: str
    region: str
    category: str
    category_label: str
    location: str
    photo: PhotoOut | None
    starts_at: datetime
    ends_at: datetime
    bid_count: int


class AuctionPage(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    results: list[AuctionOut]


class AppraisalOut(Schema):
    method: str
    method_label: str
    value: Decimal
    valuation_date: date
    valid_until: date
    agency: str
    report_url: str


class DocumentOut(Schema):
    title: str
    url: str


class PublicPartyOut(Schema):
    role: str
    role_label: str
    name: str


class TaxLineOut(Schema):
    item: str
    rate: Decimal | None
    payer: str
    payer_label: str
    note: str


class LoanLineOut(Schema):
    bank: str
    max_ltv: Decimal
    rate: Decimal


class DisclosureOut(Schema):
    """Transfer taxes, occupancy, leases, purchase restriction, vehicle facts, bank loans (issue 9)."""

    asset_source: str
    asset_source_label: str
    leases: str
    purchase_restriction: str
    vehicle_mileage_km: int | None
    vehicle_violation_count: int | None
    vehicle_violations: str
    taxes: list[TaxLineOut]
    loans: list[LoanLineOut]


class AuctionDetailOut(AuctionOut):
    increment: Decimal
    deposit: Decimal
    announced_at: datetime | None
    scheduled_end_at: datetime
    balance_due_at: datetime
    extension_count: int
    registration_count: int
    description: str
    known_defects: str
    encumbrances: str
    occupancy: str
    photos: list[PhotoOut]
    documents: list[DocumentOut]
    appraisal: AppraisalOut | None
    case_number: str
    parties: list[PublicPartyOut]
    court_phone: str
    court_address: str
    status_reason: str
    disclosure: DisclosureOut
    watchers: int
    announcement_url: str


class SectionOut(Schema):
    key: str
    title: str
    body: str
    warning: bool


class AmendmentOut(Schema):
    seq: int
    published_at: datetime
    reason: str
    text: str


class AnnouncementOut(Schema):
    auction_id: int
    title: str
    case_number: str
    published_at: datetime | None
    sections: list[SectionOut]
    amendments: list[AmendmentOut]


@public_router.get("/auctions", response={200: AuctionPage, **ERRORS}, summary="拍卖列表（与搜索页相同的筛选条件）")
def list_auctions(request, filters: Query[AuctionFilters]):
    if len(request.META.get("QUERY_STRING", "")) > search.MAX_QUERY_STRING:
        raise ApiError(400, "query_too_long", _("查询条件过长。"))
    form = search.AuctionSearchForm(filters.model_dump(exclude_none=True))
    if not form.is_valid():
        raise ApiError(400, "validation_error", _("筛选条件有误。"), error_entries(form.errors.as_data()))
    now = clock.now()
    page = search.paginate(search.search(presenters.public_auctions(now), form.cleaned_data, now), form.cleaned_data)
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "page_size": page.paginator.per_page,
        "results": [asdict(card) for card in presenters.cards(page.object_list, now)],
    }


@public_router.get("/auctions/{auction_id}", response={200: AuctionDetailOut, **ERRORS}, summary="拍卖详情")
def get_auction(request, auction_id: int):
    now = clock.now()
    detail = presenters.detail(get_object_or_404(presenters.public_auctions(now), pk=auction_id), now)
    fields = {name: value for name, value in asdict(detail).items() if name != "card"}
    return {
        **asdict(detail.card),
        **fields,
        "announcement_url": request.build_absolute_uri(f"{detail.card.url}announcement/"),
    }


@public_router.get("/auctions/{auction_id}/announcement", response={200: AnnouncementOut, **ERRORS}, summary="拍卖公告")
def get_announcement(request, auction_id: int):
    now = clock.now()
    notice = presenters.announcement(get_object_or_404(presenters.public_auctions(now), pk=auction_id), now)
    return {
        "auction_id": notice.card.id,
        "title": notice.card.title,
        "case_number": notice.case_number,
        "published_at": notice.published_at,
        "sections": [asdict(section) for section in notice.sections],
        "amendments": [asdict(amendment) for amendment in notice.amendments],
    }


# --- Court: rounds --------------------------------------------------------------------------------
class AnnouncementState(Schema):
    publish_at: datetime
    published_at: datetime | None


class RoundOut(Schema):
    id: int
    lot_id: int
    round_no: int
    kind: str
    round_label: str
    status: str
    starting_price: Decimal
    increment: Decimal
    deposit: Decimal
    announce_at: datetime
    starts_at: datetime
    scheduled_end_at: datetime
    ends_at: datetime
    balance_due_at: datetime
    announcement: AnnouncementState

    @staticmethod
    def resolve_starting_price(auction):
        return auction.starting_price.amount

    @staticmethod
    def resolve_increment(auction):
        return auction.increment.amount

    @staticmethod
    def resolve_deposit(auction):
        return auction.deposit.amount


class RoundIn(Schema):
    starting_price: str
    increment: str
    deposit: str
    announce_at: datetime
    starts_at: datetime
    ends_at: datetime
    balance_due_at: datetime
    court_text: str | None = None


@court_router.post(
    "/lots/{lot_id}/rounds",
    response={201: RoundOut, **ERRORS},
    openapi_extra=documented_body(RoundIn),
    summary="安排拍卖轮次（AN1、AN2、PR1–PR4、BI1、RP3）",
)
def schedule_round(request, lot_id: int):
    return create_with_form(request, RoundForm, RoundOut, lambda court: {"lot": lot_for_court(court, lot_id)})


@court_router.get("/rounds/{round_id}", response={200: RoundOut, **ERRORS}, summary="查看拍卖轮次")
def get_round(request, round_id: int):
    return auction_for_court(request.auth.court, round_id)


@court_router.post("/rounds/{round_id}/publish", response={200: RoundOut, **ERRORS}, summary="立即发布拍卖公告")
def publish(request, round_id: int):
    court = request.auth.court

    def perform():
        auction = auction_for_court(court, round_id)
        try:
            return as_json(RoundOut, publish_announcement(auction, actor(request)))
        except ValidationError as error:
            raise service_refused(error) from None

    return idempotent(request, {}, perform, status=200)

"""Court API for results (/api/v1/court/…): the results feed and the disposal-step feed (cursor
pages, notices/court_feed.py), a round's confirmation (identity masked, AN5), the delivery record (ST3)
and the court's webhook endpoints. Same token, errors and Idempotency-Key as lots/api.py."""

from datetime import date

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from lots.access import auction_for_court
from lots.api import (
    ERRORS,
    actor,
    as_json,
    documented_body,
    form_data,
    idempotent,
    json_object,
    service_refused,
    validation_failed,
)
from lots.api_auth import ApiError, CourtToken

from . import confirmations, court_feed, webhooks
from .models import Confirmation, WebhookEndpoint
from .result_forms import DeliveryForm, WebhookEndpointForm

router = Router(auth=CourtToken(), tags=["court results"])


class FeedQuery(Schema):
    cursor: str | None = None
    limit: int = court_feed.DEFAULT_LIMIT
    case: int | None = None


class ResultOut(Schema):
    record_id: int
    auction_id: int | None
    lot_id: int | None
    case_number: str
    round_label: str | None
    result: str
    closed_at: str
    price: str | None
    bidder_code: str | None
    bid_count: int | None
    final_hash: str | None
    reason: str | None
    confirmation_number: str | None


class StepOut(Schema):
    id: int
    kind: str
    kind_label: str
    at: str
    case_id: int
    case_number: str
    lot_id: int | None
    auction_id: int | None
    actor: str
    amount: str | None
    currency: str | None
    detail: dict


class ResultsPage(Schema):
    items: list[ResultOut]
    next_cursor: str
    has_more: bool


class StepsPage(Schema):
    items: list[StepOut]
    next_cursor: str
    has_more: bool


def _bad_parameter(name: str, code: str, message: str) -> ApiError:
    """A 422 on one query parameter, in the shape of django-ninja's own (config/api.py)."""
    return ApiError(
        422, "validation_error", _("请求参数有误。"), {name: [{"code": code, "rule": None, "message": message}]}
    )


def _page(request, name: str, query: FeedQuery) -> dict:
    if not 1 <= query.limit <= court_feed.MAX_LIMIT:
        raise _bad_parameter("limit", "out_of_range", _("每页 1 至 %(n)s 条。") % {"n": court_feed.MAX_LIMIT})
    try:
        page = court_feed.page(name, request.auth.court, query.cursor, query.limit, case_id=query.case)
    except court_feed.BadCursor:
        raise _bad_parameter("cursor", "invalid_cursor", _("游标无效，请使用上一页返回的 next_cursor。")) from None
    return {"items": page.items, "next_cursor": page.next_cursor, "has_more": page.has_more}


def _feed(path: str, name: str, page: type[Schema], summary: str) -> None:
    """GET <path>: the cursor pages of court_feed's feed `name`; operation id and URL name `<name>_feed`."""

    def endpoint(request, query: Query[FeedQuery]):
        return _page(request, name, query)

    endpoint.__name__ = endpoint.__qualname__ = f"{name}_feed"
    router.get(path, response={200: page, **ERRORS}, summary=summary)(endpoint)


_feed("/results", "results", ResultsPage, "竞价结果（成交、流拍、撤回），按游标分页，顺序稳定")
_feed("/disposal-records", "steps", StepsPage, "本院案件的全部处置记录（PD5），按游标分页，顺序稳定")


class ConfirmationOut(Schema):
    """The confirmation's facts; the buyer's identity only masked (AN5), as everywhere in the API."""

    number: str
    auction_id: int
    issued_at: str
    price: str
    deposit_applied: str
    balance: str
    balance_due_at: str
    bidder_code: str
    buyer_name_masked: str
    buyer_id_number_masked: str
    facts: dict

    @staticmethod
    def resolve_price(c):
        return str(c.price.amount)

    @staticmethod
    def resolve_deposit_applied(c):
        return str(c.deposit_applied.amount)

    @staticmethod
    def resolve_balance(c):
        return str(c.balance.amount)

    @staticmethod
    def resolve_issued_at(c):
        return court_feed._iso(c.issued_at)

    @staticmethod
    def resolve_balance_due_at(c):
        return court_feed._iso(c.balance_due_at)


@router.get(
    "/rounds/{auction_id}/confirmation",
    response={200: ConfirmationOut, **ERRORS},
    summary="成交确认书（ST1；买受人身份脱敏）",
)
def get_confirmation(request, auction_id: int):
    auction = auction_for_court(request.auth.court, auction_id)
    return get_object_or_404(Confirmation, auction=auction)


class DeliveryIn(Schema):
    delivered_on: date
    note: str | None = None


@router.post(
    "/rounds/{auction_id}/delivery",
    response={201: StepOut, **ERRORS},
    openapi_extra=documented_body(DeliveryIn),
    summary="登记交付标的物（ST3：价款付清后）",
)
def record_delivery(request, auction_id: int):
    payload = json_object(request)
    auction = auction_for_court(request.auth.court, auction_id)

    def perform():
        form = DeliveryForm(form_data(DeliveryForm, payload))
        if not form.is_valid():
            raise validation_failed(form.errors.as_data())
        try:
            record = confirmations.record_delivery(auction, actor(request), **form.cleaned_data)
        except ValidationError as error:
            raise service_refused(error) from None
        return court_feed.record_json(record)

    return idempotent(request, payload, perform)


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    secret_hint: str
    created_at: str
    active: bool

    @staticmethod
    def resolve_created_at(endpoint):
        return court_feed._iso(endpoint.created_at)

    @staticmethod
    def resolve_active(endpoint):
        return endpoint.is_active


class EndpointCreated(EndpointOut):
    secret: str


class EndpointIn(Schema):
    url: str
    description: str | None = None


@router.get("/webhooks", response={200: list[EndpointOut], **ERRORS}, summary="本院的回传地址")
def list_endpoints(request):
    return WebhookEndpoint.objects.filter(court=request.auth.court).order_by("-created_at", "-id")


@router.post(
    "/webhooks",
    response={201: EndpointCreated, **ERRORS},
    openapi_extra=documented_body(EndpointIn),
    summary="添加回传地址（签名密钥只在此返回一次）",
)
def create_endpoint(request):
    payload = json_object(request)
    if request.headers.get("Idempotency-Key"):
        # The answer holds the secret; replaying it later would show it twice.
        raise ApiError(400, "idempotency_not_supported", _("添加回传地址不支持 Idempotency-Key。"))
    form = WebhookEndpointForm(form_data(WebhookEndpointForm, payload))
    if not form.is_valid():
        raise validation_failed(form.errors.as_data())
    try:
        endpoint, secret = webhooks.create_endpoint(request.auth.court, actor(request), **form.cleaned_data)
    except ValidationError as error:
        raise service_refused(error) from None
    body = as_json(EndpointOut, endpoint) | {"secret": secret}
    return JsonResponse(body, status=201, json_dumps_params={"ensure_ascii": False})


@router.post(
    "/webhooks/{endpoint_id}/disable",
    response={200: EndpointOut, **ERRORS},
    summary="停用回传地址",
)
def disable_endpoint(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, court=request.auth.court)
    return webhooks.disable_endpoint(endpoint, actor(request))

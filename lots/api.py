"""The court integration API for cases, parties, lots and reference prices (/api/v1/court/...).

Endpoints are thin: JSON in, the console's own form (lots/forms.py) validates it with the token's
court, the form's service saves it, and the row comes back as JSON. Another court's ids are 404s
(lots/access.py). Personal data goes in, but only its masked form ever comes out (AN5).
The JSON helpers here are shared with the round endpoints in auctions/api.py.
"""

import json
import re
from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import NinjaJSONEncoder

from . import idempotency, portal
from .access import case_for_court, lot_for_court
from .api_auth import ApiError, CourtToken
from .forms import CaseForm, LotForm, PartyForm, ReferencePriceForm
from .models import CourtStaff
from .portal_forms import CloseCaseForm

MAX_BODY_BYTES = 64 * 1024
_RULE_RE = re.compile(r"^([A-Z]{2,3}\d+)：")

router = Router(auth=CourtToken(), tags=["court"])


# --- Errors and JSON bodies ---------------------------------------------------------------------
class FieldError(Schema):
    code: str
    rule: str | None = None
    message: str


class Error(Schema):
    code: str
    message: str
    errors: dict[str, list[FieldError]] | None = None


ERRORS = {400: Error, 401: Error, 404: Error, 413: Error, 422: Error, 429: Error}


def _entry(error: ValidationError) -> dict:
    message = error.messages[0]
    rule = _RULE_RE.match(message)
    return {"code": error.code or "invalid", "rule": rule.group(1) if rule else None, "message": message}


def error_entries(errors: dict[str, list[ValidationError]]) -> dict[str, list[dict]]:
    """{field: [{"code", "rule", "message"}]}; refusals of the law carry their rule ID ("PR1")."""
    return {field: [_entry(error) for error in field_errors] for field, field_errors in errors.items()}


def validation_failed(errors: dict[str, list[ValidationError]]) -> ApiError:
    return ApiError(422, "validation_error", _("提交的数据有误，请按字段提示修改。"), error_entries(errors))


def service_refused(error: ValidationError) -> ApiError:
    errors = error.error_dict if hasattr(error, "error_dict") else {"__all__": error.error_list}
    return validation_failed(errors)


def json_object(request) -> dict:
    if len(request.body) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", _("请求体过大。"))
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", _("请求体不是有效的 JSON。")) from None
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_json", _("请求体须为 JSON 对象。"))
    return payload


def _type_error(field: forms.Field, value) -> str | None:
    """What the forms cannot see: a text field would read 123 or true as the text "123"/"True"."""
    if getattr(field, "accepts_list", False):
        return None if isinstance(value, list) else _("类型错误：应为列表。")
    if isinstance(value, list | dict):
        return _("类型错误：应为单个值。")
    if isinstance(field, forms.CharField) and not isinstance(value, str):
        return _("类型错误：应为字符串。")
    return None


def form_data(form_class: type[forms.Form], payload: dict) -> dict:
    """The payload as form data: unknown fields and wrong JSON types refused, null taken as "not
    given". Other values reach the form unchanged: its fields refuse a number for a date, "maybe"
    for a yes/no, and any fractional JSON number for money (never a float)."""
    data, errors = {}, {}
    for name, value in payload.items():
        field = form_class.base_fields.get(name)
        if field is None:
            errors[name] = [ValidationError(_("未知字段。"), code="unknown_field")]
        elif value is None:
            continue
        elif (problem := _type_error(field, value)) is not None:
            errors[name] = [ValidationError(problem, code="wrong_type")]
        else:
            data[name] = value
    if errors:
        raise validation_failed(errors)
    return data


def save_form(form_class, payload: dict, *, court, actor, **context):
    """The console's form validates the payload with the token's court; its service saves."""
    form = form_class(form_data(form_class, payload), court=court, **context)
    if not form.is_valid():
        raise validation_failed(form.errors.as_data())
    saved = form.save(actor)
    if saved is None:  # the service refused; its messages are on the form
        raise validation_failed(form.errors.as_data())
    return saved


def idempotent(request, payload: dict, perform, status: int = 201) -> JsonResponse:
    """A create (or other POST) under Idempotency-Key: `perform` returns the saved row's JSON."""
    status, body, replayed = idempotency.run(request, request.auth.court, payload, lambda: (status, perform()))
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def actor(request):
    """Acts recorded in the disposal record (PD5) name the staff member who issued the token."""
    return request.auth.created_by


def create_with_form(request, form_class, schema: type[Schema], context=lambda court: {}) -> JsonResponse:
    """A create: the JSON body, what it belongs to (`context`, where another court's id is a 404),
    the console's form validating and saving, the new row as JSON; once per Idempotency-Key."""
    payload = json_object(request)
    court = request.auth.court

    def perform():
        saved = save_form(form_class, payload, court=court, actor=actor(request), **context(court))
        return as_json(schema, saved)

    return idempotent(request, payload, perform)


# --- Output -------------------------------------------------------------------------------------
def amount(money) -> Decimal | None:
    return None if money is None else money.amount


class StaffOut(Schema):
    id: int
    name: str
    role: str
    office_phone: str


class PartyOut(Schema):
    """A party as the court API returns it: personal data only masked (AN5)."""

    id: int
    role: str
    kind: str
    name: str
    id_number_masked: str
    phone_masked: str
    address_masked: str
    represents_id: int | None
    claim_amount: Decimal | None

    @staticmethod
    def resolve_claim_amount(party):
        return amount(party.claim_amount)


class CaseOut(Schema):
    id: int
    number: str
    cause: str
    filed_on: date
    status: str
    judge_id: int
    clerk_id: int | None
    parties: list[PartyOut]


class ReferencePriceOut(Schema):
    id: int
    method: str
    value: Decimal
    valuation_date: date
    valid_until: date
    fixed_on: date
    agency: str | None

    @staticmethod
    def resolve_value(price):
        return price.value.amount

    @staticmethod
    def resolve_agency(price):
        return price.agency.name if price.agency_id else None


class TaxRowSchema(Schema):
    """A transfer tax or fee: rate in percent as a decimal string; payer buyer, seller or each."""

    item: str
    rate: str | None = None
    payer: str
    note: str | None = None


class LoanRowSchema(Schema):
    """A bank lending on the lot: maximum loan-to-value and yearly rate, percent as decimal strings."""

    bank: str
    max_ltv: str
    rate: str


class LotOut(Schema):
    id: int
    case_id: int
    category: str
    is_immovable: bool
    title: str
    description: str
    location: str
    known_defects: str
    encumbrances: str
    occupancy: str
    asset_source: str
    leases: str
    purchase_restriction: str
    vehicle_mileage_km: int | None
    vehicle_violation_count: int | None
    vehicle_violations: str
    taxes: list[TaxRowSchema]
    loan_offers: list[LoanRowSchema]
    status: str
    reference_prices: list[ReferencePriceOut]
    round_ids: list[int]

    @staticmethod
    def resolve_round_ids(lot):
        return list(lot.auctions.order_by("id").values_list("id", flat=True))


class ApiJSONEncoder(NinjaJSONEncoder):
    """Times in the courts' time zone (+08:00), whether a row was just saved or read back."""

    def default(self, o):
        if isinstance(o, datetime) and timezone.is_aware(o):
            o = timezone.localtime(o)
        return super().default(o)


def as_json(schema: type[Schema], obj) -> dict:
    """The JSON a GET of the same row returns, so a replayed create equals a later read."""
    return json.loads(json.dumps(schema.from_orm(obj).model_dump(), cls=ApiJSONEncoder))


# --- Endpoints ----------------------------------------------------------------------------------
class CaseIn(Schema):
    number: str
    cause: str
    filed_on: date
    judge: int
    clerk: int | None = None


class PartyIn(Schema):
    role: str
    kind: str
    name: str
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None
    represents: int | None = None
    claim_amount: str | None = None


class LotIn(Schema):
    case: int
    category: str
    is_immovable: bool | None = None
    title: str
    description: str
    location: str
    known_defects: str | None = None
    encumbrances: str | None = None
    occupancy: str | None = None
    asset_source: str | None = None
    leases: str | None = None
    purchase_restriction: str | None = None
    vehicle_mileage_km: int | None = None
    vehicle_violation_count: int | None = None
    vehicle_violations: str | None = None
    taxes: list[TaxRowSchema] | None = None
    loan_offers: list[LoanRowSchema] | None = None


class ReferencePriceIn(Schema):
    method: str
    value: str
    valuation_date: date
    valid_until: date | None = None


def documented_body(schema: type[Schema]) -> dict:
    """OpenAPI request body for an endpoint that reads its JSON itself (the form validates it)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


@router.get("/staff", response={200: list[StaffOut], **ERRORS}, summary="本院法官与书记员（供填写案件）")
def list_staff(request):
    return CourtStaff.objects.filter(court=request.auth.court).order_by("role", "name")


@router.post("/cases", response={201: CaseOut, **ERRORS}, openapi_extra=documented_body(CaseIn), summary="登记执行案件")
def create_case(request):
    return create_with_form(request, CaseForm, CaseOut)


@router.get("/cases/{case_id}", response={200: CaseOut, **ERRORS}, summary="查看案件")
def get_case(request, case_id: int):
    return case_for_court(request.auth.court, case_id)


@router.post(
    "/cases/{case_id}/parties",
    response={201: PartyOut, **ERRORS},
    openapi_extra=documented_body(PartyIn),
    summary="添加当事人（证件号码、电话、住址加密保存，只返回脱敏形式）",
)
def add_party(request, case_id: int):
    return create_with_form(request, PartyForm, PartyOut, lambda court: {"case": case_for_court(court, case_id)})


@router.post(
    "/lots", response={201: LotOut, **ERRORS}, openapi_extra=documented_body(LotIn), summary="登记标的物（草稿）"
)
def create_lot(request):
    return create_with_form(request, LotForm, LotOut)


@router.get("/lots/{lot_id}", response={200: LotOut, **ERRORS}, summary="查看标的物及其参考价、拍卖轮次")
def get_lot(request, lot_id: int):
    return lot_for_court(request.auth.court, lot_id)


@router.post(
    "/lots/{lot_id}/reference-prices",
    response={201: ReferencePriceOut, **ERRORS},
    openapi_extra=documented_body(ReferencePriceIn),
    summary="确定参考价（RP1–RP3）",
)
def set_reference_price(request, lot_id: int):
    return create_with_form(
        request, ReferencePriceForm, ReferencePriceOut, lambda court: {"lot": lot_for_court(court, lot_id)}
    )


class CaseCloseIn(Schema):
    method: str
    note: str | None = None


class ClosedCaseOut(CaseOut):
    closed_at: datetime | None
    closing_method: str
    closing_note: str
    party_access_ends: date | None

    @staticmethod
    def resolve_party_access_ends(case):
        return portal.access_ends_on(case)


@router.post(
    "/cases/{case_id}/close",
    response={200: ClosedCaseOut, **ERRORS},
    openapi_extra=documented_body(CaseCloseIn),
    summary="结案（当事人网上查询至结案后一个月，PD3）",
)
def close_case(request, case_id: int):
    payload = json_object(request)
    court = request.auth.court
    case = case_for_court(court, case_id)

    def perform():
        saved = save_form(CloseCaseForm, payload, court=court, actor=actor(request), case=case)
        return as_json(ClosedCaseOut, saved)

    return idempotent(request, payload, perform, status=200)

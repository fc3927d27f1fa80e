"""The next lawful steps in the court API (/api/v1/court/...): re-auction after 流拍 or 悔拍 (FA1,
ST4), 变卖 (FA2), 以物抵债 (FA3), suspension, resumption and withdrawal (FA4, FA5) and stopping a
covered debt's remaining lots (FA6).

Thin like lots/api.py: the console's own forms (auctions/forms.py) validate the JSON with the
token's court, the services in auctions/steps.py, services.py and lifecycle.py act and record the
step (PD5). Another court's ids are 404s; refusals are 422 with the rule on the field
({"starting_price": [{"code": "reduction_too_large", "rule": "PR2", ...}]}); nothing is saved.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Schema

from bidding.errors import BidError
from lots.access import auction_for_court, case_for_court
from lots.api import (
    ERRORS,
    actor,
    as_json,
    create_with_form,
    documented_body,
    idempotent,
    json_object,
    save_form,
    service_refused,
)
from lots.api_auth import ApiError, CourtToken

from . import lifecycle, steps
from .api import RoundIn, RoundOut
from .forms import ReasonForm, ReauctionForm, SaleForm, SatisfactionForm, StopLotsForm

router = Router(auth=CourtToken(), tags=["court"])


class NextStepsOut(Schema):
    round_id: int
    status: str
    reauction: bool
    after_default: bool
    reauction_by: date | None
    sale: bool
    satisfaction: bool
    withdraw: bool


class SaleIn(Schema):
    announce_at: datetime
    starts_at: datetime
    court_text: str | None = None


class SatisfactionIn(Schema):
    applicant: int
    note: str | None = None


class ReasonIn(Schema):
    reason: str


class StopLotsIn(Schema):
    debt: str | None = None
    costs: str | None = None
    reason: str | None = None


class RecordOut(Schema):
    """One entry of the case's disposal record (PD5)."""

    id: int
    kind: str
    at: datetime
    lot_id: int | None
    auction_id: int | None
    actor_label: str
    amount: Decimal | None
    detail: dict

    @staticmethod
    def resolve_amount(record):
        return None if record.amount is None else record.amount.amount


class StoppedOut(Schema):
    collected: Decimal
    debt: Decimal
    costs: Decimal
    lot_ids: list[int]
    withdrawn_round_ids: list[int]


def _step(request, form_class, schema, context, *, status: int = 200):
    """A step under Idempotency-Key: the console's form validates with the token's court, its
    service acts; the result as JSON."""
    payload = json_object(request)
    court = request.auth.court

    def perform():
        return as_json(schema, save_form(form_class, payload, court=court, actor=actor(request), **context(court)))

    return idempotent(request, payload, perform, status=status)


@router.get("/rounds/{round_id}/next-steps", response={200: NextStepsOut, **ERRORS}, summary="本轮之后可采取的步骤")
def next_steps(request, round_id: int):
    auction = auction_for_court(request.auth.court, round_id)
    allowed = steps.next_steps(auction)
    return {"round_id": auction.id, "status": auction.status, **allowed.__dict__}


@router.post(
    "/rounds/{round_id}/reauction",
    response={201: RoundOut, **ERRORS},
    openapi_extra=documented_body(RoundIn),
    summary="流拍或悔拍后安排重新拍卖（FA1、PR2、AN2、ST4）",
)
def reauction(request, round_id: int):
    return create_with_form(
        request, ReauctionForm, RoundOut, lambda court: {"previous": auction_for_court(court, round_id)}
    )


@router.post(
    "/rounds/{round_id}/sale",
    response={201: RoundOut, **ERRORS},
    openapi_extra=documented_body(SaleIn),
    summary="再次拍卖流拍后变卖（FA2）",
)
def sale(request, round_id: int):
    return create_with_form(request, SaleForm, RoundOut, lambda court: {"previous": auction_for_court(court, round_id)})


@router.post(
    "/rounds/{round_id}/satisfaction",
    response={201: RecordOut, **ERRORS},
    openapi_extra=documented_body(SatisfactionIn),
    summary="以物抵债（FA3）",
)
def satisfaction(request, round_id: int):
    context = lambda court: {"auction": auction_for_court(court, round_id)}  # noqa: E731
    return _step(request, SatisfactionForm, RecordOut, context, status=201)


def _with_reason(step: str, act, summary: str) -> None:
    """POST /rounds/{round_id}/<step>: `act` on the round with the published reason (ReasonForm);
    operation id and URL name `<step>`."""

    def endpoint(request, round_id: int):
        context = lambda court: {"auction": auction_for_court(court, round_id), "act": act}  # noqa: E731
        return _step(request, ReasonForm, RoundOut, context)

    endpoint.__name__ = endpoint.__qualname__ = step
    router.post(
        f"/rounds/{{round_id}}/{step}",
        response={200: RoundOut, **ERRORS},
        openapi_extra=documented_body(ReasonIn),
        summary=summary,
    )(endpoint)


_with_reason("suspend", lifecycle.suspend_round, "暂缓拍卖并公布原因（FA4）")


class ResumeIn(Schema):
    cause_ended_on: date | None = None


@router.post(
    "/rounds/{round_id}/resume",
    response={200: RoundOut, **ERRORS},
    openapi_extra=documented_body(ResumeIn),
    summary="恢复拍卖（FA4：原因消除后五日内）",
)
def resume(request, round_id: int):
    court = request.auth.court
    payload = json_object(request) if request.body else {}
    unknown = set(payload) - {"cause_ended_on"}
    if unknown:
        raise service_refused(ValidationError({name: _("未知字段。") for name in sorted(unknown)}))

    def perform():
        auction = auction_for_court(court, round_id)
        try:
            resumed = lifecycle.resume_round(auction.pk, actor(request), payload.get("cause_ended_on"))
            return as_json(RoundOut, resumed)
        except BidError as error:
            raise service_refused(ValidationError(str(error.as_frame()["message"]), code=error.code)) from None

    return idempotent(request, payload, perform, status=200)


_with_reason("withdraw", lifecycle.withdraw_round, "撤回拍卖并公布原因，保证金全部退还（FA5）")


@router.post(
    "/cases/{case_id}/stop-remaining-lots",
    response={200: StoppedOut, **ERRORS},
    openapi_extra=documented_body(StopLotsIn),
    summary="价款足以清偿债务及费用后停止处置其余标的物（FA6）",
)
def stop_remaining_lots(request, case_id: int):
    payload = json_object(request)
    court = request.auth.court

    def perform():
        case = case_for_court(court, case_id)
        stopped = save_form(StopLotsForm, payload, court=court, actor=actor(request), case=case)
        if stopped is None:
            raise ApiError(422, "validation_error", _("提交的数据有误，请按字段提示修改。"))
        return {
            "collected": str(stopped.collected),
            "debt": str(stopped.debt),
            "costs": str(stopped.costs),
            "lot_ids": [lot.pk for lot in stopped.lots],
            "withdrawn_round_ids": [auction.pk for auction in stopped.rounds],
        }

    return idempotent(request, payload, perform, status=200)

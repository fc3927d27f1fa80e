"""Every state change of cases, parties, lots, appraisals and court API tokens.

The console, the court API, admin actions and commands call these functions; none of them saves a
domain model itself. Each function validates, runs in one transaction, and writes the case's
DisposalRecord when the act is a disposal step (PD5). Time comes from `auctions.clock`.
"""

import hashlib
import logging
import secrets
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from auctions import clock, rules
from auctions.errors import RuleViolation

from . import pii, uploads
from .models import (
    AgencyDraw,
    AppraisalAgency,
    Court,
    CourtApiToken,
    CourtStaff,
    DisposalRecord,
    EnforcementCase,
    Lot,
    LotDocument,
    LotPhoto,
    Party,
    ReferencePrice,
)
from .signals import disposal_recorded
from .validators import CASE_NUMBER_RE, normalise_case_number, validate_case_number

LOT_TEXT_FIELDS = ("title", "description", "location", "known_defects", "encumbrances", "occupancy")
# Disclosure (issue 9): texts are stripped; the rest is stored as the form cleaned it.
LOT_DISCLOSURE_TEXT_FIELDS = ("leases", "purchase_restriction", "vehicle_violations")
LOT_DISCLOSURE_FIELDS = (
    *LOT_DISCLOSURE_TEXT_FIELDS,
    "asset_source",
    "vehicle_mileage_km",
    "vehicle_violation_count",
    "taxes",
    "loan_offers",
)
DRAW_METHOD = "sha256(seed) mod n; candidates sorted by id"
logger = logging.getLogger(__name__)


# --- Disposal record (PD5) --------------------------------------------------------------------
def actor_label(actor) -> str:
    """The name shown in the disposal record: staff name, else username, else the system."""
    if actor is None:
        return _("系统")
    staff = getattr(actor, "court_staff", None)
    return staff.name if staff else actor.get_username()


def record_disposal(
    kind: str,
    *,
    case: EnforcementCase,
    actor=None,
    lot: Lot | None = None,
    auction=None,
    amount: Decimal | None = None,
    detail: dict | None = None,
    label: str | None = None,
) -> DisposalRecord:
    """Appends one disposal step (PD5). Call it inside the transaction of the act it records;
    the court webhooks for it are queued in that same transaction (notices/webhooks.py), and
    `signals.disposal_recorded` goes out after it commits. `label` overrides the actor's name."""
    from notices.webhooks import queue_deliveries  # notices builds on lots, not the reverse

    record = DisposalRecord.objects.create(
        case=case,
        lot=lot,
        auction=auction,
        kind=kind,
        at=clock.now(),
        actor=actor,
        actor_label=label or actor_label(actor),
        amount=amount,
        detail=detail or {},
    )
    queue_deliveries(record)
    transaction.on_commit(lambda: _announce_disposal(record), robust=True)
    return record


def _announce_disposal(record: DisposalRecord) -> None:
    for receiver, outcome in disposal_recorded.send_robust(DisposalRecord, record=record):
        if isinstance(outcome, Exception):
            logger.error("disposal_recorded receiver %r failed", receiver, exc_info=outcome)


def court_today() -> date:
    """Today's date in the court's time zone (RP3, RP4 count calendar days)."""
    return timezone.localtime(clock.now()).date()


# --- Cases and parties ------------------------------------------------------------------------
def check_case_number(court: Court, number: str) -> str:
    """The normalised case number, or ValidationError: well formed, of this court, not yet used."""
    number = normalise_case_number(number)
    validate_case_number(number)
    court_code = CASE_NUMBER_RE.match(number).group("court")
    if court_code != court.code:
        raise ValidationError(
            _("案号中的法院代字应为“%(code)s”。"), code="wrong_court_code", params={"code": court.code}
        )
    if EnforcementCase.objects.filter(number=number).exists():
        raise ValidationError(_("该案号已存在。"), code="duplicate_case_number")
    return number


def _check_staff(court: Court, field: str, staff: CourtStaff | None, role: str) -> None:
    if staff is not None and (staff.court_id != court.id or staff.role != role):
        raise ValidationError({field: ValidationError(_("请选择本院的工作人员。"), code="wrong_court_staff")})


@transaction.atomic
def create_case(
    court: Court,
    actor,
    *,
    number: str,
    cause: str,
    filed_on: date,
    judge: CourtStaff,
    clerk: CourtStaff | None = None,
) -> EnforcementCase:
    try:
        number = check_case_number(court, number)
    except ValidationError as exc:
        raise ValidationError({"number": exc.error_list}) from exc
    _check_staff(court, "judge", judge, CourtStaff.Role.JUDGE)
    _check_staff(court, "clerk", clerk, CourtStaff.Role.CLERK)
    return EnforcementCase.objects.create(
        court=court, number=number, cause=cause.strip(), filed_on=filed_on, judge=judge, clerk=clerk
    )


def check_party_id_number(kind: str, id_number: str) -> str:
    """A natural person's ID number must pass the GB 11643 check digit; returns it normalised."""
    id_number = id_number.strip().upper()
    if id_number and kind == Party.Kind.PERSON and not pii.is_valid_id_number(id_number):
        raise ValidationError(_("身份证号码无效（请核对位数与校验码）。"), code="invalid_id_number")
    return id_number


@transaction.atomic
def add_party(
    case: EnforcementCase,
    actor,
    *,
    role: str,
    kind: str,
    name: str,
    id_number: str = "",
    phone: str = "",
    address: str = "",
    represents: Party | None = None,
    claim_amount: Decimal | None = None,
) -> Party:
    """Stores personal data encrypted, with its masked form for display and a lookup hash (AN5)."""
    try:
        id_number = check_party_id_number(kind, id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.error_list}) from exc
    if represents is not None and represents.case_id != case.id:
        raise ValidationError({"represents": ValidationError(_("只能选择本案当事人。"), code="wrong_case")})
    phone, address = phone.strip(), address.strip()
    return Party.objects.create(
        case=case,
        role=role,
        kind=kind,
        name=name.strip(),
        id_number=id_number,
        id_number_hash=pii.lookup_hash(id_number) if id_number else "",
        id_number_masked=pii.mask_id_number(id_number) if id_number else "",
        phone=phone,
        phone_masked=pii.mask_phone(phone) if phone else "",
        address=address,
        address_masked=pii.mask_address(address) if address else "",
        represents=represents,
        claim_amount=claim_amount,
    )


# --- Lots -------------------------------------------------------------------------------------
@transaction.atomic
def create_lot(
    court: Court,
    actor,
    *,
    case: EnforcementCase,
    category: str,
    title: str,
    description: str,
    location: str,
    is_immovable: bool | None = None,
    known_defects: str = "",
    encumbrances: str = "",
    occupancy: str = "",
    **disclosure,
) -> Lot:
    """A draft lot; `is_immovable` defaults from the category (AN1 and AN2 notice periods).
    `disclosure` holds the optional LOT_DISCLOSURE_FIELDS (taxes, leases, loans …)."""
    unknown = set(disclosure) - set(LOT_DISCLOSURE_FIELDS)
    if unknown:
        raise ValueError(f"create_lot cannot set {sorted(unknown)}")
    if case.court_id != court.id:
        raise ValidationError({"case": ValidationError(_("只能选择本院的案件。"), code="wrong_court")})
    if is_immovable is None:
        is_immovable = category in Lot.IMMOVABLE_CATEGORIES
    return Lot.objects.create(
        court=court,
        case=case,
        category=category,
        is_immovable=is_immovable,
        title=title.strip(),
        description=description.strip(),
        location=location.strip(),
        known_defects=known_defects.strip(),
        encumbrances=encumbrances.strip(),
        occupancy=occupancy.strip(),
        **_disclosure_values(disclosure),
    )


def _disclosure_values(changes: dict) -> dict:
    values = {name: value for name, value in changes.items() if name in LOT_DISCLOSURE_FIELDS}
    for name in LOT_DISCLOSURE_TEXT_FIELDS:
        if name in values:
            values[name] = (values[name] or "").strip()
    for name in ("taxes", "loan_offers"):
        if name in values:
            values[name] = list(values[name] or [])
    if values.get("asset_source") in (None, ""):
        values.pop("asset_source", None)
    return values


def lock_lot(lot: Lot) -> Lot:
    return Lot.objects.select_for_update().get(pk=lot.pk)


@transaction.atomic
def update_lot(lot: Lot, actor, **changes) -> Lot:
    """Edits a draft lot's description. Once a round is announced the announcement is the record and
    the lot changes only through amendments (AN6)."""
    lot = lock_lot(lot)
    if lot.status != Lot.Status.DRAFT:
        raise ValidationError(_("只有草稿状态的标的物可以修改；已公告的请发布公告更正。"), code="lot_not_draft")
    unknown = set(changes) - {*LOT_TEXT_FIELDS, *LOT_DISCLOSURE_FIELDS, "category", "is_immovable"}
    if unknown:
        raise ValueError(f"update_lot cannot change {sorted(unknown)}")
    for name in LOT_TEXT_FIELDS:
        if name in changes:
            setattr(lot, name, changes[name].strip())
    for name, value in _disclosure_values(changes).items():
        setattr(lot, name, value)
    if "category" in changes:
        lot.category = changes["category"]
    if "is_immovable" in changes or "category" in changes:
        immovable = changes.get("is_immovable")
        lot.is_immovable = lot.category in Lot.IMMOVABLE_CATEGORIES if immovable is None else immovable
    lot.save()
    return lot


@transaction.atomic
def add_photo(lot: Lot, actor, uploaded_file, caption: str = "") -> LotPhoto:
    extension = uploads.check_photo(uploaded_file)
    lot = lock_lot(lot)
    position = (lot.photos.aggregate(top=Max("position"))["top"] or 0) + 1
    photo = LotPhoto(lot=lot, caption=caption.strip(), position=position)
    photo.image.save(uploads.stored_name(extension), uploaded_file, save=False)
    photo.save()
    return photo


@transaction.atomic
def add_document(lot: Lot, actor, uploaded_file, title: str) -> LotDocument:
    uploads.check_pdf(uploaded_file)
    document = LotDocument(lot=lot, title=title.strip())
    document.file.save(uploads.stored_name("pdf"), uploaded_file, save=False)
    document.save()
    return document


# --- Appraisal agency draw (RP2) ---------------------------------------------------------------
def draw_index(seed: str, count: int) -> int:
    """RP2: the published, re-checkable method: int(sha256(seed)) mod n over candidates sorted by id."""
    return int(hashlib.sha256(seed.encode()).hexdigest(), 16) % count


def verify_draw(draw: AgencyDraw) -> bool:
    """Anyone holding the record can recompute the result from the seed and the candidate list."""
    candidates = draw.candidates
    return bool(candidates) and candidates[draw_index(draw.seed, len(candidates))]["id"] == draw.result_id


@transaction.atomic
def draw_agency(lot: Lot, actor) -> AgencyDraw:
    """RP2: draws the appraisal agency at random from the court's panel and records the draw."""
    lot = lock_lot(lot)
    candidates = [{"id": agency.id, "name": agency.name} for agency in lot.court.panel.order_by("id")]
    if not candidates:
        raise ValidationError(_("本院评估机构名单为空，无法摇号。"), code="empty_panel")
    seed = secrets.token_hex(16)
    chosen = candidates[draw_index(seed, len(candidates))]
    draw = AgencyDraw.objects.create(
        lot=lot,
        candidates=candidates,
        seed=seed,
        method=DRAW_METHOD,
        result_id=chosen["id"],
        drawn_at=clock.now(),
        drawn_by=actor,
    )
    record_disposal(
        DisposalRecord.Kind.AGENCY_DRAWN,
        case=lot.case,
        actor=actor,
        lot=lot,
        detail={"draw_id": draw.id, "seed": seed, "method": DRAW_METHOD, "candidates": candidates, "result": chosen},
    )
    return draw


# --- Reference price (RP1–RP3) ---------------------------------------------------------------
def reference_price_refusals(
    lot: Lot,
    *,
    method: str,
    valuation_date: date,
    valid_until: date,
    agency: AppraisalAgency | None,
    draw: AgencyDraw | None,
) -> list[rules.Refusal]:
    """RP1: one of the four methods; RP2: 委托评估 uses the agency of this lot's recorded draw;
    RP3: valid for at most one year from the valuation date."""
    refusals = []
    if method not in ReferencePrice.Method.values:
        refusals.append(
            rules.Refusal("RP1", "method", "unknown_method", _("参考价须以议价、定向询价、网络询价或委托评估确定"))
        )
    if method == ReferencePrice.Method.APPRAISAL:
        if draw is None or draw.lot_id != lot.id:
            refusals.append(
                rules.Refusal("RP2", "method", "draw_missing", _("委托评估须先从本院名单中随机抽取评估机构"))
            )
        elif agency is not None and agency.id != draw.result_id:
            refusals.append(rules.Refusal("RP2", "agency", "agency_not_drawn", _("评估机构须为摇号抽中的机构")))
    if valuation_date > court_today():
        refusals.append(rules.Refusal("RP3", "valuation_date", "valuation_in_future", _("价值时点不得晚于今天")))
    latest = rules.reference_validity_end(valuation_date)
    if valid_until > latest:
        refusals.append(
            rules.Refusal(
                "RP3",
                "valid_until",
                "validity_too_long",
                _("参考价有效期最长一年（不晚于%(date)s）") % {"date": latest.isoformat()},
            )
        )
    elif valid_until < valuation_date:
        refusals.append(rules.Refusal("RP3", "valid_until", "validity_before_valuation", _("有效期不得早于价值时点")))
    return refusals


@transaction.atomic
def set_reference_price(
    lot: Lot,
    actor,
    *,
    method: str,
    value: Decimal,
    valuation_date: date,
    valid_until: date | None = None,
    agency: AppraisalAgency | None = None,
    draw: AgencyDraw | None = None,
    report=None,
) -> ReferencePrice:
    """Records a reference price (RP1–RP3); for 委托评估 the agency is the drawn one (RP2)."""
    lot = lock_lot(lot)
    if lot.status not in (Lot.Status.DRAFT, Lot.Status.LISTED):
        raise ValidationError(_("该标的物已处置完毕，不能再确定参考价。"), code="lot_closed")
    if rules.parse_amount(value) is None:
        raise ValidationError({"value": ValidationError(_("参考价须为正数，最多两位小数。"), code="invalid_amount")})
    if valid_until is None:
        valid_until = rules.reference_validity_end(valuation_date)
    if method == ReferencePrice.Method.APPRAISAL and draw is not None and agency is None:
        agency = draw.result
    refusals = reference_price_refusals(
        lot, method=method, valuation_date=valuation_date, valid_until=valid_until, agency=agency, draw=draw
    )
    if refusals:
        raise RuleViolation(refusals)
    if report is not None:
        uploads.check_pdf(report)
    price = ReferencePrice(
        lot=lot,
        method=method,
        value=value,
        valuation_date=valuation_date,
        valid_until=valid_until,
        fixed_on=court_today(),
        agency=agency,
        draw=draw if method == ReferencePrice.Method.APPRAISAL else None,
        created_by=actor,
    )
    if report is not None:
        price.report.save(uploads.stored_name("pdf"), report, save=False)
    price.save()
    record_disposal(
        DisposalRecord.Kind.REFERENCE_PRICE_SET,
        case=lot.case,
        actor=actor,
        lot=lot,
        amount=value,
        detail={
            "reference_price_id": price.id,
            "method": method,
            "valuation_date": valuation_date.isoformat(),
            "valid_until": valid_until.isoformat(),
            "agency": agency.name if agency else None,
        },
    )
    return price


# --- Court API tokens -------------------------------------------------------------------------
def token_hash(plaintext: str) -> str:
    """sha256 hex of the whole "prefix.secret" string: the only form of a token that is stored."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


@transaction.atomic
def issue_api_token(court: Court, actor, name: str) -> tuple[CourtApiToken, str]:
    """Returns the token row and its plaintext "prefix.secret", which is shown once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": ValidationError(_("请填写令牌用途。"), code="required")})
    prefix = secrets.token_hex(4)
    plaintext = f"{prefix}.{secrets.token_urlsafe(32)}"
    token = CourtApiToken.objects.create(
        court=court, name=name, prefix=prefix, secret_hash=token_hash(plaintext), created_by=actor
    )
    return token, plaintext


@transaction.atomic
def revoke_api_token(token: CourtApiToken, actor) -> CourtApiToken:
    token = CourtApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    return token

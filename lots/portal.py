"""The party portal (PD1–PD3): verified parties, their query codes, sign-in, the PD2 case view,
messages between parties and the court, and closing a case.

PD1: the court verifies the applicant, its legal representatives and authorised agents (identity
papers, and for agents the authorisation) and issues each a query code. The code is shown once;
only a keyed hash is stored. The court may revoke a code; when an agency ends the agent's code is
revoked and the principal's code is changed (the old one revoked, a new one issued), since the agent
may know it. Every verification, issue, revocation, agency end and sign-in is a PartyAccessEvent,
written in the transaction of the act.

PD3: online access ends one month after the case closes (`rules.party_access_open`); sign-in is
refused after that and every portal request re-checks it, so open sessions end too.

Views (lots/portal_views.py, lots/console_parties.py) and the court API only call these functions.
"""

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from djmoney.money import Money

from auctions import clock, rules
from auctions.errors import RuleViolation

from .models import (
    AgencyDraw,
    CaseMessage,
    CourtStaff,
    DisposalRecord,
    EnforcementCase,
    EnforcementMeasure,
    Party,
    PartyAccessEvent,
    QueryCode,
    ReferencePrice,
)
from .services import actor_label, record_disposal
from .validators import normalise_case_number

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed on phones
CODE_LENGTH = 12
VERIFIED_ROLES = frozenset({Party.Role.APPLICANT, Party.Role.REPRESENTATIVE, Party.Role.AGENT})
ON_BEHALF_ROLES = frozenset({Party.Role.REPRESENTATIVE, Party.Role.AGENT})
PARTY_ORDER = [Party.Role.APPLICANT, Party.Role.RESPONDENT, Party.Role.REPRESENTATIVE, Party.Role.AGENT]


class PortalRefusal(Exception):
    """A refused sign-in or portal request: a code for machines, a message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, str(message)


# --- Query codes ------------------------------------------------------------------------------
def normalise_code(raw: str) -> str:
    """What the party typed, as stored: full-width folded (NFKC), upper case, separators dropped."""
    return re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", raw or "").upper())


def code_hash(code: str) -> str:
    """Keyed hash of a normalised code (the plain code is never stored)."""
    message = ("query-code:" + normalise_code(code)).encode()
    return hmac.new(settings.PII_HASH_KEY.encode(), message, hashlib.sha256).hexdigest()


def format_code(code: str) -> str:
    """ABCD-EFGH-JKMN: groups of four, as printed on the notice handed to the party."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def closed_on(case: EnforcementCase) -> date | None:
    return rules.court_date(case.closed_at) if case.closed_at else None


def access_ends_on(case: EnforcementCase) -> date | None:
    """PD3: the last day a party may query the case online, or None while it is open."""
    day = closed_on(case)
    return rules.party_access_ends(day) if day else None


def access_open(case: EnforcementCase) -> bool:
    """PD3 (JLP 4): open while the case runs and until one month after it closes."""
    return rules.party_access_open(closed_on(case), rules.court_date(clock.now()))


def party_refusals(party: Party) -> list[rules.Refusal]:
    """PD1: only the applicant, its legal representatives and its authorised agents are verified
    parties; an agent whose agency has ended is no longer one."""
    refusals = []
    if party.role not in VERIFIED_ROLES:
        refusals.append(
            rules.Refusal("PD1", "party", "not_verifiable", _("只有申请执行人及其法定代表人、委托代理人可以获得查询码"))
        )
    elif party.role in ON_BEHALF_ROLES and (party.represents is None or party.represents.role != Party.Role.APPLICANT):
        refusals.append(
            rules.Refusal("PD1", "party", "not_for_applicant", _("法定代表人或委托代理人须代表本案申请执行人"))
        )
    if party.agency_ended_at is not None:
        refusals.append(rules.Refusal("PD1", "party", "agency_ended", _("代理关系已终止，不能再获得查询码")))
    return refusals


def _audit(kind: str, party: Party, actor=None, code: QueryCode | None = None, **detail) -> PartyAccessEvent:
    return PartyAccessEvent.objects.create(
        case_id=party.case_id,
        party=party,
        code=code,
        kind=kind,
        at=clock.now(),
        actor=actor,
        actor_label=party.name if kind == PartyAccessEvent.Kind.SIGNED_IN else actor_label(actor),
        detail=detail,
    )


def _lock_party(party: Party) -> Party:
    return Party.objects.select_for_update(of=("self",)).select_related("case", "represents").get(pk=party.pk)


def _end_live_codes(party: Party, actor, reason: str) -> list[QueryCode]:
    """Revokes the party's live code (there is at most one) and records it. Caller holds the party lock."""
    ended = []
    for code in QueryCode.objects.select_for_update().filter(party=party, revoked_at__isnull=True):
        code.revoked_at, code.revoked_by, code.end_reason = clock.now(), actor, reason
        code.save(update_fields=["revoked_at", "revoked_by", "end_reason"])
        _audit(PartyAccessEvent.Kind.CODE_REVOKED, party, actor, code, reason=reason)
        ended.append(code)
    return ended


def _issue(party: Party, actor, *, replaced: bool) -> tuple[QueryCode, str]:
    """A new live code for a locked party whose live codes are already ended; returns the plain code."""
    plain = _new_code()
    code = QueryCode.objects.create(
        case_id=party.case_id,
        party=party,
        code_hash=code_hash(plain),
        hint=plain[-4:],
        issued_at=clock.now(),
        issued_by=actor,
    )
    _audit(PartyAccessEvent.Kind.CODE_ISSUED, party, actor, code, replaced=replaced)
    return code, format_code(plain)


def mask_email(email: str) -> str:
    """zhang.san@example.com → z*******@example.com: the address is personal data (AN5)."""
    local, _at, domain = email.partition("@")
    return (local[:1] + "*" * max(len(local) - 1, 1) + "@" + domain) if domain else "*" * len(email)


def _check_email(email: str) -> str:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                {"email": ValidationError(_("请输入有效的电子邮箱。"), code="invalid_email")}
            ) from None
    return email


def issue_query_code(
    party: Party, actor, *, papers: str, authorisation: str = "", email: str = ""
) -> tuple[QueryCode, str]:
    """PD1: records the verification (identity papers; for agents and representatives the
    authorisation) and issues the party a new query code, ending any live one. Returns the code
    row and the plain code, which is shown to the clerk once and never stored."""
    papers, authorisation = (papers or "").strip(), (authorisation or "").strip()
    errors = {}
    if not papers:
        errors["papers"] = [ValidationError(_("请注明核验的身份证明材料。"), code="required")]
    if party.role in ON_BEHALF_ROLES and not authorisation:
        errors["authorisation"] = [ValidationError(_("代理人或代表人须注明授权委托材料。"), code="required")]
    if errors:
        raise ValidationError(errors)
    email = _check_email(email)
    with transaction.atomic(durable=True):
        party = _lock_party(party)
        refusals = party_refusals(party)
        if refusals:
            raise RuleViolation(refusals)
        if not access_open(party.case):
            raise RuleViolation(
                [rules.Refusal("PD3", "party", "access_ended", _("结案已满一个月，网上查询已终止，不能再签发查询码"))]
            )
        party.papers, party.authorisation, party.verified_at = papers, authorisation, clock.now()
        party.email, party.email_masked = email, mask_email(email) if email else ""
        party.save(update_fields=["papers", "authorisation", "verified_at", "email", "email_masked"])
        _audit(PartyAccessEvent.Kind.VERIFIED, party, actor, papers=papers, authorisation=authorisation)
        replaced = bool(_end_live_codes(party, actor, QueryCode.EndReason.REPLACED))
        return _issue(party, actor, replaced=replaced)


def revoke_query_code(code: QueryCode, actor) -> QueryCode:
    """PD1: the court withdraws a code; signing in with it is refused and its sessions end."""
    with transaction.atomic(durable=True):
        party = _lock_party(code.party)
        code = QueryCode.objects.select_for_update().get(pk=code.pk)
        if code.revoked_at is None:
            code.revoked_at, code.revoked_by, code.end_reason = clock.now(), actor, QueryCode.EndReason.REVOKED
            code.save(update_fields=["revoked_at", "revoked_by", "end_reason"])
            _audit(PartyAccessEvent.Kind.CODE_REVOKED, party, actor, code, reason=QueryCode.EndReason.REVOKED)
        return code


@dataclass
class AgencyEnded:
    agent: Party
    principal: Party | None
    new_code: QueryCode | None  # the principal's changed code, when it had one
    plain: str | None  # shown to the clerk once, to hand to the principal


def end_agency(agent: Party, actor) -> AgencyEnded:
    """PD1 (JLP 4): an agency (or representation) ends: the agent's code is revoked and the
    principal's live code is changed, old revoked and a new one issued, since the agent may know it."""
    if agent.role not in ON_BEHALF_ROLES:
        raise ValidationError(_("只有委托代理人或法定代表人的代理关系可以终止。"), code="not_an_agent")
    with transaction.atomic(durable=True):
        principal = _lock_party(agent.represents) if agent.represents_id else None  # principal first, then agent
        agent = _lock_party(agent)
        if agent.agency_ended_at is not None:
            raise ValidationError(_("该代理关系已经终止。"), code="agency_already_ended")
        agent.agency_ended_at = clock.now()
        agent.save(update_fields=["agency_ended_at"])
        _audit(PartyAccessEvent.Kind.AGENCY_ENDED, agent, actor, principal=principal.name if principal else None)
        _end_live_codes(agent, actor, QueryCode.EndReason.AGENCY_ENDED)
        new_code = plain = None
        if principal is not None and _end_live_codes(principal, actor, QueryCode.EndReason.AGENCY_ENDED):
            new_code, plain = _issue(principal, actor, replaced=True)
        return AgencyEnded(agent=agent, principal=principal, new_code=new_code, plain=plain)


# --- Signing in and staying signed in (PD3) ---------------------------------------------------
def _pd3_refusal(case: EnforcementCase) -> PortalRefusal:
    message = rules.naming_rule(
        "PD3",
        _("本案已于%(closed)s结案，网上查询已于%(ends)s终止。")
        % {"closed": closed_on(case).isoformat(), "ends": access_ends_on(case).isoformat()},
    )
    return PortalRefusal("access_ended", message)


def check_code(code: QueryCode) -> None:
    """A code that may be used now: live, its party still verified, the case within PD3."""
    if code.revoked_at is not None:
        raise PortalRefusal("code_revoked", _("该查询码已失效，请向承办法院申请新的查询码。"))
    if party_refusals(code.party):
        raise PortalRefusal("code_revoked", _("该查询码已失效，请向承办法院申请新的查询码。"))
    if not access_open(code.case):
        raise _pd3_refusal(code.case)


def find_code(case_number: str, raw_code: str) -> QueryCode:
    """The query code for this case number and code, or PortalRefusal("invalid_code"): a wrong case
    number and a wrong code are refused alike, so neither can be probed on its own."""
    number = normalise_case_number(case_number or "")
    code = normalise_code(raw_code)
    found = None
    if number and len(code) == CODE_LENGTH:
        found = (
            QueryCode.objects.select_related("case__court", "party__represents")
            .filter(case__number=number, code_hash=code_hash(code))
            .first()
        )
    if found is None:
        raise PortalRefusal("invalid_code", _("案号或查询码不正确。"))
    return found


def sign_in(case_number: str, raw_code: str) -> QueryCode:
    """PD1, PD3: the live code a party signs in with; the sign-in is recorded."""
    code = find_code(case_number, raw_code)
    check_code(code)
    with transaction.atomic(durable=True):
        now = clock.now()
        QueryCode.objects.filter(pk=code.pk).update(last_used_at=now)
        _audit(PartyAccessEvent.Kind.SIGNED_IN, code.party, None, code)
    return code


def current_code(code_id) -> QueryCode:
    """The signed-in party's code, re-checked on every request (revocation and PD3 end sessions)."""
    code = (
        QueryCode.objects.select_related("case__court", "case__judge", "case__clerk", "party__represents")
        .filter(pk=code_id)
        .first()
    )
    if code is None:
        raise PortalRefusal("signed_out", _("请先登录。"))
    check_code(code)
    return code


# --- Closing a case (PD3, PD4) ----------------------------------------------------------------
def close_case(case: EnforcementCase, actor, *, method: str, note: str = "") -> EnforcementCase:
    """Closes the case and records it in the disposal record. Parties keep online access for one
    more month (PD3); public listings are shielded within 5 working days (PD4). Refused while a
    round of one of its lots is scheduled, announced, live or suspended."""
    from auctions.services import ACTIVE_STATUSES  # auctions imports lots; import at call time

    note = (note or "").strip()
    if method not in EnforcementCase.ClosingMethod.values:
        raise ValidationError({"method": ValidationError(_("请选择结案方式。"), code="invalid_choice")})
    if len(note) > 300:
        raise ValidationError({"note": ValidationError(_("结案说明最多300字。"), code="max_length")})
    # Not durable: the court API runs it inside its Idempotency-Key transaction (lots/idempotency.py).
    with transaction.atomic():
        case = EnforcementCase.objects.select_for_update(of=("self",)).get(pk=case.pk)
        if case.status == EnforcementCase.Status.CLOSED:
            raise ValidationError(_("该案件已经结案。"), code="case_closed")
        if case.lots.filter(auctions__status__in=ACTIVE_STATUSES).exists():
            raise ValidationError(_("本案仍有未结束的拍卖轮次，须先完成、暂缓后撤回或撤回。"), code="rounds_active")
        now = clock.now()
        case.status, case.closed_at, case.closed_by = EnforcementCase.Status.CLOSED, now, actor
        case.closing_method, case.closing_note = method, note
        case.save(update_fields=["status", "closed_at", "closed_by", "closing_method", "closing_note"])
        record_disposal(
            DisposalRecord.Kind.CASE_CLOSED,
            case=case,
            actor=actor,
            detail={
                "method": method,
                "note": note,
                "party_access_ends": rules.party_access_ends(rules.court_date(now)).isoformat(),
            },
        )
        return case


# --- Measures (PD2) ---------------------------------------------------------------------------
def record_measure(case: EnforcementCase, actor, *, kind: str, description: str, taken_on: date) -> EnforcementMeasure:
    """A measure the court took (查封、冻结 …); verified parties see it (PD2)."""
    description = (description or "").strip()
    errors = {}
    if kind not in EnforcementMeasure.Kind.values:
        errors["kind"] = [ValidationError(_("请选择措施类型。"), code="invalid_choice")]
    if not description:
        errors["description"] = [ValidationError(_("请填写措施内容。"), code="required")]
    elif len(description) > 300:
        errors["description"] = [ValidationError(_("最多300字。"), code="max_length")]
    if taken_on and taken_on > rules.court_date(clock.now()):
        errors["taken_on"] = [ValidationError(_("采取日期不得晚于今天。"), code="future_date")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(durable=True):
        return EnforcementMeasure.objects.create(
            case=case,
            kind=kind,
            description=description,
            taken_on=taken_on,
            recorded_by=actor,
            recorded_at=clock.now(),
        )


# --- Messages ---------------------------------------------------------------------------------
def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ValidationError(_("请填写留言内容。"), code="required")})
    if len(body) > CaseMessage.MAX_LENGTH:
        raise ValidationError(
            {"body": ValidationError(_("留言最多%(max)s字。") % {"max": CaseMessage.MAX_LENGTH}, code="max_length")}
        )
    return body


def send_party_message(code: QueryCode, body: str) -> CaseMessage:
    """A verified party writes to the case's judge (in the party's own thread)."""
    body = _check_body(body)
    check_code(code)
    party = code.party
    with transaction.atomic(durable=True):
        return CaseMessage.objects.create(
            case_id=code.case_id,
            party=party,
            sender=CaseMessage.Sender.PARTY,
            author_label=f"{party.name}（{party.get_role_display()}）",
            body=body,
            sent_at=clock.now(),
        )


def reply_to_party(case: EnforcementCase, party: Party, actor, body: str) -> CaseMessage:
    """The judge or clerk answers a party of one of their court's cases; the party reads it in the portal."""
    body = _check_body(body)
    staff = getattr(actor, "court_staff", None)
    if staff is None or staff.court_id != case.court_id or party.case_id != case.id:
        raise ValidationError(_("只能回复本院案件的当事人。"), code="wrong_court")
    with transaction.atomic(durable=True):
        now = clock.now()
        # Answering a thread reads it.
        CaseMessage.objects.filter(
            case=case, party=party, sender=CaseMessage.Sender.PARTY, read_at__isnull=True
        ).update(read_at=now)
        return CaseMessage.objects.create(
            case=case,
            party=party,
            sender=CaseMessage.Sender.COURT,
            author=actor,
            author_label=f"{staff.name}（{staff.get_role_display()}）",
            body=body,
            sent_at=now,
        )


def mark_read(case: EnforcementCase, party: Party, *, by: str) -> int:
    """Marks the other side's messages in a thread read: `by` is the reader (CaseMessage.Sender)."""
    other = CaseMessage.Sender.COURT if by == CaseMessage.Sender.PARTY else CaseMessage.Sender.PARTY
    return CaseMessage.objects.filter(case=case, party=party, sender=other, read_at__isnull=True).update(
        read_at=clock.now()
    )


def thread(case: EnforcementCase, party: Party):
    return CaseMessage.objects.filter(case=case, party=party).order_by("sent_at", "id")


def staff_cases_filter(staff: CourtStaff) -> Q:
    return Q(case__court=staff.court_id) & (Q(case__judge=staff) | Q(case__clerk=staff))


def unread_for_staff(staff: CourtStaff) -> int:
    """Party messages nobody at the court has read yet, in the cases this judge or clerk handles."""
    return CaseMessage.objects.filter(
        staff_cases_filter(staff), sender=CaseMessage.Sender.PARTY, read_at__isnull=True
    ).count()


def threads_for_case(case: EnforcementCase) -> list[dict]:
    """The case's message threads, one per party, with unread counts, newest activity first."""
    parties = (
        Party.objects.filter(case=case, messages__isnull=False)
        .annotate(
            unread=Count(
                "messages", filter=Q(messages__sender=CaseMessage.Sender.PARTY, messages__read_at__isnull=True)
            ),
            total=Count("messages"),
        )
        .distinct()
    )
    return [{"party": party, "unread": party.unread, "total": party.total} for party in parties]


# --- Who to tell (notifications) --------------------------------------------------------------
@dataclass(frozen=True)
class Recipient:
    party: Party
    email: str  # may be empty: in-site only


def case_recipients(case: EnforcementCase) -> list[Recipient]:
    """The verified parties of a case who may be told of its results and steps: a live query code,
    within PD3, agency not ended. `email` is the decrypted address the court recorded (may be '')."""
    if not access_open(case):
        return []
    parties = (
        Party.objects.filter(case=case, query_codes__revoked_at__isnull=True, agency_ended_at__isnull=True)
        .select_related("represents")
        .distinct()
        .order_by("id")
    )
    return [Recipient(party=party, email=party.email) for party in parties if not party_refusals(party)]


# --- What a verified party sees (PD2) ---------------------------------------------------------
DETAIL_LABELS = {
    "round": _lazy("轮次"),
    "reason": _lazy("原因"),
    "note": _lazy("说明"),
    "method": _lazy("方式"),
    "agency": _lazy("评估机构"),
    "code": _lazy("竞买号"),
    "bid_count": _lazy("出价次数"),
    "ends_at": _lazy("结束时间"),
    "valid_until": _lazy("有效期至"),
    "deposit_applied": _lazy("保证金抵扣"),
    "balance": _lazy("尾款"),
    "party_access_ends": _lazy("当事人网上查询截止"),
}
MONEY_DETAILS = frozenset({"deposit_applied", "balance"})


def _detail_value(key: str, value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return None
    if key == "method":  # a reference price or closing method; anything else (a draw's algorithm) stays out
        labels = {**dict(ReferencePrice.Method.choices), **dict(EnforcementCase.ClosingMethod.choices)}
        return str(labels[value]) if value in labels else None
    if key in MONEY_DETAILS:
        try:
            return f"¥{Decimal(str(value)):,.2f}"
        except ArithmeticError:
            return str(value)
    if key.endswith("_at") and isinstance(value, str):
        moment = parse_datetime(value)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else value
    return str(value)


def timeline_entry(record: DisposalRecord) -> dict:
    """One disposal step for people: any kind (steps added later render the same way), with the
    details that are meant for parties; ids, seeds and hashes stay in the record."""
    details = []
    for key, label in DETAIL_LABELS.items():
        if key == "round" and record.auction_id:
            continue  # the round's label is shown beside the step already
        value = _detail_value(key, record.detail.get(key)) if key in record.detail else None
        if value not in (None, ""):
            details.append((label, value))
    return {
        "at": record.at,
        "kind": record.kind,
        "label": record.get_kind_display(),
        "lot": record.lot,
        "round": record.auction.round_label if record.auction else "",
        "amount": record.amount,
        "actor": record.actor_label,
        "details": details,
    }


def case_overview(code: QueryCode) -> dict:
    """PD2 for the case of a signed-in party: the case and its parties, judge and clerk with office
    phone, measures, each lot's appraisal and rounds with their outcomes and money, the court
    account's movements for the case, suspensions, closing, and the full disposal timeline."""
    from auctions.models import Auction
    from payments import ledger
    from payments.models import Forfeiture, Settlement

    case = code.case
    lots = list(
        case.lots.prefetch_related(
            Prefetch("reference_prices", queryset=ReferencePrice.objects.select_related("agency")),
            Prefetch("agency_draws", queryset=AgencyDraw.objects.select_related("result")),
        ).order_by("id")
    )
    rounds = list(
        Auction.objects.filter(lot__case=case, status__in=Auction.PUBLIC_STATUSES)
        .select_related("lot")
        .order_by("lot_id", "starts_at", "id")
    )
    settlements = {s.auction_id: s for s in Settlement.objects.filter(auction__in=rounds)}
    forfeitures = {
        f.settlement.auction_id: f
        for f in Forfeiture.objects.filter(settlement__auction__in=rounds).select_related("settlement")
    }
    totals = ledger.totals_by_auction([r.pk for r in rounds])
    money_rows, sums = [], dict.fromkeys(["paid_in", "refunded", "proceeds", "forfeited"], Decimal("0.00"))
    for auction in rounds:
        row_totals = totals[auction.pk]
        if auction.pk not in settlements and not any(row_totals[name] for name in sums):
            continue  # no money has moved for this round yet
        for name in sums:
            sums[name] += row_totals[name]
        money_rows.append(
            {
                "auction": auction,
                "totals": {name: Money(row_totals[name], "CNY") for name in sums},
                "settlement": settlements.get(auction.pk),
                "forfeiture": forfeitures.get(auction.pk),
            }
        )
    by_lot = {lot.pk: [] for lot in lots}
    for auction in rounds:
        by_lot.setdefault(auction.lot_id, []).append({"auction": auction, "settlement": settlements.get(auction.pk)})
    records = list(case.disposal_records.select_related("lot", "auction").order_by("at", "id"))
    stops = {
        DisposalRecord.Kind.ROUND_SUSPENDED,
        DisposalRecord.Kind.ROUND_RESUMED,
        DisposalRecord.Kind.ROUND_WITHDRAWN,
    }
    return {
        "case": case,
        "party": code.party,
        "parties": sorted(case.parties.select_related("represents"), key=lambda p: PARTY_ORDER.index(p.role)),
        "measures": list(case.measures.all()),
        "lots": [{"lot": lot, "rounds": by_lot.get(lot.pk, [])} for lot in lots],
        "money_rows": money_rows,
        "money_sums": {name: Money(value, "CNY") for name, value in sums.items()},
        "suspensions": [timeline_entry(r) for r in records if r.kind in stops],
        "timeline": [timeline_entry(r) for r in reversed(records)],
        "closed_on": closed_on(case),
        "access_ends_on": access_ends_on(case),
    }

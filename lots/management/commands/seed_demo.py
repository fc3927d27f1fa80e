"""Loads the demo data set: courts, staff, cases, lots and rounds in every state.

Idempotent: every row is keyed on its natural key (court code, agency name, username, case number,
lot title within its case), and a lot that exists is left alone, so a second run changes nothing.
Rows are created through the services, with the clock frozen at the moment each step would have
happened, so the rules (AN1, PR1, RP3 …) check the demo data exactly as they check real data.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from auctions import clock, lifecycle, rules
from auctions import services as auction_services
from auctions.models import Auction
from lots import pii, portal, services
from lots.management.demo_data import CASES, COURTS
from lots.management.demo_files import demo_pdf, demo_photo
from lots.models import AppraisalAgency, Court, CourtStaff, DisposalRecord, EnforcementCase, Lot, Party

User = get_user_model()
SUPERUSER = ("admin", "admin-demo")


def demo_password(username: str) -> str:
    return f"{username}-demo"


def demo_id_number(serial: int) -> str:
    first17 = f"11010519{80 + serial % 20:02d}0101{serial % 1000:03d}"
    return first17 + pii.id_check_digit(first17)


def hundreds(value: Decimal) -> Decimal:
    """Rounded up to whole hundreds of yuan: never below the rule's minimum."""
    return (value / 100).quantize(Decimal(1), rounding=ROUND_CEILING) * 100


@dataclass
class Staff:
    clerk: CourtStaff
    judge: CourtStaff


# --- Courts, staff, cases ---------------------------------------------------------------------
def seed_court(spec: dict) -> tuple[Court, Staff]:
    court, _created = Court.objects.get_or_create(
        code=spec["code"],
        defaults={key: spec[key] for key in ("name", "province", "region", "address", "phone")},
    )
    for name in spec["panel"]:
        agency, _created = AppraisalAgency.objects.get_or_create(name=name, defaults={"phone": spec["phone"]})
        court.panel.add(agency)
    staff = {}
    for username, role, name, phone in spec["staff"]:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=demo_password(username))
        staff[role], _created = CourtStaff.objects.get_or_create(
            user=user, defaults={"court": court, "role": role, "name": name, "office_phone": phone}
        )
    return court, Staff(clerk=staff["clerk"], judge=staff["judge"])


def seed_case(spec: dict, court: Court, staff: Staff) -> EnforcementCase:
    case = EnforcementCase.objects.filter(number=spec["number"]).first()
    if case is not None:
        return case
    case = services.create_case(
        court,
        staff.clerk.user,
        number=spec["number"],
        cause=spec["cause"],
        filed_on=date.fromisoformat(spec["filed_on"]),
        judge=staff.judge,
        clerk=staff.clerk,
    )
    principal = None
    for role, kind, name, serial, phone, address, claim in spec["parties"]:
        party = services.add_party(
            case,
            staff.clerk.user,
            role=role,
            kind=kind,
            name=name,
            id_number=demo_id_number(serial) if serial else "",
            phone=phone,
            address=address,
            represents=principal if role == Party.Role.AGENT else None,
            claim_amount=Decimal(claim) if claim else None,
        )
        if role == Party.Role.APPLICANT:
            principal = party
    return case


# --- Lots -------------------------------------------------------------------------------------
@dataclass
class Plan:
    """When each step of a round happens; the clock is frozen at each in turn."""

    created: datetime
    announce_at: datetime
    starts_at: datetime
    ends_at: datetime


def plan(lot_spec: dict, now: datetime) -> Plan | None:
    """Times that bring a round to the lot's demo state by now, with lawful notice (AN1) and a
    bidding period of at least 24 hours (BI1)."""
    notice = (
        rules.NOTICE_FIRST_IMMOVABLE if lot_spec["category"] in Lot.IMMOVABLE_CATEGORIES else rules.NOTICE_FIRST_MOVABLE
    )
    hour, day = timedelta(hours=1), timedelta(days=1)
    starts_ends = {
        "draft": (None, None),
        "scheduled": (None, None),
        "announced": (now + 5 * day, now + 6 * day),
        "live": (now - 22 * hour, now + 3 * hour),
        "ending": (now - 24 * hour, now + timedelta(minutes=30)),
        "suspended": (now - 10 * hour, now + 14 * hour),
        "sold": (now - 9 * day, now - 8 * day),
        "failed": (now - 5 * day, now - 4 * day),
        "withdrawn": (now + 3 * day, now + 4 * day),
    }
    if lot_spec["state"] not in starts_ends:
        return None
    starts_at, ends_at = starts_ends[lot_spec["state"]]
    if starts_at is None:  # not yet announced: scheduled today for the future
        announce_at = now + (timedelta(minutes=20) if lot_spec["state"] == "scheduled" else 2 * day)
        starts_at = announce_at + notice + day
        return Plan(now - 3 * day, announce_at, starts_at, starts_at + day)
    announce_at = starts_at - notice - day
    return Plan(announce_at - 2 * day, announce_at, starts_at, ends_at)


def terms_for(reference: Decimal, plan_: Plan, previous_start: Decimal | None = None) -> dict:
    """Lawful money terms: 80% of the reference (PR1) or of the previous start (PR2), a 10% deposit
    (PR3) and an increment of about 0.5% (PR4)."""
    starting = hundreds((previous_start or reference) * Decimal("0.80"))
    return {
        "starting_price": starting,
        "increment": max(hundreds(starting * Decimal("0.005")), Decimal(100)),
        "deposit": hundreds(starting * Decimal("0.10")),
        "announce_at": plan_.announce_at,
        "starts_at": plan_.starts_at,
        "ends_at": plan_.ends_at,
        "balance_due_at": plan_.ends_at + timedelta(days=15),
    }


def seed_lot(spec: dict, case: EnforcementCase, staff: Staff, now: datetime) -> Lot | None:
    if Lot.objects.filter(case=case, title=spec["title"]).exists():
        return None
    plan_ = plan(spec, now)
    actor = staff.clerk.user
    created = plan_.created if plan_ else now - timedelta(days=15)
    with clock.frozen(created), transaction.atomic():
        lot = services.create_lot(
            case.court,
            actor,
            case=case,
            category=spec["category"],
            title=spec["title"],
            description=spec["description"],
            location=spec["location"],
            known_defects=spec["known_defects"],
            encumbrances=spec["encumbrances"],
            occupancy=spec["occupancy"],
        )
        for variant in range(2):
            services.add_photo(lot, actor, demo_photo(spec["category"], variant), caption=("外观", "细节")[variant])
        services.add_document(lot, actor, demo_pdf("site survey"), "现场勘验笔录")
        if spec["reference"] is not None:
            set_reference(lot, actor, *spec["reference"], valuation_date=created.date() - timedelta(days=7))
    if plan_ is not None:
        bring_to_state(lot, spec, plan_, staff, now)
    return lot


def set_reference(lot: Lot, actor, method: str, value: str, *, valuation_date: date) -> None:
    draw = services.draw_agency(lot, actor) if method == "appraisal" else None
    services.set_reference_price(
        lot,
        actor,
        method=method,
        value=Decimal(value),
        valuation_date=valuation_date,
        draw=draw,
        report=demo_pdf("reference price report"),
    )


# --- Rounds -----------------------------------------------------------------------------------
def bring_to_state(lot: Lot, spec: dict, plan_: Plan, staff: Staff, now: datetime) -> None:
    state, actor = spec["state"], staff.clerk.user
    reference = Decimal(spec["reference"][1])
    with clock.frozen(plan_.created if state not in ("draft", "scheduled") else now):
        auction = auction_services.schedule_round(
            lot, actor, as_draft=state == "draft", court_text=COURT_TEXT, **terms_for(reference, plan_)
        )
    if state in ("draft", "scheduled"):
        return
    with clock.frozen(plan_.announce_at):
        auction_services.publish_announcement(auction, None)  # what the clock worker does on time
    if state in ("announced", "withdrawn"):
        if state == "withdrawn":
            with clock.frozen(now - timedelta(days=1)):
                mark_withdrawn(
                    auction, staff.judge.user, "被执行人已全部履行债务并缴纳执行费用，申请执行人申请撤回拍卖。"
                )
        return
    with clock.frozen(plan_.starts_at + timedelta(seconds=1)):
        lifecycle.do_open_round(auction.id)
    if state == "suspended":
        with clock.frozen(plan_.starts_at + timedelta(hours=3)):
            lifecycle.suspend_round(auction.id, staff.judge.user, "案外人提出执行异议，本院依法审查期间暂缓拍卖。")
    elif state == "sold":
        with clock.frozen(plan_.ends_at):
            mark_sold(auction, auction.starting_price.amount + 12 * auction.increment.amount)
    elif state == "failed":
        with clock.frozen(plan_.ends_at + timedelta(seconds=1)):
            lifecycle.do_close_auction(auction.id)  # no bids: 流拍 (BI5)
        schedule_reauction(lot, auction, reference, staff, now)


def schedule_reauction(lot: Lot, failed: Auction, reference: Decimal, staff: Staff, now: datetime) -> None:
    """FA1, PR2, AN2: the second round, at 80% of the first's start, announced in two hours."""
    failed.refresh_from_db()
    notice = rules.NOTICE_REAUCTION_IMMOVABLE if lot.is_immovable else rules.NOTICE_REAUCTION_MOVABLE
    announce_at = now + timedelta(hours=2)
    starts_at = announce_at + notice + timedelta(days=1)
    plan_ = Plan(now - timedelta(days=1), announce_at, starts_at, starts_at + timedelta(days=1))
    with clock.frozen(plan_.created):
        auction_services.schedule_round(
            lot,
            staff.clerk.user,
            previous=failed,
            court_text=COURT_TEXT,
            **terms_for(reference, plan_, failed.starting_price.amount),
        )


# Results the bidding engine produces once bids exist; the demo has no bids yet, so these two set
# the outcome directly, with the disposal record the engine would write (PD5).
def mark_sold(auction: Auction, price: Decimal) -> None:
    at = clock.now()
    with transaction.atomic():
        Auction.objects.filter(pk=auction.pk).update(status=Auction.Status.SOLD, current_price=price, closed_at=at)
        Lot.objects.filter(pk=auction.lot_id).update(status=Lot.Status.SOLD)
        services.record_disposal(
            DisposalRecord.Kind.ROUND_SOLD, case=auction.lot.case, lot=auction.lot, auction=auction, amount=price
        )


def mark_withdrawn(auction: Auction, actor, reason: str) -> None:
    """FA5: the withdrawal and its published reason."""
    with transaction.atomic():
        Auction.objects.filter(pk=auction.pk).update(status=Auction.Status.WITHDRAWN, closed_at=clock.now())
        Lot.objects.filter(pk=auction.lot_id).update(status=Lot.Status.WITHDRAWN)
        services.record_disposal(
            DisposalRecord.Kind.ROUND_WITHDRAWN,
            case=auction.lot.case,
            lot=auction.lot,
            auction=auction,
            actor=actor,
            detail={"reason": reason},
        )


COURT_TEXT = "有意竞买者可于竞价开始前工作日联系承办人预约看样。"


def seed_query_codes(staff_by_court) -> list[tuple[str, str, str]]:
    """PD1: each demo case's applicant gets a query code for the party portal, printed once; on a
    second run the live code is only named by its last four characters."""
    rows = []
    for case_spec in CASES:
        case = EnforcementCase.objects.get(number=case_spec["number"])
        applicant = case.parties.filter(role=Party.Role.APPLICANT).order_by("id").first()
        if applicant is None or case.status != EnforcementCase.Status.OPEN:
            continue
        live = applicant.query_codes.filter(revoked_at__isnull=True).first()
        if live is not None:
            rows.append((case.number, applicant.name, f"****{live.hint}"))
            continue
        clerk = staff_by_court[case_spec["court"]][1].clerk
        _code, plain = portal.issue_query_code(applicant, clerk.user, papers="营业执照副本、法定代表人身份证明书")
        rows.append((case.number, applicant.name, plain))
    return rows


class Command(BaseCommand):
    help = "Loads demo courts, staff, cases, lots and rounds in every state (safe to run again)."

    def handle(self, *args, **options):
        now = clock.now().replace(microsecond=0)
        staff_by_court = {}
        for spec in COURTS:
            court, staff = seed_court(spec)
            staff_by_court[court.code] = (court, staff)
        created = 0
        for case_spec in CASES:
            court, staff = staff_by_court[case_spec["court"]]
            case = seed_case(case_spec, court, staff)
            for lot_spec in case_spec["lots"]:
                created += seed_lot(lot_spec, case, staff, now) is not None
        if not User.objects.filter(username=SUPERUSER[0]).exists():
            User.objects.create_superuser(SUPERUSER[0], "admin@example.com", SUPERUSER[1])
        self.stdout.write(f"Demo data: {created} new lots ({Lot.objects.count()} in all).")
        self.stdout.write("Demo accounts (username / password):")
        for spec in COURTS:
            for username, role, _name, _phone in spec["staff"]:
                self.stdout.write(f"  {username} / {demo_password(username)}  ({spec['name']}, {role})")
        self.stdout.write(f"  {SUPERUSER[0]} / {SUPERUSER[1]}  (superuser, /admin/)")
        self.stdout.write("Party portal /portal/ (case number / query code; a new code: manage.py issue_query_code):")
        for number, name, code in seed_query_codes(staff_by_court):
            self.stdout.write(f"  {number} / {code}  ({name})")

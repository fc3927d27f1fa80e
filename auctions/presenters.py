"""Public view models of auction rounds, shared by the public pages and the public JSON API.

Only rounds the public may see get here (`public_auctions`), and every piece of text passes the
case's AN5 masking before it leaves: no ID numbers, phone numbers, accounts, door numbers or full
names of natural-person parties reach a public page or API response.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from lots import pii
from lots.models import EnforcementCase, Lot, LotPhoto, Party, ReferencePrice

from . import clock, watchers
from .announcements import localized_sections, public_party_name, scrub
from .models import Auction

# The phases a visitor sees. "live" and "ended" follow the clock, not the worker: a round past its
# end but not yet closed by the clock worker already shows as ended (BI2: time decides).
PHASE_LABELS = {
    "upcoming": _("即将开始"),
    "live": _("正在进行"),
    "ended": _("已结束"),
    "sold": _("已成交"),
    "failed": _("流拍"),
    "suspended": _("暂缓"),
    "withdrawn": _("已撤回"),
}
_RUNNING = (Auction.Status.ANNOUNCED, Auction.Status.LIVE)


def phase_of(auction: Auction, now: datetime) -> str:
    if auction.status not in _RUNNING:
        return str(auction.status)
    if now < auction.starts_at:
        return "upcoming"
    return "live" if now < auction.ends_at else "ended"


def phase_q(phase: str, now: datetime) -> Q:
    """The queryset filter equal to `phase_of(...) == phase` (plus "ended" covering sold and failed)."""
    running = Q(status__in=_RUNNING)
    return {
        "upcoming": running & Q(starts_at__gt=now),
        "live": running & Q(starts_at__lte=now, ends_at__gt=now),
        "ended": Q(status__in=(Auction.Status.SOLD, Auction.Status.FAILED)) | (running & Q(ends_at__lte=now)),
    }.get(phase, Q(status=phase))


def public_auctions(now: datetime | None = None) -> QuerySet:
    """Rounds whose announcement is out (AN1) in a public status; drafts and scheduled rounds stay
    hidden. Listings of a closed case are shielded (PD4), which we do at once rather than within
    the five working days the rule allows."""
    now = now or clock.now()
    return (
        Auction.objects.filter(status__in=Auction.PUBLIC_STATUSES, announcement__published_at__lte=now)
        .exclude(lot__case__status=EnforcementCase.Status.CLOSED)
        .select_related("lot", "lot__court", "lot__case", "announcement")
        .prefetch_related(
            Prefetch("lot__photos", queryset=LotPhoto.objects.order_by("position", "id")),
            Prefetch("lot__reference_prices", queryset=ReferencePrice.objects.select_related("agency")),
            Prefetch("lot__case__parties", queryset=Party.objects.order_by("id")),
        )
    )


# --- AN5 masking --------------------------------------------------------------------------------
class Masker:
    """Masks personal data in free text shown publicly (AN5): `announcements.scrub` (party names and
    addresses, ID-number, mobile and plate patterns), after replacing by value what patterns miss:
    the parties' phone and ID numbers in any format, and door numbers in the lot's own location."""

    def __init__(self, case: EnforcementCase, lot: Lot):
        self.parties = list(case.parties.all())
        pairs = [(lot.location, pii.mask_address(lot.location))]
        for party in self.parties:
            pairs += [
                (party.id_number, pii.mask_id_number(party.id_number)),
                (party.phone, pii.mask_phone(party.phone)),
            ]
        # Longest first, so a shorter value inside a longer one does not break its replacement.
        self.pairs = sorted(((full, masked) for full, masked in pairs if full), key=lambda pair: -len(pair[0]))

    def __call__(self, text: str) -> str:
        for full, masked in self.pairs:
            text = text.replace(full, masked)
        return scrub(text, self.parties)


# --- View models --------------------------------------------------------------------------------
def yuan(amount: Decimal | None) -> str:
    """¥1,234,567.00 in every language, as the announcement text writes amounts."""
    return "—" if amount is None else f"¥{amount:,.2f}"


@dataclass(frozen=True)
class Photo:
    url: str
    caption: str


@dataclass(frozen=True)
class Card:
    """What a listing shows of a round (home, search results, the API list)."""

    id: int
    url: str
    title: str
    round_label: str
    kind: str
    phase: str
    phase_label: str
    price_label: str
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
    photo: Photo | None
    starts_at: datetime
    ends_at: datetime
    countdown_to: datetime | None
    countdown_label: str
    bid_count: int

    @property
    def price_text(self) -> str:
        return yuan(self.price)

    @property
    def starting_price_text(self) -> str:
        return yuan(self.starting_price)

    @property
    def current_price_text(self) -> str:
        return yuan(self.current_price)

    @property
    def reference_price_text(self) -> str:
        return yuan(self.reference_price)

    @property
    def countdown_to_ms(self) -> int | None:
        return int(self.countdown_to.timestamp() * 1000) if self.countdown_to else None


@dataclass(frozen=True)
class Appraisal:
    method: str
    method_label: str
    value: Decimal
    valuation_date: date
    valid_until: date
    agency: str
    report_url: str

    @property
    def value_text(self) -> str:
        return yuan(self.value)


@dataclass(frozen=True)
class Document:
    title: str
    url: str


@dataclass(frozen=True)
class PublicParty:
    role: str
    role_label: str
    name: str


@dataclass(frozen=True)
class TaxLine:
    item: str
    rate: Decimal | None
    payer: str
    payer_label: str
    note: str


@dataclass(frozen=True)
class LoanLine:
    bank: str
    max_ltv: Decimal
    rate: Decimal


@dataclass(frozen=True)
class Disclosure:
    """What the court disclosed beyond the description (issue 9): costs, occupants, buyers, loans."""

    asset_source: str
    asset_source_label: str
    leases: str
    purchase_restriction: str
    vehicle_mileage_km: int | None
    vehicle_violation_count: int | None
    vehicle_violations: str
    taxes: list[TaxLine]
    loans: list[LoanLine]

    @property
    def is_vehicle_known(self) -> bool:
        return (
            self.vehicle_mileage_km is not None
            or self.vehicle_violation_count is not None
            or bool(self.vehicle_violations)
        )


@dataclass(frozen=True)
class Detail:
    """Everything the lot page and the API detail show of one round."""

    card: Card
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
    photos: list[Photo]
    documents: list[Document]
    appraisal: Appraisal | None
    case_number: str
    parties: list[PublicParty]
    court_phone: str
    court_address: str
    has_amendments: bool
    status_reason: str
    disclosure: Disclosure
    watchers: int
    court_url: str

    @property
    def increment_text(self) -> str:
        return yuan(self.increment)

    @property
    def current_price_text(self) -> str:
        return current_price_text(self.card.current_price)

    @property
    def deposit_text(self) -> str:
        return yuan(self.deposit)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    body: str
    warning: bool


@dataclass(frozen=True)
class Amendment:
    seq: int
    published_at: datetime
    reason: str
    text: str


@dataclass(frozen=True)
class AnnouncementView:
    card: Card
    case_number: str
    published_at: datetime | None
    sections: list[Section]
    amendments: list[Amendment] = field(default_factory=list)

    @property
    def warnings(self) -> list[Section]:
        """The AN4 special warnings, which the page sets apart as warning boxes."""
        return [section for section in self.sections if section.warning]


def _reference(lot: Lot) -> ReferencePrice | None:
    prices = list(lot.reference_prices.all())
    return max(prices, key=lambda p: (p.valuation_date, p.id)) if prices else None


def _price(auction: Auction, phase: str) -> tuple[str, Decimal]:
    if auction.current_price is not None:
        label = _("成交价") if phase == "sold" else _("当前价")
        return str(label), auction.current_price.amount
    return str(_("起拍价")), auction.starting_price.amount


def _countdown(auction: Auction, phase: str) -> tuple[datetime | None, str]:
    if phase == "upcoming":
        return auction.starts_at, str(_("距开始"))
    if phase == "live":
        return auction.ends_at, str(_("距结束"))
    return None, ""


def card(auction: Auction, now: datetime, mask: Masker | None = None) -> Card:
    lot, court = auction.lot, auction.lot.court
    mask = mask or Masker(lot.case, lot)
    phase = phase_of(auction, now)
    price_label, price = _price(auction, phase)
    countdown_to, countdown_label = _countdown(auction, phase)
    reference = _reference(lot)
    photos = list(lot.photos.all())
    return Card(
        id=auction.id,
        url=reverse("auction_detail", args=[auction.id]),
        title=mask(lot.title),
        round_label=auction.round_label,
        kind=auction.kind,
        phase=phase,
        phase_label=str(PHASE_LABELS[phase]),
        price_label=price_label,
        price=price,
        starting_price=auction.starting_price.amount,
        current_price=auction.current_price.amount if auction.current_price is not None else None,
        reference_price=reference.value.amount if reference else None,
        court_name=court.name,
        court_code=court.code,
        province=court.province,
        region=court.region,
        category=lot.category,
        category_label=lot.get_category_display(),
        location=mask(lot.location),
        photo=Photo(photos[0].image.url, mask(photos[0].caption)) if photos else None,
        starts_at=auction.starts_at,
        ends_at=auction.ends_at,
        countdown_to=countdown_to,
        countdown_label=countdown_label,
        bid_count=auction.bid_count,
    )


def cards(auctions, now: datetime | None = None) -> list[Card]:
    now = now or clock.now()
    return [card(auction, now) for auction in auctions]


def _appraisal(reference: ReferencePrice | None) -> Appraisal | None:
    if reference is None:
        return None
    return Appraisal(
        method=reference.method,
        method_label=reference.get_method_display(),
        value=reference.value.amount,
        valuation_date=reference.valuation_date,
        valid_until=reference.valid_until,
        agency=reference.agency.name if reference.agency else "",
        report_url=reference.report.url if reference.report else "",
    )


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def disclosure(lot: Lot, mask: Masker) -> Disclosure:
    from lots.disclosure import PAYER_LABELS

    return Disclosure(
        asset_source=lot.asset_source,
        asset_source_label=lot.get_asset_source_display(),
        leases=mask(lot.leases),
        purchase_restriction=mask(lot.purchase_restriction),
        vehicle_mileage_km=lot.vehicle_mileage_km,
        vehicle_violation_count=lot.vehicle_violation_count,
        vehicle_violations=mask(lot.vehicle_violations),
        taxes=[
            TaxLine(
                item=mask(row.get("item", "")),
                rate=_decimal(row.get("rate")),
                payer=row.get("payer", ""),
                payer_label=str(PAYER_LABELS.get(row.get("payer"), "")),
                note=mask(row.get("note", "")),
            )
            for row in lot.taxes or []
        ],
        loans=[
            LoanLine(mask(row.get("bank", "")), _decimal(row.get("max_ltv")), _decimal(row.get("rate")))
            for row in lot.loan_offers or []
        ],
    )


def _status_reason(auction: Auction, phase: str, mask: Masker) -> str:
    """FA4, FA5: the published reason a round is suspended or withdrawn, from the event that did it."""
    if phase not in ("suspended", "withdrawn"):
        return ""
    event = auction.events.filter(kind=phase).order_by("-seq").first()
    return mask(str(event.payload.get("reason", ""))) if event else ""


def detail(auction: Auction, now: datetime | None = None) -> Detail:
    now = now or clock.now()
    lot, court = auction.lot, auction.lot.court
    mask = Masker(lot.case, lot)
    summary = card(auction, now, mask)
    return Detail(
        card=summary,
        increment=auction.increment.amount,
        deposit=auction.deposit.amount,
        announced_at=auction.announcement.published_at,
        scheduled_end_at=auction.scheduled_end_at,
        balance_due_at=auction.balance_due_at,
        extension_count=auction.extension_count,
        registration_count=auction.registrations.count(),
        description=mask(lot.description),
        known_defects=mask(lot.known_defects),
        encumbrances=mask(lot.encumbrances),
        occupancy=mask(lot.occupancy),
        photos=[Photo(photo.image.url, mask(photo.caption)) for photo in lot.photos.all()],
        documents=[Document(mask(doc.title), doc.file.url) for doc in lot.documents.all()],
        appraisal=_appraisal(_reference(lot)),
        case_number=lot.case.number,
        parties=[
            PublicParty(party.role, party.get_role_display(), public_party_name(party))
            for party in lot.case.parties.all()
            if party.role in (Party.Role.APPLICANT, Party.Role.RESPONDENT)
        ],
        court_phone=court.phone,
        court_address=court.address,
        has_amendments=auction.announcement.amendments.exists(),
        status_reason=_status_reason(auction, summary.phase, mask),
        disclosure=disclosure(lot, mask),
        watchers=watchers.count(auction.pk),
        court_url=reverse("court_page", args=[court.code]),
    )


@dataclass(frozen=True)
class Facts:
    """The counts and price of a round that move while it runs; the lot page and "my auctions"
    poll them (`/auctions/<id>/facts`), so a registration shows without a reload."""

    id: int
    status: str
    phase: str
    phase_label: str
    watchers: int
    registration_count: int
    bid_count: int
    extension_count: int
    price_label: str
    price: Decimal
    current_price: Decimal | None
    ends_at: datetime

    @property
    def price_text(self) -> str:
        return yuan(self.price)

    @property
    def current_price_text(self) -> str:
        return current_price_text(self.current_price)


def current_price_text(amount: Decimal | None) -> str:
    return yuan(amount) if amount is not None else str(_("暂无出价"))


def facts(auction: Auction, now: datetime | None = None) -> Facts:
    now = now or clock.now()
    phase = phase_of(auction, now)
    price_label, price = _price(auction, phase)
    return Facts(
        id=auction.pk,
        status=auction.status,
        phase=phase,
        phase_label=str(PHASE_LABELS[phase]),
        watchers=watchers.count(auction.pk),
        registration_count=auction.registrations.count(),
        bid_count=auction.bid_count,
        extension_count=auction.extension_count,
        price_label=price_label,
        price=price,
        current_price=auction.current_price.amount if auction.current_price is not None else None,
        ends_at=auction.ends_at,
    )


def _sections(notice, mask: Masker) -> list[Section]:
    """The frozen sections (AN6) in the reader's language where one was frozen, masked again (AN5):
    they were masked when built, but the lot location and phone formats only here."""
    return [
        Section(raw["key"], mask(raw["title"]), mask(raw["body"]), bool(raw.get("warning")))
        for raw in localized_sections(notice.sections or [], translation.get_language())
    ]


def announcement(auction: Auction, now: datetime | None = None) -> AnnouncementView:
    now = now or clock.now()
    lot, notice = auction.lot, auction.announcement
    mask = Masker(lot.case, lot)
    return AnnouncementView(
        card=card(auction, now, mask),
        case_number=lot.case.number,
        published_at=notice.published_at,
        sections=_sections(notice, mask),
        amendments=[
            Amendment(a.seq, a.published_at, mask(a.reason), mask(a.text))
            for a in notice.amendments.filter(published_at__lte=now).order_by("seq")
        ],
    )

"""Builders shared by the public site and API tests: published rounds made through the real
services (schedule, then publish with the clock moved back), and a case whose natural-person
respondent has an ID number, phone and home address that must never appear in public (AN5)."""

from datetime import timedelta

from auctions import clock
from auctions import services as auction_services
from auctions.models import Auction
from lots import services as lot_services
from lots.models import Lot, Party
from tests import factories

RESPONDENT = {
    "name": "王小明",
    "id_number": factories.valid_id_number(321),
    "phone": "13912345678",
    "address": "北京市朝阳区幸福小区3号楼2单元301室",
}


def published_round(
    lot: Lot,
    *,
    starts_in=timedelta(hours=-1),
    duration=timedelta(days=2),
    starting_price=80_000,
    increment=1_000,
    deposit=10_000,
    court_text="",
) -> Auction:
    """Schedules and publishes a first round through the services, as if announced 31 days before
    it starts (AN1), so that now it is upcoming, live or past its end as asked."""
    starts_at = clock.now() + starts_in
    announce_at = starts_at - timedelta(days=31)
    with clock.frozen(announce_at):
        auction = auction_services.schedule_round(
            lot,
            None,
            starting_price=starting_price,
            increment=increment,
            deposit=deposit,
            announce_at=announce_at,
            starts_at=starts_at,
            ends_at=starts_at + duration,
            balance_due_at=starts_at + duration + timedelta(days=10),
            court_text=court_text,
        )
        return auction_services.publish_announcement(auction)


def unpublished_round(lot: Lot, *, as_draft: bool = False) -> Auction:
    """A round scheduled (or left a draft) with its announcement due tomorrow: not public yet."""
    now = clock.now()
    return auction_services.schedule_round(
        lot,
        None,
        starting_price=80_000,
        increment=1_000,
        deposit=10_000,
        announce_at=now + timedelta(days=1),
        starts_at=now + timedelta(days=20),
        ends_at=now + timedelta(days=21),
        balance_due_at=now + timedelta(days=30),
        as_draft=as_draft,
    )


def set_result(auction: Auction, status: str, price=None) -> Auction:
    """Stands in for the bidding engine's closing (not under test here)."""
    Auction.objects.filter(pk=auction.pk).update(
        status=status, current_price=factories.cny(price) if price else None, closed_at=clock.now()
    )
    auction.refresh_from_db()
    return auction


def lot_for(court, *, title=None, category=Lot.Category.VEHICLE, reference=100_000, **fields) -> Lot:
    lot = factories.make_lot(factories.make_case(court), category=category, reference=reference)
    changes = {"title": title, **fields} if title else fields
    if changes:
        Lot.objects.filter(pk=lot.pk).update(**changes)
        lot.refresh_from_db()
    return lot


def case_with_person_respondent(court):
    """A case whose respondent is a natural person with full personal data (AN5 material)."""
    case = factories.make_case(court)
    lot_services.add_party(
        case, None, role=Party.Role.APPLICANT, kind=Party.Kind.ORGANISATION, name="某某银行股份有限公司"
    )
    lot_services.add_party(case, None, role=Party.Role.RESPONDENT, kind=Party.Kind.PERSON, **RESPONDENT)
    return case


def pii_lot(court) -> Lot:
    """A lot whose texts mention the respondent's data in full, as a careless clerk might type it."""
    case = case_with_person_respondent(court)
    lot = factories.make_lot(case, category=Lot.Category.REAL_ESTATE, reference=2_000_000)
    r = RESPONDENT
    Lot.objects.filter(pk=lot.pk).update(
        title="朝阳区幸福小区住宅一套",
        location=r["address"],
        description=f"被执行人{r['name']}（身份证号{r['id_number']}，电话{r['phone']}）名下住宅，位于{r['address']}。",
        occupancy=f"现由{r['name']}居住，联系电话{r['phone']}。",
    )
    lot.refresh_from_db()
    return lot


def assert_no_personal_data(text: str) -> None:
    """None of the respondent's full values (AN5), nor the door number of the address."""
    for value in (RESPONDENT["name"], RESPONDENT["id_number"], RESPONDENT["phone"], "301室"):
        assert value not in text, f"{value!r} leaked"

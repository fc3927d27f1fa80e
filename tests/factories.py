"""Builders for test data. Personas (as in the developers' guide):

- alice: registered bidder with a secured deposit
- bob: registered bidder without a deposit
- charlie: outsider with no registration
- clerk: court officer of court A; clerk_b: court officer of court B
"""

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from djmoney.money import Money

from auctions import clock
from auctions.models import Auction
from bidding.models import BidderProfile, Registration
from lots import pii
from lots.models import AppraisalAgency, Court, CourtStaff, EnforcementCase, Lot, Party, ReferencePrice
from payments.models import Deposit

User = get_user_model()
_counter = itertools.count(1)


def cny(amount) -> Money:
    return Money(Decimal(str(amount)), "CNY")


def valid_id_number(serial: int) -> str:
    first17 = f"11010519900307{serial % 1000:03d}"
    return first17 + pii.id_check_digit(first17)


def make_court(code: str | None = None, name: str | None = None) -> Court:
    n = next(_counter)
    court = Court.objects.create(
        name=name or f"北京市第{n}人民法院",
        code=code or f"京{n:04d}",
        province="北京市",
        region="北京市朝阳区",
        phone="010-8888 0000",
    )
    agency = AppraisalAgency.objects.create(name=f"评估公司{n}号")
    court.panel.add(agency)
    return court


def make_staff(court: Court, username: str | None = None, role=CourtStaff.Role.CLERK) -> CourtStaff:
    username = username or f"staff{next(_counter)}"
    user = User.objects.create_user(username=username, password="pw-" + username)
    return CourtStaff.objects.create(user=user, court=court, role=role, name=username, office_phone="010-6000 0000")


def make_case(court: Court, judge: CourtStaff | None = None) -> EnforcementCase:
    judge = judge or make_staff(court, role=CourtStaff.Role.JUDGE)
    return EnforcementCase.objects.create(
        court=court,
        number=f"（2024）{court.code}执{next(_counter)}号",
        cause="借款合同纠纷",
        filed_on=date(2024, 3, 1),
        judge=judge,
    )


def make_lot(case: EnforcementCase, category=Lot.Category.VEHICLE, reference=100_000) -> Lot:
    lot = Lot.objects.create(
        court=case.court,
        case=case,
        category=category,
        is_immovable=category in Lot.IMMOVABLE_CATEGORIES,
        title=f"标的物{next(_counter)}号 奥迪A6L轿车",
        description="2019年登记，行驶里程约8万公里。",
        location="北京市朝阳区某停车场",
        status=Lot.Status.LISTED,
    )
    today = clock.now().date()
    ReferencePrice.objects.create(
        lot=lot,
        method=ReferencePrice.Method.ONLINE,
        value=cny(reference),
        valuation_date=today - timedelta(days=30),
        valid_until=today + timedelta(days=300),
        fixed_on=today - timedelta(days=5),
    )
    return lot


def make_auction(
    lot: Lot,
    status=Auction.Status.LIVE,
    starts_in=timedelta(hours=-1),
    ends_in=timedelta(hours=24),
    starting_price=80_000,
    increment=1_000,
    deposit=10_000,
) -> Auction:
    now = clock.now()
    return Auction.objects.create(
        lot=lot,
        starting_price=cny(starting_price),
        increment=cny(increment),
        deposit=cny(deposit),
        announce_at=now + starts_in - timedelta(days=30),
        starts_at=now + starts_in,
        scheduled_end_at=now + ends_in,
        ends_at=now + ends_in,
        balance_due_at=now + ends_in + timedelta(days=10),
        status=status,
    )


def make_bidder(username: str | None = None, real_name: str = "张三") -> User:
    username = username or f"bidder{next(_counter)}"
    user = User.objects.create_user(username=username, password="pw-" + username)
    id_number = valid_id_number(next(_counter))
    BidderProfile.objects.create(
        user=user,
        real_name=real_name,
        id_number=id_number,
        id_number_hash=pii.lookup_hash(id_number),
        id_number_masked=pii.mask_id_number(id_number),
        phone="13800138000",
        phone_masked=pii.mask_phone("13800138000"),
    )
    return user


def register(auction: Auction, user, *, secured: bool, priority_rank: int | None = None) -> Registration:
    number = auction.registrations.count() + 1
    registration = Registration.objects.create(
        auction=auction,
        user=user,
        code=f"A{number:04d}" if priority_rank is None else f"P{number:03d}",
        priority_rank=priority_rank,
        terms_accepted_at=clock.now(),
    )
    Deposit.objects.create(
        registration=registration,
        amount=auction.deposit,
        status=Deposit.Status.SECURED if secured else Deposit.Status.PENDING,
        secured_at=clock.now() if secured else None,
    )
    return registration


def make_party(
    case: EnforcementCase, role=Party.Role.APPLICANT, name: str = "某银行股份有限公司", represents=None
) -> Party:
    return Party.objects.create(
        case=case,
        role=role,
        kind=Party.Kind.ORGANISATION if role == Party.Role.APPLICANT else Party.Kind.PERSON,
        name=name,
        represents=represents,
    )


def issue_code(party: Party, actor=None) -> str:
    """A verified party's query code (PD1), through the service; returns the plain code."""
    from lots import portal

    authorisation = "授权委托书" if party.role in portal.ON_BEHALF_ROLES else ""
    return portal.issue_query_code(party, actor, papers="居民身份证", authorisation=authorisation)[1]


def portal_login(client, party: Party) -> str:
    """Signs `client` in to the party portal as `party` (a verified party of its case) without going
    through the sign-in form and its rate limits; returns the plain query code."""
    from lots.portal_views import SESSION_KEY

    plain = issue_code(party)
    session = client.session
    session[SESSION_KEY] = party.query_codes.get(revoked_at__isnull=True).pk
    session.save()
    return plain

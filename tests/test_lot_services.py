"""lots/services.py: cases, parties, lots, the RP2 draw, reference prices (RP1–RP3) and API tokens."""

import hashlib
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from auctions.errors import RuleViolation
from lots import services
from lots.models import AppraisalAgency, DisposalRecord, EnforcementCase, Lot, Party
from tests import factories
from tests.console_support import draft_lot


@pytest.fixture
def judge(court):
    return factories.make_staff(court, username="judge", role="judge")


def test_create_case_normalises_brackets_and_full_width_digits(court, clerk, judge):
    case = services.create_case(
        court,
        clerk.user,
        number=" (２０２４)京０１０５执88号",
        cause="借款合同纠纷",
        filed_on="2024-03-01",
        judge=judge,
    )
    assert case.number == "（2024）京0105执88号"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("2024京0105执88号", "invalid_case_number"),
        ("（2024）京0105民88号", "invalid_case_number"),
        ("（2024）沪0101执88号", "wrong_court_code"),
    ],
)
def test_create_case_refuses_malformed_or_foreign_numbers(court, clerk, judge, number, code):
    with pytest.raises(ValidationError) as error:
        services.create_case(court, clerk.user, number=number, cause="x", filed_on="2024-03-01", judge=judge)
    assert error.value.error_dict["number"][0].code == code
    assert not EnforcementCase.objects.exists()


def test_create_case_refuses_duplicate_number_and_other_courts_judge(court, clerk, judge, clerk_b):
    services.create_case(court, clerk.user, number="（2024）京0105执1号", cause="x", filed_on="2024-03-01", judge=judge)
    with pytest.raises(ValidationError):
        services.create_case(
            court, clerk.user, number="（2024）京0105执1号", cause="x", filed_on="2024-03-01", judge=judge
        )
    other_judge = factories.make_staff(clerk_b.court, role="judge")
    with pytest.raises(ValidationError) as error:
        services.create_case(
            court, clerk.user, number="（2024）京0105执2号", cause="x", filed_on="2024-03-01", judge=other_judge
        )
    assert "judge" in error.value.error_dict


def test_an5_party_pii_is_encrypted_at_rest_masked_and_hashed(case, clerk):
    id_number = factories.valid_id_number(7)
    party = services.add_party(
        case,
        clerk.user,
        role=Party.Role.RESPONDENT,
        kind=Party.Kind.PERSON,
        name="李四",
        id_number=id_number,
        phone="13912345678",
        address="北京市朝阳区幸福路8号楼3单元502室",
    )
    assert party.id_number_masked == id_number[:6] + "********" + id_number[-4:]
    assert party.phone_masked == "139****5678"
    assert "502" not in party.address_masked
    assert party.id_number_hash == services.pii.lookup_hash(id_number)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, address FROM lots_party WHERE id = %s", [party.id])
        raw = cursor.fetchone()
    assert id_number not in raw[0] and "13912345678" not in raw[1] and "幸福路" not in raw[2]
    assert Party.objects.get(pk=party.pk).id_number == id_number


def test_add_party_refuses_bad_id_number_and_other_cases_party(case, clerk, court):
    with pytest.raises(ValidationError) as error:
        services.add_party(
            case, clerk.user, role="respondent", kind="person", name="李四", id_number="110105199003070010"
        )
    assert "id_number" in error.value.error_dict
    other = services.add_party(
        factories.make_case(court), clerk.user, role="applicant", kind="organisation", name="某银行"
    )
    with pytest.raises(ValidationError) as error:
        services.add_party(case, clerk.user, role="agent", kind="person", name="王五", represents=other)
    assert "represents" in error.value.error_dict
    assert case.parties.count() == 0


def test_an1_create_lot_takes_immovability_from_category(case, clerk):
    house = draft_lot(case, clerk.user, category=Lot.Category.REAL_ESTATE)
    car = draft_lot(case, clerk.user, category=Lot.Category.VEHICLE)
    assert house.is_immovable and not car.is_immovable and house.status == Lot.Status.DRAFT


def test_create_lot_refuses_another_courts_case(court, other_court, clerk):
    foreign_case = factories.make_case(other_court)
    with pytest.raises(ValidationError):
        services.create_lot(
            court, clerk.user, case=foreign_case, category="other", title="t", description="d", location="l"
        )
    assert not Lot.objects.exists()


def test_update_lot_only_for_drafts(case, clerk, lot):
    draft = draft_lot(case, clerk.user)
    assert services.update_lot(draft, clerk.user, title="新标题", category="land_use").is_immovable
    with pytest.raises(ValidationError):
        services.update_lot(lot, clerk.user, title="不可改")  # factories' lot is already listed


def test_rp2_agency_draw_is_recorded_and_reverifiable(case, clerk):
    for n in range(3):
        case.court.panel.add(AppraisalAgency.objects.create(name=f"额外评估公司{n}"))
    lot = draft_lot(case, clerk.user)
    draw = services.draw_agency(lot, clerk.user)
    ids = [candidate["id"] for candidate in draw.candidates]
    assert ids == sorted(ids) and len(ids) == 4
    expected = ids[int(hashlib.sha256(draw.seed.encode()).hexdigest(), 16) % 4]
    assert draw.result_id == expected and services.verify_draw(draw)
    record = DisposalRecord.objects.get(kind=DisposalRecord.Kind.AGENCY_DRAWN)
    assert record.detail["seed"] == draw.seed and record.detail["result"]["id"] == expected


def test_rp2_draw_refused_with_empty_panel(case, clerk):
    case.court.panel.clear()
    with pytest.raises(ValidationError):
        services.draw_agency(draft_lot(case, clerk.user), clerk.user)


def test_rp2_appraisal_requires_the_drawn_agency(case, clerk):
    lot = draft_lot(case, clerk.user)
    today = services.court_today()
    with pytest.raises(RuleViolation) as violation:
        services.set_reference_price(lot, clerk.user, method="appraisal", value=Decimal("1"), valuation_date=today)
    assert violation.value.rules == ["RP2"]
    draw = services.draw_agency(lot, clerk.user)
    other = AppraisalAgency.objects.create(name="未抽中的公司")
    with pytest.raises(RuleViolation):
        services.set_reference_price(
            lot, clerk.user, method="appraisal", value=Decimal("1"), valuation_date=today, draw=draw, agency=other
        )
    price = services.set_reference_price(
        lot, clerk.user, method="appraisal", value=Decimal("500000"), valuation_date=today, draw=draw
    )
    assert price.agency_id == draw.result_id


def test_rp3_validity_at_most_one_year_and_defaults_to_one_year(case, clerk):
    lot = draft_lot(case, clerk.user)
    valuation = services.court_today() - timedelta(days=1)
    one_year = services.rules.reference_validity_end(valuation)
    with pytest.raises(RuleViolation) as violation:
        services.set_reference_price(
            lot,
            clerk.user,
            method="online",
            value=Decimal("1"),
            valuation_date=valuation,
            valid_until=one_year + timedelta(days=1),
        )
    assert violation.value.refusals[0].field == "valid_until"
    price = services.set_reference_price(
        lot, clerk.user, method="online", value=Decimal("1.50"), valuation_date=valuation
    )
    assert price.valid_until == one_year


def test_pd5_reference_price_writes_a_disposal_record_with_the_amount(case, clerk):
    lot = draft_lot(case, clerk.user, reference="123456.78")
    record = DisposalRecord.objects.get(kind=DisposalRecord.Kind.REFERENCE_PRICE_SET, lot=lot)
    assert record.amount.amount == Decimal("123456.78") and record.actor == clerk.user
    assert record.actor_label == clerk.name


def test_api_token_stores_only_a_hash_of_the_full_plaintext(court, clerk):
    token, plaintext = services.issue_api_token(court, clerk.user, "办案系统")
    prefix, secret = plaintext.split(".", 1)
    assert token.prefix == prefix and len(prefix) == 8 and len(secret) >= 40
    assert token.secret_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    stored = [str(value) for value in token.__class__.objects.filter(pk=token.pk).values().get().values()]
    assert not any(secret in value for value in stored)
    services.revoke_api_token(token, clerk.user)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_issue_api_token_command_prints_the_plaintext_once(court):
    out = io.StringIO()
    call_command("issue_api_token", court.code, "执行办案系统", stdout=out, stderr=io.StringIO())
    plaintext = out.getvalue().strip()
    token = court.api_tokens.get()
    assert token.secret_hash == services.token_hash(plaintext) and token.created_by is None
    with pytest.raises(CommandError):
        call_command("issue_api_token", "无此院", "x", stdout=io.StringIO())

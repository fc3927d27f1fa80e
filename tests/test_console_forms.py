"""Bad input for every console/API form: a field-level message and nothing saved.

The court API instantiates these same forms with parsed JSON, so JSON types (ints, floats, bools,
null) are exercised as well as form strings.
"""

import pytest
from django.urls import reverse

from auctions.forms import AmendmentForm, RoundForm
from auctions.models import Auction
from lots.forms import ApiTokenForm, CaseForm, LotForm, PartyForm, ReferencePriceForm
from lots.models import EnforcementCase, Lot, Party, ReferencePrice
from tests import factories
from tests.console_support import draft_lot, round_data


@pytest.fixture
def judge(court):
    return factories.make_staff(court, username="judge", role="judge")


@pytest.fixture
def staff_client(client, clerk):
    client.force_login(clerk.user)
    return client


def case_data(judge_staff, **overrides):
    data = {
        "number": "（2024）京0105执1234号",
        "cause": "借款合同纠纷",
        "filed_on": "2024-03-01",
        "judge": judge_staff.id,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"number": "2024京0105执1234号"}, "number"),
        ({"number": "（2024）京0105执0号"}, "number"),
        ({"number": "（2024）京0105执1234"}, "number"),
        ({"number": "（2024）沪0101执1234号"}, "number"),
        ({"number": ""}, "number"),
        ({"cause": ""}, "cause"),
        ({"filed_on": "2024-13-01"}, "filed_on"),
        ({"filed_on": "2999-01-01"}, "filed_on"),
        ({"filed_on": 20240301}, "filed_on"),
        ({"judge": "abc"}, "judge"),
        ({"judge": 999999}, "judge"),
        ({"clerk": 999999}, "clerk"),
    ],
)
def test_case_form_bad_input(court, clerk, judge, overrides, field):
    form = CaseForm(case_data(judge, **overrides), court=court)
    assert not form.is_valid() and field in form.errors
    assert not EnforcementCase.objects.exists()


def test_case_form_refuses_a_clerk_as_judge_and_other_courts_judge(court, clerk, clerk_b):
    assert "judge" in CaseForm(case_data(clerk), court=court).errors
    other_judge = factories.make_staff(clerk_b.court, role="judge")
    assert "judge" in CaseForm(case_data(other_judge), court=court).errors


def test_case_form_refuses_duplicates(court, clerk, judge):
    form = CaseForm(case_data(judge), court=court)
    assert form.is_valid() and form.save(clerk.user)
    again = CaseForm(case_data(judge, number="(2024)京0105执1234号"), court=court)
    assert not again.is_valid() and again.errors["number"] == ["该案号已存在。"]


def test_case_form_missing_everything(court, clerk):
    form = CaseForm({}, court=court)
    assert not form.is_valid() and {"number", "cause", "filed_on", "judge"} <= form.errors.keys()


def test_console_case_create_shows_field_errors(staff_client, judge):
    response = staff_client.post(reverse("console:case_create"), case_data(judge, number="京0105执1234号"))
    assert response.status_code == 200 and "案号格式应为" in response.content.decode()
    response = staff_client.post(reverse("console:case_create"), case_data(judge))
    case = EnforcementCase.objects.get()
    assert response["Location"] == reverse("console:case_detail", args=[case.id])


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id_number": "110105199003070010"}, "id_number"),
        ({"role": "judge"}, "role"),
        ({"kind": 3}, "kind"),
        ({"name": ""}, "name"),
        ({"phone": "call me"}, "phone"),
        ({"claim_amount": "-5"}, "claim_amount"),
        ({"claim_amount": "1.001"}, "claim_amount"),
        ({"claim_amount": 1.5}, "claim_amount"),
        ({"claim_amount": True}, "claim_amount"),
        ({"represents": 999999}, "represents"),
    ],
)
def test_party_form_bad_input(court, case, overrides, field):
    data = {"role": "respondent", "kind": "person", "name": "李四", "id_number": factories.valid_id_number(9)}
    data.update(overrides)
    form = PartyForm(data, court=court, case=case)
    assert not form.is_valid() and field in form.errors
    assert not Party.objects.exists()


def test_party_form_accepts_an_organisation_credit_code(court, case, clerk):
    data = {"role": "applicant", "kind": "organisation", "name": "某银行", "id_number": "91110000100000000A"}
    form = PartyForm(data, court=court, case=case)
    assert form.is_valid(), form.errors
    assert form.save(clerk.user).id_number_masked == "911100********000A"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "spaceship"}, "category"),
        ({"title": ""}, "title"),
        ({"description": None}, "description"),
        ({"is_immovable": "maybe"}, "is_immovable"),
        ({"case": 999999}, "case"),
    ],
)
def test_lot_form_bad_input(court, case, overrides, field):
    data = {"case": case.id, "category": "vehicle", "title": "轿车", "description": "说明", "location": "北京"}
    data.update(overrides)
    form = LotForm(data, court=court)
    assert not form.is_valid() and field in form.errors
    assert not Lot.objects.exists()


def test_lot_form_refuses_another_courts_case(court, other_court):
    foreign_case = factories.make_case(other_court)
    data = {"case": foreign_case.id, "category": "vehicle", "title": "t", "description": "d", "location": "l"}
    assert "case" in LotForm(data, court=court).errors


def test_lot_form_edits_a_draft_only(court, case, clerk, lot):
    draft = draft_lot(case, clerk.user)
    data = {"category": "real_estate", "title": "改名", "description": "d", "location": "l", "is_immovable": ""}
    form = LotForm(data, court=court, instance=draft)
    assert form.is_valid(), form.errors
    assert form.save(clerk.user).is_immovable
    listed = LotForm(data, court=court, instance=lot)  # factories' lot is listed
    assert listed.is_valid() and listed.save(clerk.user) is None and listed.non_field_errors()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"value": "-1"}, "value"),
        ({"value": "0"}, "value"),
        ({"value": "100.123"}, "value"),
        ({"value": "1e400"}, "value"),
        ({"value": "abc"}, "value"),
        ({"value": 99.5}, "value"),
        ({"value": "9999999999999"}, "value"),
        ({"method": "guess"}, "method"),
        ({"method": "appraisal"}, "method"),
        ({"valuation_date": "yesterday"}, "valuation_date"),
        ({"valuation_date": "2999-01-01"}, "valuation_date"),
        ({"valuation_date": "2025-01-01", "valid_until": "2026-01-02"}, "valid_until"),
        ({"valuation_date": "2025-01-01", "valid_until": "2024-12-31"}, "valid_until"),
    ],
)
def test_reference_price_form_bad_input(court, case, clerk, overrides, field):
    lot = draft_lot(case, clerk.user)
    data = {"method": "online", "value": "90000", "valuation_date": "2025-01-01"}
    data.update(overrides)
    form = ReferencePriceForm(data, court=court, lot=lot)
    assert not form.is_valid() and field in form.errors, form.errors
    assert ReferencePrice.objects.filter(lot=lot).count() == 1


def test_reference_price_form_rule_ids_in_messages(court, case, clerk):
    lot = draft_lot(case, clerk.user)
    form = ReferencePriceForm(
        {"method": "appraisal", "value": "1", "valuation_date": "2025-01-01"}, court=court, lot=lot
    )
    assert form.errors["method"][0].startswith("RP2：")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"starting_price": "-80000"}, "starting_price"),
        ({"starting_price": "80000.001"}, "starting_price"),
        ({"starting_price": 80000.5}, "starting_price"),
        ({"starting_price": ""}, "starting_price"),
        ({"deposit": "ten thousand"}, "deposit"),
        ({"increment": "-1"}, "increment"),
        ({"announce_at": "not a date"}, "announce_at"),
        ({"starts_at": "2024-02-30T10:00"}, "starts_at"),
        ({"ends_at": None}, "ends_at"),
        ({"balance_due_at": 12}, "balance_due_at"),
    ],
)
def test_round_form_bad_input(court, case, clerk, overrides, field):
    lot = draft_lot(case, clerk.user)
    form = RoundForm(round_data(**overrides), court=court, lot=lot)
    assert not form.is_valid() and field in form.errors
    assert not Auction.objects.exists()


def test_round_form_accepts_json_integers(court, case, clerk):
    lot = draft_lot(case, clerk.user)
    form = RoundForm(round_data(starting=80000, increment=1000, deposit=10000), court=court, lot=lot)
    assert form.is_valid(), form.errors


def test_round_form_on_a_closed_lot(court, case, clerk, lot):
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.SOLD)
    lot.refresh_from_db()
    form = RoundForm(round_data(), court=court, lot=lot)
    assert not form.is_valid() and form.non_field_errors()


def test_amendment_and_token_forms_need_their_fields(court, case, clerk):
    lot = draft_lot(case, clerk.user)
    form = RoundForm(round_data(), court=court, lot=lot)
    auction = form.save(clerk.user) if form.is_valid() else None
    amendment = AmendmentForm({"text": "", "reason": "x" * 201}, court=court, auction=auction)
    assert {"text", "reason"} <= amendment.errors.keys()
    assert "name" in ApiTokenForm({"name": ""}, court=court).errors

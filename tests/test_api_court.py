"""The court integration API: bearer tokens, the console's validation on JSON, court scoping."""

import json
from datetime import timedelta

import pytest

from auctions import clock, rules
from auctions.models import Auction
from lots import services
from lots.models import CourtApiToken, CourtStaff, EnforcementCase, Lot, Party, ReferencePrice
from tests import factories
from tests.test_public_support import RESPONDENT

pytestmark = pytest.mark.django_db


class Api:
    """A court system calling the API with its bearer token."""

    def __init__(self, client, token: str):
        self.client, self.token = client, token

    def headers(self, **extra) -> dict:
        return {"Authorization": f"Bearer {self.token}", **extra}

    def get(self, path: str):
        return self.client.get("/api/v1/court" + path, headers=self.headers())

    def post(self, path: str, body=None, raw: bytes | None = None, **headers):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            "/api/v1/court" + path, data=data, content_type="application/json", headers=self.headers(**headers)
        )


@pytest.fixture
def judge(court):
    return factories.make_staff(court, username="judge", role=CourtStaff.Role.JUDGE)


@pytest.fixture
def api(client, court, clerk):
    _token, plaintext = services.issue_api_token(court, clerk.user, "执行办案系统")
    return Api(client, plaintext)


@pytest.fixture
def api_b(client, other_court, clerk_b):
    _token, plaintext = services.issue_api_token(other_court, clerk_b.user, "上海系统")
    return Api(client, plaintext)


def case_body(judge, /, **changes) -> dict:
    return {
        "number": "（2024）京0105执888号",
        "cause": "借款合同纠纷",
        "filed_on": "2024-03-01",
        "judge": judge.pk,
        **changes,
    }


def lot_body(case, /, **changes) -> dict:
    return {
        "case": case.pk,
        "category": "vehicle",
        "title": "奥迪A6L轿车",
        "description": "2019年登记。",
        "location": "北京市朝阳区某停车场",
        **changes,
    }


def round_body(**changes) -> dict:
    now = clock.now()
    return {
        "starting_price": "80000.00",
        "increment": "1000",
        "deposit": "10000.00",
        "announce_at": now.isoformat(),
        "starts_at": (now + timedelta(days=16)).isoformat(),
        "ends_at": (now + timedelta(days=17)).isoformat(),
        "balance_due_at": (now + timedelta(days=30)).isoformat(),
        **changes,
    }


def assert_field_error(response, field: str, code: str | None = None, rule: str | None = None, status: int = 422):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    errors = body["errors"][field]
    if code is not None:
        assert code in {error["code"] for error in errors}, errors
    if rule is not None:
        assert rule in {error["rule"] for error in errors}, errors
        assert any(error["message"].startswith(f"{rule}：") for error in errors)


# --- Authentication -------------------------------------------------------------------------------
def test_missing_token_is_401(client):
    response = client.post("/api/v1/court/cases", data="{}", content_type="application/json")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    assert client.get("/api/v1/court/staff", headers={"Authorization": "Basic abc"}).status_code == 401


@pytest.mark.parametrize("token", ["nodot", ".secret", "x" * 300, "deadbeef.wrong-secret"])
def test_invalid_tokens_are_401(client, api, token):
    response = Api(client, token).get("/staff")
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


def test_right_prefix_wrong_secret_is_401(client, api):
    prefix = api.token.split(".")[0]
    response = Api(client, prefix + ".forged").get("/staff")
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


def test_revoked_token_is_401(api, court, clerk):
    token = CourtApiToken.objects.get(court=court)
    services.revoke_api_token(token, clerk.user)
    response = api.get("/staff")
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"


def test_a_valid_token_records_its_last_use(api, court):
    assert CourtApiToken.objects.get(court=court).last_used_at is None
    assert api.get("/staff").status_code == 200
    assert CourtApiToken.objects.get(court=court).last_used_at is not None


def test_calls_are_rate_limited_per_token(api, api_b, settings):
    settings.COURT_API_RATE = "3/m"
    assert [api.get("/staff").status_code for _ in range(3)] == [200, 200, 200]
    limited = api.get("/staff")
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert api_b.get("/staff").status_code == 200  # another token has its own budget


# --- Staff and cases ------------------------------------------------------------------------------
def test_staff_lists_only_the_courts_own_judges_and_clerks(api, judge, clerk_b):
    names = {person["name"] for person in api.get("/staff").json()}
    assert "judge" in names and "clerk" in names and "clerk_b" not in names


def test_create_case_and_read_it_back(api, judge, court):
    response = api.post("/cases", case_body(judge))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "（2024）京0105执888号" and body["judge_id"] == judge.pk and body["parties"] == []
    case = EnforcementCase.objects.get(pk=body["id"])
    assert case.court == court
    assert api.get(f"/cases/{case.pk}").json() == body


def test_case_number_with_ascii_brackets_is_normalised(api, judge):
    response = api.post("/cases", case_body(judge, number="(2024)京0105执889号"))
    assert response.status_code == 201 and response.json()["number"] == "（2024）京0105执889号"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"number": "2024京0105执1号"}, "number", "invalid_case_number"),
        ({"number": "（2024）沪0101执1号"}, "number", "wrong_court_code"),
        ({"filed_on": "2024-02-30"}, "filed_on", "invalid"),
        ({"filed_on": 20240301}, "filed_on", "invalid"),
        ({"filed_on": "2999-01-01"}, "filed_on", "future_date"),
        ({"judge": "abc"}, "judge", "invalid_choice"),
        ({"judge": 999999}, "judge", "invalid_choice"),
        ({"cause": ["借款"]}, "cause", "wrong_type"),
        ({"cause": True}, "cause", "wrong_type"),
        ({"cause": ""}, "cause", "required"),
        ({"surprise": 1}, "surprise", "unknown_field"),
    ],
)
def test_create_case_refuses_bad_input_field_by_field(api, judge, changes, field, code):
    response = api.post("/cases", case_body(judge, **changes))
    assert_field_error(response, field, code)
    assert not EnforcementCase.objects.exists()


def test_create_case_reports_every_missing_field(api):
    response = api.post("/cases", {})
    assert response.status_code == 422
    assert {"number", "cause", "filed_on", "judge"} <= set(response.json()["errors"])


def test_another_courts_judge_is_refused(api, judge, other_court):
    foreign_judge = factories.make_staff(other_court, role=CourtStaff.Role.JUDGE)
    assert_field_error(api.post("/cases", case_body(judge, judge=foreign_judge.pk)), "judge", "invalid_choice")


def test_duplicate_case_number_is_refused(api, judge):
    assert api.post("/cases", case_body(judge)).status_code == 201
    assert_field_error(api.post("/cases", case_body(judge)), "number", "duplicate_case_number")


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_bodies_that_are_not_a_json_object_are_400(api, raw):
    response = api.post("/cases", raw=raw)
    assert response.status_code == 400 and response.json()["code"] == "invalid_json"


def test_an_oversized_body_is_413(api, judge):
    response = api.post("/cases", case_body(judge, cause="长" * 40_000))
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


def test_another_courts_case_is_404(api, api_b, court):
    case = factories.make_case(court)
    assert api.get(f"/cases/{case.pk}").status_code == 200
    response = api_b.get(f"/cases/{case.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert api.get("/cases/987654").status_code == 404


# --- Parties --------------------------------------------------------------------------------------
def test_add_party_returns_only_masked_personal_data(api, court):
    case = factories.make_case(court)
    response = api.post(f"/cases/{case.pk}/parties", {"role": "respondent", "kind": "person", **RESPONDENT})
    assert response.status_code == 201, response.content
    text = json.dumps(response.json(), ensure_ascii=False)
    for value in (RESPONDENT["id_number"], RESPONDENT["phone"], RESPONDENT["address"]):
        assert value not in text
    body = response.json()
    assert body["id_number_masked"] == RESPONDENT["id_number"][:6] + "********" + RESPONDENT["id_number"][-4:]
    assert body["phone_masked"] == "139****5678"
    party = Party.objects.get(pk=body["id"])
    assert party.id_number == RESPONDENT["id_number"]  # stored (encrypted) in full for the court
    case_json = json.dumps(api.get(f"/cases/{case.pk}").json(), ensure_ascii=False)
    assert RESPONDENT["id_number"] not in case_json and RESPONDENT["address"] not in case_json


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"id_number": "110105199003071234"}, "id_number", "invalid_id_number"),
        ({"role": "judge"}, "role", "invalid_choice"),
        ({"phone": "call me"}, "phone", "invalid"),
        ({"claim_amount": "-100"}, "claim_amount", "not_positive"),
        ({"claim_amount": "100.001"}, "claim_amount", "max_decimal_places"),
        ({"claim_amount": 100.5}, "claim_amount", "float"),
        ({"represents": 999999}, "represents", "invalid_choice"),
    ],
)
def test_add_party_refuses_bad_input(api, court, changes, field, code):
    case = factories.make_case(court)
    body = {"role": "respondent", "kind": "person", "name": "王小明", **changes}
    assert_field_error(api.post(f"/cases/{case.pk}/parties", body), field, code)
    assert not Party.objects.exists()


def test_add_party_to_another_courts_case_is_404(api_b, court):
    case = factories.make_case(court)
    response = api_b.post(f"/cases/{case.pk}/parties", {"role": "applicant", "kind": "organisation", "name": "某银行"})
    assert response.status_code == 404
    assert not Party.objects.exists()


# --- Lots and reference prices ----------------------------------------------------------------------
def test_create_lot_and_read_it_back(api, court):
    case = factories.make_case(court)
    response = api.post("/lots", lot_body(case, known_defects="左前门有划痕"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["is_immovable"] is False and body["known_defects"] == "左前门有划痕"
    assert body["reference_prices"] == [] and body["round_ids"] == []
    assert api.get(f"/lots/{body['id']}").json() == body


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"category": "spaceship"}, "category", "invalid_choice"),
        ({"is_immovable": "yes"}, "is_immovable", "invalid"),
        ({"description": {"text": "x"}}, "description", "wrong_type"),
        ({"title": 42}, "title", "wrong_type"),
        ({"title": "长" * 201}, "title", "max_length"),
        ({"case": "x"}, "case", "invalid_choice"),
    ],
)
def test_create_lot_refuses_bad_input(api, court, changes, field, code):
    case = factories.make_case(court)
    assert_field_error(api.post("/lots", lot_body(case, **changes)), field, code)
    assert not Lot.objects.exists()


def test_create_lot_on_another_courts_case_is_refused(api_b, court):
    case = factories.make_case(court)
    assert_field_error(api_b.post("/lots", lot_body(case)), "case", "invalid_choice")
    assert not Lot.objects.exists()


def test_immovable_flag_accepts_a_json_boolean(api, court):
    case = factories.make_case(court)
    response = api.post("/lots", lot_body(case, category="other", is_immovable=True))
    assert response.status_code == 201 and response.json()["is_immovable"] is True


def lot_of(court) -> Lot:
    return services.create_lot(
        court,
        None,
        case=factories.make_case(court),
        category="vehicle",
        title="轿车",
        description="介绍",
        location="某地",
    )


def test_set_reference_price(api, court):
    lot = lot_of(court)
    valuation_date = services.court_today() - timedelta(days=3)
    body = {"method": "online", "value": "100000.00", "valuation_date": str(valuation_date)}
    response = api.post(f"/lots/{lot.pk}/reference-prices", body)
    assert response.status_code == 201, response.content
    price = response.json()
    assert price["value"] == "100000.00" and price["method"] == "online"
    assert price["valid_until"] == str(rules.reference_validity_end(valuation_date))  # RP3 default: one year
    assert api.get(f"/lots/{lot.pk}").json()["reference_prices"] == [price]


@pytest.mark.parametrize(
    ("changes", "field", "code", "rule"),
    [
        ({"value": "-5"}, "value", "not_positive", None),
        ({"value": "0"}, "value", "not_positive", None),
        ({"value": "100.123"}, "value", "max_decimal_places", None),
        ({"value": 100.5}, "value", "float", None),
        ({"value": "a lot"}, "value", "invalid", None),
        ({"value": {"amount": 1}}, "value", "wrong_type", None),
        ({"method": "guess"}, "method", "invalid_choice", None),
        ({"valuation_date": "2999-01-01"}, "valuation_date", "valuation_in_future", "RP3"),
        ({"method": "appraisal"}, "method", "draw_missing", "RP2"),
    ],
)
def test_reference_price_refuses_bad_input(api, court, changes, field, code, rule):
    lot = lot_of(court)
    body = {"method": "online", "value": "100000", "valuation_date": str(services.court_today()), **changes}
    assert_field_error(api.post(f"/lots/{lot.pk}/reference-prices", body), field, code, rule)
    assert not ReferencePrice.objects.exists()


def test_reference_price_on_another_courts_lot_is_404(api_b, court):
    lot = lot_of(court)
    body = {"method": "online", "value": "100000", "valuation_date": str(services.court_today())}
    assert api_b.post(f"/lots/{lot.pk}/reference-prices", body).status_code == 404
    assert api_b.get(f"/lots/{lot.pk}").status_code == 404


# --- Rounds and publication -------------------------------------------------------------------------
@pytest.fixture
def priced_lot(court):
    lot = lot_of(court)
    services.set_reference_price(
        lot, None, method="online", value=factories.cny(100_000).amount, valuation_date=services.court_today()
    )
    return lot


def test_schedule_round_then_publish_it(client, api, priced_lot):
    response = api.post(f"/lots/{priced_lot.pk}/rounds", round_body(court_text="看样请预约。"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "scheduled" and body["round_label"] == "一拍"
    assert body["starting_price"] == "80000.00" and body["announcement"]["published_at"] is None
    assert client.get(f"/api/v1/auctions/{body['id']}").status_code == 404  # not public yet

    published = api.post(f"/rounds/{body['id']}/publish")
    assert published.status_code == 200, published.content
    assert published.json()["status"] == "announced" and published.json()["announcement"]["published_at"]
    assert api.get(f"/rounds/{body['id']}").json() == published.json()
    public = client.get(f"/api/v1/auctions/{body['id']}")
    assert public.status_code == 200 and public.json()["phase"] == "upcoming"

    again = api.post(f"/rounds/{body['id']}/publish")
    assert_field_error(again, "__all__", "already_published")


@pytest.mark.parametrize(
    ("changes", "field", "code", "rule"),
    [
        ({"starting_price": "69999.99"}, "starting_price", "starting_price_too_low", "PR1"),
        ({"deposit": "20000.01"}, "deposit", "deposit_out_of_range", "PR3"),
        ({"starting_price": "80000.001"}, "starting_price", "max_decimal_places", None),
        ({"deposit": "-10000"}, "deposit", "not_positive", None),
        ({"increment": 1000.5}, "increment", "float", None),
        ({"starting_price": None}, "starting_price", "required", None),
        ({"starts_at": "next week"}, "starts_at", "invalid", None),
    ],
)
def test_schedule_round_refuses_with_the_rule_named(api, priced_lot, changes, field, code, rule):
    response = api.post(f"/lots/{priced_lot.pk}/rounds", round_body(**changes))
    assert_field_error(response, field, code, rule)
    assert not Auction.objects.exists()


def test_schedule_round_refuses_a_short_notice_period(api, priced_lot):
    """AN1: a movable's first round is announced at least 15 days before bidding starts."""
    now = clock.now()
    body = round_body(starts_at=(now + timedelta(days=14)).isoformat(), ends_at=(now + timedelta(days=15)).isoformat())
    assert_field_error(api.post(f"/lots/{priced_lot.pk}/rounds", body), "starts_at", "notice_too_short", "AN1")


def test_rounds_of_another_court_are_404(api, api_b, priced_lot):
    assert api_b.post(f"/lots/{priced_lot.pk}/rounds", round_body()).status_code == 404
    round_id = api.post(f"/lots/{priced_lot.pk}/rounds", round_body()).json()["id"]
    assert api_b.get(f"/rounds/{round_id}").status_code == 404
    assert api_b.post(f"/rounds/{round_id}/publish").status_code == 404
    assert Auction.objects.get(pk=round_id).status == "scheduled"

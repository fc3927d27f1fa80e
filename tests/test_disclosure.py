"""Disclosure fields a court fills (issue 9 item 2): transfer taxes, leases, purchase restriction,
vehicle mileage and violations, bank loans and the asset source, through the court API and the
console form, with field errors for every bad value; Decimal percentages only, never floats."""

import pytest
from django.urls import reverse

from lots import services
from lots.models import Lot
from tests import factories
from tests.test_api_court import assert_field_error, lot_body

pytestmark = pytest.mark.django_db

TAXES = [
    {"item": "契税", "rate": "3", "payer": "buyer"},
    {"item": "增值税", "rate": "5.6", "payer": "each", "note": "满两年免征"},
]
LOANS = [{"bank": "中国建设银行", "max_ltv": "70", "rate": "3.95"}]


@pytest.fixture
def api(client, court, clerk):
    from tests.test_api_court import Api

    _token, plaintext = services.issue_api_token(court, clerk.user, "执行办案系统")
    return Api(client, plaintext)


def test_api_lot_with_full_disclosure_round_trips(api, court):
    case = factories.make_case(court)
    body = lot_body(
        case,
        asset_source="criminal",
        leases="整租，租期至2026年6月，带租拍卖",
        purchase_restriction="需具备北京市购房资格",
        vehicle_mileage_km=81234,
        vehicle_violation_count=2,
        vehicle_violations="罚款400元，扣6分",
        taxes=TAXES,
        loan_offers=LOANS,
    )
    response = api.post("/lots", body)
    assert response.status_code == 201, response.content
    saved = response.json()
    assert saved["asset_source"] == "criminal" and saved["vehicle_mileage_km"] == 81234
    assert saved["taxes"][1] == {"item": "增值税", "rate": "5.6", "payer": "each", "note": "满两年免征"}
    assert saved["loan_offers"] == [{"bank": "中国建设银行", "max_ltv": "70", "rate": "3.95"}]
    lot = Lot.objects.get()
    assert lot.purchase_restriction == "需具备北京市购房资格" and lot.leases.startswith("整租")


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"taxes": [{"item": "契税", "rate": 3.5, "payer": "buyer"}]}, "taxes", "invalid_row"),  # a float
        ({"taxes": [{"item": "契税", "rate": "100.01", "payer": "buyer"}]}, "taxes", "invalid_row"),
        ({"taxes": [{"item": "契税", "rate": "-1", "payer": "buyer"}]}, "taxes", "invalid_row"),
        ({"taxes": [{"item": "契税", "payer": "nobody"}]}, "taxes", "invalid_row"),
        ({"taxes": [{"item": "契税", "payer": "buyer", "colour": "red"}]}, "taxes", "unknown_field"),
        ({"taxes": "契税3%"}, "taxes", "wrong_type"),
        ({"taxes": [{"item": "x", "payer": "buyer"}] * 9}, "taxes", "too_many"),
        ({"loan_offers": [{"bank": "某银行", "max_ltv": "0", "rate": "4"}]}, "loan_offers", "invalid_row"),
        ({"loan_offers": [{"bank": "某银行", "max_ltv": "80.5", "rate": "4"}]}, "loan_offers", "invalid_row"),
        ({"loan_offers": [{"bank": "某银行", "max_ltv": "70", "rate": "24.01"}]}, "loan_offers", "invalid_row"),
        ({"loan_offers": [{"bank": "某银行", "max_ltv": "70"}]}, "loan_offers", "invalid_row"),
        ({"loan_offers": ["建设银行"]}, "loan_offers", "not_list"),
        ({"asset_source": "lottery"}, "asset_source", "invalid_choice"),
        ({"vehicle_mileage_km": -5}, "vehicle_mileage_km", "min_value"),
        ({"vehicle_mileage_km": 2_000_001}, "vehicle_mileage_km", "max_value"),
        ({"category": "real_estate", "vehicle_mileage_km": 100}, "vehicle_mileage_km", "vehicle_only"),
    ],
)
def test_api_refuses_bad_disclosure_with_field_errors(api, court, changes, field, code):
    case = factories.make_case(court)
    assert_field_error(api.post("/lots", lot_body(case, **changes)), field, code)
    assert not Lot.objects.exists()


def test_rate_and_ltv_boundaries_are_inclusive_at_the_top(api, court):
    """Tax 0–100 % inclusive; LTV above 0 up to 80 %; loan rate above 0 up to 24 %."""
    case = factories.make_case(court)
    body = lot_body(
        case,
        taxes=[{"item": "契税", "rate": "0", "payer": "buyer"}, {"item": "x", "rate": "100", "payer": "seller"}],
        loan_offers=[{"bank": "某银行", "max_ltv": "80", "rate": "24"}],
    )
    assert api.post("/lots", body).status_code == 201


def test_row_error_names_the_row_and_the_column(api, court):
    case = factories.make_case(court)
    response = api.post(
        "/lots", lot_body(case, loan_offers=[LOANS[0], {"bank": "某银行", "max_ltv": "90", "rate": "4"}])
    )
    messages = [error["message"] for error in response.json()["errors"]["loan_offers"]]
    assert any(message.startswith("第2项 最高贷款成数（%）") for message in messages), messages


def test_console_form_saves_rows_and_shows_them_again(client, clerk, case):
    client.force_login(clerk.user)
    data = {
        "case": case.pk,
        "category": "real_estate",
        "title": "望京西园三区住宅一套",
        "description": "建筑面积89平方米。",
        "location": "北京市朝阳区望京西园三区",
        "asset_source": "bankruptcy",
        "purchase_restriction": "需具备北京市购房资格",
        "taxes-0-item": "契税",
        "taxes-0-rate": "3",
        "taxes-0-payer": "buyer",
        "taxes-1-item": "",
        "loan_offers-0-bank": "中国银行",
        "loan_offers-0-max_ltv": "60",
        "loan_offers-0-rate": "3.8",
    }
    response = client.post(reverse("console:lot_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    lot = Lot.objects.get()
    assert lot.taxes == [{"item": "契税", "rate": "3", "payer": "buyer"}]
    assert lot.loan_offers == [{"bank": "中国银行", "max_ltv": "60", "rate": "3.8"}]
    assert lot.asset_source == "bankruptcy"
    page = client.get(reverse("console:lot_edit", args=[lot.pk])).content.decode()
    assert 'name="taxes-0-item" value="契税"' in page.replace("'", '"')


def test_console_form_shows_a_bad_rate_on_its_field(client, clerk, case):
    client.force_login(clerk.user)
    data = {
        "case": case.pk,
        "category": "vehicle",
        "title": "奥迪A6L轿车",
        "description": "2019年登记。",
        "location": "北京市朝阳区某停车场",
        "loan_offers-0-bank": "中国银行",
        "loan_offers-0-max_ltv": "七成",
        "loan_offers-0-rate": "3.8",
    }
    response = client.post(reverse("console:lot_create"), data)
    assert response.status_code == 200
    assert "第1项 最高贷款成数（%）" in response.content.decode()
    assert not Lot.objects.exists()


# --- Search filters -------------------------------------------------------------------------------
@pytest.fixture
def searchable(court):
    from auctions.models import Auction
    from tests.test_public_support import lot_for, published_round

    loan = published_round(
        lot_for(court, title="可贷款住宅", loan_offers=[{"bank": "某银行", "max_ltv": "60", "rate": "4"}])
    )
    restricted = published_round(lot_for(court, title="限购住宅", purchase_restriction="需具备购房资格"))
    criminal = published_round(lot_for(court, title="涉案轿车", asset_source="criminal"))
    second = published_round(lot_for(court, title="二拍厂房", asset_source="bankruptcy"))
    Auction.objects.filter(pk=second.pk).update(round_no=2)
    sale = published_round(lot_for(court, title="变卖设备"))
    Auction.objects.filter(pk=sale.pk).update(kind=Auction.Kind.SALE)
    return {"loan": loan, "restricted": restricted, "criminal": criminal, "second": second, "sale": sale}


def found(client, **params) -> set[str]:
    response = client.get("/api/v1/auctions", params)
    assert response.status_code == 200, response.content
    return {row["title"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"loan": "yes"}, {"可贷款住宅"}),
        ({"restricted": "yes"}, {"限购住宅"}),
        ({"source": "criminal"}, {"涉案轿车"}),
        ({"source": "bankruptcy"}, {"二拍厂房"}),
        ({"round": "2"}, {"二拍厂房"}),
        ({"round": "sale"}, {"变卖设备"}),
        ({"round": "1", "source": "litigation", "restricted": "no"}, {"可贷款住宅"}),
    ],
)
def test_search_filters_for_disclosure(client, searchable, params, titles):
    assert found(client, **params) == titles


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"loan": "maybe"}, "loan"),
        ({"restricted": "1' OR 1=1"}, "restricted"),
        ({"source": "x" * 500}, "source"),
        ({"round": "99"}, "round"),
    ],
)
def test_search_filters_refuse_absurd_values(client, searchable, params, field):
    response = client.get("/api/v1/auctions", params)
    assert response.status_code == 400 and field in response.json()["errors"]
    page = client.get("/auctions/", params)
    assert page.status_code == 400 and "筛选条件有误" in page.content.decode()


def test_search_page_filters_by_loan(client, searchable):
    html = client.get("/auctions/", {"loan": "yes"}).content.decode()
    assert "可贷款住宅" in html and "限购住宅" not in html

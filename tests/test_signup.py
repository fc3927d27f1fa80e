"""Bidder sign-up (BD1): real name, GB 11643 ID number, phone; personal data never shown in full (AN5)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection

from bidding.accounts import create_bidder
from bidding.models import BidderProfile
from tests import factories

pytestmark = pytest.mark.django_db
User = get_user_model()

ID_NUMBER = factories.valid_id_number(501)
PHONE = "13912345678"
PASSWORD = "Lot-bidder-2024!"


def form_data(**overrides) -> dict:
    data = {
        "username": "wangwu",
        "real_name": "王五",
        "id_number": ID_NUMBER,
        "phone": PHONE,
        "email": "wangwu@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def wrong_check_digit(id_number: str) -> str:
    return id_number[:17] + ("0" if id_number[17] != "0" else "1")


def assert_nothing_saved():
    assert not User.objects.filter(username="wangwu").exists()
    assert BidderProfile.objects.count() == 0


def test_bd1_signup_creates_real_name_bidder_logs_in_and_returns_to_next(client):
    response = client.post("/accounts/signup/", form_data(next="/auctions/7/register/"))

    assert response.status_code == 302
    assert response["Location"] == "/auctions/7/register/"
    profile = BidderProfile.objects.get(user__username="wangwu")
    assert profile.real_name == "王五"
    assert profile.id_number == ID_NUMBER  # decrypted by the field
    assert profile.id_number_masked == ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
    assert profile.phone_masked == "139****5678"
    assert int(client.session["_auth_user_id"]) == profile.user_id


def test_an5_id_number_and_phone_are_encrypted_at_rest():
    user = create_bidder(
        username="wangwu", password=PASSWORD, real_name="王五", id_number=ID_NUMBER, phone=PHONE, email=""
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM bidding_bidderprofile WHERE user_id = %s", [user.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert ID_NUMBER not in stored_id and PHONE not in stored_phone


def test_signup_rejects_unsafe_next_and_goes_to_my_auctions(client):
    response = client.post("/accounts/signup/", form_data(next="https://evil.example/steal"))
    assert response["Location"] == "/me/"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id_number": wrong_check_digit(ID_NUMBER)}, "id_number"),
        ({"id_number": "12345"}, "id_number"),
        ({"phone": "23912345678"}, "phone"),
        ({"phone": "1391234567"}, "phone"),
        ({"phone": "phone-number"}, "phone"),
        ({"password1": "12345678", "password2": "12345678"}, "password2"),
        ({"password1": "wangwu2024", "password2": "wangwu2024"}, "password2"),
        ({"password2": "Something-else-9"}, "password2"),
        ({"real_name": ""}, "real_name"),
        ({"username": ""}, "username"),
    ],
)
def test_bd1_bad_signup_input_shows_field_error_and_saves_nothing(client, overrides, field):
    response = client.post("/accounts/signup/", form_data(**overrides))

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert_nothing_saved()
    assert "_auth_user_id" not in client.session


def test_bd1_empty_signup_lists_every_required_field(client):
    response = client.post("/accounts/signup/", {})

    errors = response.context["form"].errors
    assert {"username", "real_name", "id_number", "phone", "password1", "password2"} <= set(errors)
    assert "email" not in errors
    assert_nothing_saved()


def test_bd1_check_digit_message_is_shown_on_the_field(client):
    response = client.post("/accounts/signup/", form_data(id_number=wrong_check_digit(ID_NUMBER)))
    assert "校验码" in response.content.decode()


def test_one_account_per_person_duplicate_id_number_is_refused(client):
    create_bidder(username="first", password=PASSWORD, real_name="王五", id_number=ID_NUMBER, phone=PHONE)

    # The same person with a lower-case check letter or spaces is still the same person.
    response = client.post("/accounts/signup/", form_data(id_number=f" {ID_NUMBER.lower()} "))

    assert "该身份证号码已注册" in response.content.decode()
    assert BidderProfile.objects.count() == 1
    assert not User.objects.filter(username="wangwu").exists()


def test_create_bidder_raises_errors_keyed_by_field_and_writes_nothing():
    with pytest.raises(ValidationError) as excinfo:
        create_bidder(
            username="wangwu",
            password="123",
            real_name="",
            id_number=wrong_check_digit(ID_NUMBER),
            phone="12",
        )

    assert {"password", "real_name", "id_number", "phone"} <= set(excinfo.value.message_dict)
    assert_nothing_saved()


def test_an5_signup_never_logs_the_id_number(client, caplog):
    client.post("/accounts/signup/", form_data(phone="bad"))
    client.post("/accounts/signup/", form_data())
    assert ID_NUMBER not in caplog.text and PHONE not in caplog.text


def test_signup_attempts_are_rate_limited_per_address(client):
    """Each refused attempt tells whether an ID number is registered: bulk probing is stopped."""
    for _ in range(20):
        assert client.post("/accounts/signup/", form_data(phone="bad")).status_code == 200
    response = client.post("/accounts/signup/", form_data())

    assert response.status_code == 429
    assert "尝试次数过多" in response.content.decode()
    assert_nothing_saved()

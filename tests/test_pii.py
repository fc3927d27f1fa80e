"""Personal data (lots/pii.py): GB 11643 ID numbers, AN5 masking, encryption at rest, lookup hashes."""

import hashlib
import re

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings as django_settings
from django.db import connection
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from lots import pii
from lots.models import Party


def check_digit(first17: str) -> str:
    """GB 11643 / ISO 7064 MOD 11-2 written from the standard's formula (weights 2^(17-i) mod 11),
    independently of the module's weight table."""
    total = sum(int(digit) * pow(2, 17 - i, 11) for i, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


FIRST17 = [
    "11010519491231002",  # the example printed in GB 11643 (check digit X)
    "44030419900101123",
    "31011519851117201",
    "51010719700707006",
    "65010220001229888",
]
VALID = [first17 + check_digit(first17) for first17 in FIRST17]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


# --- GB 11643 ---------------------------------------------------------------------------------
def test_gb11643_standard_example_has_check_digit_x():
    """GB 11643: the standard's own example 11010519491231002X."""
    assert VALID[0] == "11010519491231002X"
    assert pii.is_valid_id_number("11010519491231002X")


@pytest.mark.parametrize("number", VALID)
def test_gb11643_valid_numbers_accepted(number):
    """GB 11643: numbers whose check digit follows the MOD 11-2 formula are valid, and the
    module computes the same check digit."""
    assert pii.id_check_digit(number[:17]) == number[17]
    assert pii.is_valid_id_number(number)


@pytest.mark.parametrize("number", VALID)
def test_gb11643_every_wrong_check_digit_refused(number):
    """GB 11643: any other last character fails."""
    for wrong in "0123456789X":
        if wrong != number[17]:
            assert not pii.is_valid_id_number(number[:17] + wrong)


def test_gb11643_single_digit_typo_refused():
    """GB 11643: changing any one of the first 17 digits breaks the check digit."""
    number = VALID[1]
    for i in range(17):
        typo = number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1 :]
        assert not pii.is_valid_id_number(typo)


def test_gb11643_lowercase_x_and_surrounding_spaces_accepted():
    """GB 11643: a lowercase x check character and surrounding whitespace are normalised."""
    assert pii.is_valid_id_number("11010519491231002x")
    assert pii.is_valid_id_number("  11010519491231002X\n")


@pytest.mark.parametrize(
    "number",
    [
        "",
        VALID[1][:17],  # 17 characters
        VALID[1] + "0",  # 19 characters
        "110105491231002",  # a 15-digit first-generation number
        "X" + VALID[1][1:],  # X only as the check character
        "1101051949123100AX",
        "110105 19491231002X",  # whitespace inside
        "11010519491231002Y",
    ],
)
def test_gb11643_malformed_numbers_refused(number):
    """GB 11643: 18 characters, 17 digits and a digit or X; anything else fails."""
    assert not pii.is_valid_id_number(number)


def test_gb11643_full_width_digits_refused():
    """GB 11643: full-width digits are not accepted (they would hash apart from the ASCII form
    and let one person register twice or slip past a BD4 bar)."""
    assert pii.is_valid_id_number(VALID[0])
    assert not pii.is_valid_id_number(full_width(VALID[0]))
    assert not pii.is_valid_id_number(full_width(VALID[1]))


# --- AN5 masking ------------------------------------------------------------------------------
def test_an5_id_number_keeps_first_6_and_last_4():
    """AN5 (JLP 1): an ID number keeps at most its first 6 and last 4 characters."""
    assert pii.mask_id_number("11010519491231002X") == "110105********002X"
    assert pii.mask_id_number(" 11010519491231002X ") == "110105********002X"


@pytest.mark.parametrize(("value", "masked"), [("", ""), ("1234", "****"), ("1234567890", "**********")])
def test_an5_short_id_numbers_fully_masked(value, masked):
    """AN5: with 10 characters or fewer, keeping 6 + 4 would show everything: nothing is kept."""
    assert pii.mask_id_number(value) == masked


@settings(max_examples=300)
@given(st.text())
def test_an5_masked_id_never_exposes_more_than_first_6_and_last_4(value):
    """AN5 (property): for any input, every character outside the first 6 and last 4 positions
    is a star, the length is unchanged, and short values show nothing."""
    value = value.strip()
    masked = pii.mask_id_number(value)
    assert len(masked) == len(value)
    shown = [i for i, char in enumerate(masked) if char != "*"]
    if len(value) <= 10:
        assert shown == []
    assert all(i < 6 or i >= len(value) - 4 for i in shown)
    assert all(masked[i] == value[i] for i in shown)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800138000", "138****8000"),
        ("138-0013-8000", "138****8000"),
        ("138 0013 8000", "138****8000"),
        ("010-6000 0000", "010****0000"),
        ("0755-8888 6666", "075*****6666"),
        ("60000000", "****0000"),  # local number without area code
        ("1234567", "*******"),  # too short to show anything
        ("123", "***"),
        ("", ""),
    ],
)
def test_an5_phone_masked(phone, masked):
    """AN5: a mobile keeps 3 + 4 digits; shorter numbers show only the last 4, and numbers under
    8 digits show none."""
    assert pii.mask_phone(phone) == masked


@settings(max_examples=300)
@given(st.text(alphabet="0123456789 -+", max_size=20))
def test_an5_phone_always_hides_at_least_four_digits(phone):
    """AN5 (property): whatever its length, a masked phone hides at least four digits (or all)."""
    digits = re.sub(r"\D", "", phone)
    masked = pii.mask_phone(phone)
    assert len(masked) == len(digits)
    assert masked.count("*") >= min(4, len(digits))


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("北京市朝阳区建国路88号院3号楼2单元501室", "北京市朝阳区建国路*号院*号楼*单元*室"),
        ("上海市浦东新区张杨路123弄4号1201室", "上海市浦东新区张杨路*弄*号*室"),
        ("北京市朝阳区建国路88号3-2-501", "北京市朝阳区建国路*号*"),
        ("朝阳区东三环中路七号院三号楼二单元五〇一室", "朝阳区东三环中路*号院*号楼*单元*室"),
        ("海淀区中关村大街１８号Ｂ座１２０８", "海淀区中关村大街*号*座*"),
        ("朝阳区三里屯SOHO A座12层1208", "朝阳区三里屯SOHO *座*层*"),
        ("广州市天河区体育西路", "广州市天河区体育西路"),
    ],
)
def test_an5_address_drops_door_room_and_building_numbers(address, masked):
    """AN5 (JLP 1): no door number: street and community stay, every number of building, unit,
    floor and room goes (digits, full-width digits, Chinese numerals, lettered blocks)."""
    assert pii.mask_address(address) == masked


@settings(max_examples=300)
@given(st.text(alphabet="北京市路号院楼栋单元室层弄 -#0123456789ABab", max_size=40))
def test_an5_masked_address_contains_no_digits(address):
    """AN5 (property): no digit survives address masking."""
    assert not re.search(r"\d", pii.mask_address(address))


@pytest.mark.parametrize(
    ("plate", "masked"),
    [("京A12345", "京A***45"), ("京AD12345", "京A****45"), ("京A·12345", "京A***45"), ("京A1", "京**")],
)
def test_an5_plate_partially_masked(plate, masked):
    """AN5: a vehicle plate keeps its region prefix and last two characters."""
    assert pii.mask_plate(plate) == masked


@pytest.mark.parametrize(
    ("account", "masked"),
    [("6222 0212 3456 7890 123", "**** 0123"), ("6222021234567890", "**** 7890"), ("1234", "****"), ("", "****")],
)
def test_an5_bank_account_keeps_last_four(account, masked):
    """AN5: a bank account shows only its last four digits."""
    assert pii.mask_account(account) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("欧阳娜娜", "欧***"), (" 李四 ", "李*"), ("王", "王*"), ("", "")],
)
def test_st1_person_name_keeps_surname_character(name, masked):
    """ST1, AN5: a natural person's name in a public copy keeps only the first character."""
    assert pii.mask_person_name(name) == masked


# --- Encryption at rest -----------------------------------------------------------------------
@pytest.mark.django_db
def test_encrypted_text_field_round_trip_and_column_holds_no_plain_text(case):
    """AN5: ID number, phone and address are stored encrypted: the column holds a Fernet token
    that decrypts to the value, and the model reads back the plain text."""
    plain = {"id_number": VALID[2], "phone": "13912345678", "address": "北京市朝阳区幸福路8号楼3单元502室"}
    party = Party.objects.create(case=case, role=Party.Role.RESPONDENT, name="李四", **plain)
    table = connection.ops.quote_name(Party._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number, phone, address FROM {table} WHERE id = %s", [party.pk])  # noqa: S608
        stored = dict(zip(plain, cursor.fetchone(), strict=True))
    for name, value in plain.items():
        assert value not in stored[name] and "13912345678" not in stored[name]
        assert pii.decrypt(stored[name]) == value
    reloaded = Party.objects.get(pk=party.pk)
    assert {name: getattr(reloaded, name) for name in plain} == plain


@pytest.mark.django_db
def test_encrypted_text_field_same_value_stored_differently(case):
    """AN5: encryption is randomised, so equal values do not show as equal columns."""
    a = Party.objects.create(case=case, role=Party.Role.APPLICANT, name="甲", phone="13912345678")
    b = Party.objects.create(case=case, role=Party.Role.APPLICANT, name="乙", phone="13912345678")
    table = connection.ops.quote_name(Party._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone FROM {table} WHERE id IN (%s, %s)", [a.pk, b.pk])  # noqa: S608
        first, second = (row[0] for row in cursor.fetchall())
    assert first != second


@pytest.mark.django_db
def test_encrypted_text_field_keeps_empty_values_empty(case):
    """Blank optional fields stay empty strings, not tokens of the empty string."""
    party = Party.objects.create(case=case, role=Party.Role.APPLICANT, name="某公司", kind=Party.Kind.ORGANISATION)
    table = connection.ops.quote_name(Party._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number, phone FROM {table} WHERE id = %s", [party.pk])  # noqa: S608
        assert cursor.fetchone() == ("", "")
    assert Party.objects.get(pk=party.pk).id_number == ""


def test_encrypt_uses_the_configured_key():
    """The token is a Fernet token under settings.PII_ENCRYPTION_KEY, not a reversible encoding."""
    token = pii.encrypt("110105")
    assert Fernet(django_settings.PII_ENCRYPTION_KEY.encode()).decrypt(token.encode()) == b"110105"
    with pytest.raises(InvalidToken):
        Fernet(Fernet.generate_key()).decrypt(token.encode())


# --- Lookup hashes ----------------------------------------------------------------------------
def test_lookup_hash_stable_hex_and_not_the_plain_value():
    """BD4, BD5: the same ID number always gives the same 64-hex hash, which is not the number."""
    first = pii.lookup_hash(VALID[0])
    assert first == pii.lookup_hash(VALID[0])
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert VALID[0] not in first
    assert first != pii.lookup_hash(VALID[1])


@pytest.mark.parametrize(
    "spelling",
    ["11010519491231002x", " 11010519491231002X ", "110105 19491231002X", full_width("11010519491231002X")],
)
def test_lookup_hash_normalises_spellings_of_one_number(spelling):
    """BD4: one person's number hashes the same however it is typed (case, whitespace, full
    width), so a barred bidder cannot slip past the match."""
    assert pii.lookup_hash(spelling) == pii.lookup_hash("11010519491231002X")


def test_lookup_hash_is_keyed():
    """The hash depends on settings.PII_HASH_KEY: without the key it cannot be recomputed from a
    list of candidate ID numbers."""
    default = pii.lookup_hash(VALID[0])
    with override_settings(PII_HASH_KEY="another-key"):
        other = pii.lookup_hash(VALID[0])
        assert other == pii.lookup_hash(VALID[0])
    assert other != default
    assert default != hashlib.sha256(VALID[0].encode()).hexdigest()

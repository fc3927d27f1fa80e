"""Case numbers (lots/validators.py): the official format （年份）法院代字 类型代字 序号 号."""

import pytest
from django.core.exceptions import ValidationError

from lots.validators import CASE_NUMBER_RE, normalise_case_number, validate_case_number


@pytest.mark.parametrize(
    ("number", "court", "kind"),
    [
        ("（2024）京0105执1234号", "京0105", "执"),  # basic court
        ("（2023）沪01执恢12号", "沪01", "执恢"),  # intermediate court, resumed enforcement
        ("（2022）粤03执保1号", "粤03", "执保"),
        ("（2021）京执异999999号", "京", "执异"),  # high court: province character alone
        ("（2019）京73执5号", "京73", "执"),  # specialised court
    ],
)
def test_valid_case_numbers_accepted(number, court, kind):
    """Valid case numbers pass and their parts are read back (the court code is matched
    against the court's own code by lots/services.py)."""
    validate_case_number(number)
    match = CASE_NUMBER_RE.match(normalise_case_number(number))
    assert (match.group("court"), match.group("kind")) == (court, kind)


@pytest.mark.parametrize(
    ("typed", "official"),
    [
        ("(2024)京0105执1234号", "（2024）京0105执1234号"),
        ("（2024)京0105执1234号", "（2024）京0105执1234号"),
        ("  （2024）京0105执1234号\n", "（2024）京0105执1234号"),
        ("（２０２４）京０１０５执１２３４号", "（2024）京0105执1234号"),
    ],
)
def test_case_number_normalised_to_official_spelling(typed, official):
    """ASCII parentheses, surrounding whitespace and full-width digits become the official
    spelling, so one case cannot be stored under two spellings."""
    assert normalise_case_number(typed) == official
    validate_case_number(typed)


@pytest.mark.parametrize(
    "number",
    [
        "（2024）京0105执1234",  # missing 号
        "（24）京0105执1234号",  # two-digit year
        "（20245）京0105执1234号",
        "（1899）京0105执1234号",
        "（2024）京0105民1234号",  # no 执: not an enforcement case
        "（2024）京0105执A234号",  # letters
        "（2024）BJ0105执1234号",
        "（2024）京01A5执1234号",
        "（2024）京010执1234号",  # court codes have 0, 2 or 4 digits
        "（2024）京0105执0123号",  # serials do not start with 0
        "（2024）京0105执1234567号",  # seven-digit serial
        "（2024）京0105执1234号号",
        "2024京0105执1234号",  # no parentheses
        "",
        "   ",
        "（2024）京0105 执1234号",  # whitespace inside
        "（2024） 京0105执1234号",
        "（2024）京0105执1234 号",
        "（2024）京0105执1234　号",  # ideographic space inside
        "（2024）京0105执1234号\n（2024）京0105执1235号",
    ],
)
def test_invalid_case_numbers_refused(number):
    """A malformed case number is refused with a message showing the expected format."""
    with pytest.raises(ValidationError) as caught:
        validate_case_number(number)
    assert caught.value.code == "invalid_case_number"
    assert "（2024）京0105执1234号" in caught.value.messages[0]

"""Validators for case numbers and uploaded files; each error says what is wrong in the user's terms."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# （2024）京0105执1234号: year, court code (a province character and 2–4 digits), an enforcement
# type code beginning with 执 (执, 执恢, 执保, 执异 …), the serial number.
CASE_NUMBER_RE = re.compile(
    r"^（(?P<year>(19|20)\d{2})）(?P<court>[\u4e00-\u9fff]\d{2,4})"
    r"(?P<kind>执[\u4e00-\u9fff]{0,2})(?P<serial>[1-9]\d{0,5})号$"
)


def normalise_case_number(value: str) -> str:
    return value.strip().replace("(", "（").replace(")", "）").replace(" ", "")


def validate_case_number(value: str) -> None:
    if not CASE_NUMBER_RE.match(normalise_case_number(value)):
        raise ValidationError(
            _("案号格式应为“（2024）京0105执1234号”：年份、法院代字、执行类型代字、序号。"),
            code="invalid_case_number",
        )

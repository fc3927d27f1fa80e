"""Validators for case numbers and uploaded files; each error says what is wrong in the user's terms."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# （2024）京0105执1234号: year, court code (a province character alone for a high court, with 2
# digits for an intermediate or specialised court, 4 for a basic court), an enforcement type code
# beginning with 执 (执, 执恢, 执保, 执异 …), the serial number. ASCII digits only: `\d` would also
# accept full-width digits and let one case be stored under two spellings.
CASE_NUMBER_RE = re.compile(
    r"^（(?P<year>(19|20)[0-9]{2})）(?P<court>[\u4e00-\u9fff](?:[0-9]{2}){0,2})"
    r"(?P<kind>执[\u4e00-\u9fff]{0,2})(?P<serial>[1-9][0-9]{0,5})号\Z"
)


def normalise_case_number(value: str) -> str:
    """Folds full-width digits (NFKC) and ASCII parentheses into the official spelling; surrounding
    whitespace goes, whitespace inside stays (and fails validation: case numbers have none)."""
    value = unicodedata.normalize("NFKC", value).strip()
    return value.replace("(", "（").replace(")", "）")


def validate_case_number(value: str) -> None:
    if not CASE_NUMBER_RE.fullmatch(normalise_case_number(value)):
        raise ValidationError(
            _("案号格式应为“（2024）京0105执1234号”：年份、法院代字、执行类型代字、序号。"),
            code="invalid_case_number",
        )

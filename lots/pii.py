"""Personal data: encryption at rest, keyed lookup hashes and masking for public display (AN5).

Full ID numbers, phones, addresses and accounts are stored only encrypted; lookups use a keyed hash;
pages and APIs only ever receive the masked form.
"""

import hashlib
import hmac
import re
import unicodedata
from functools import cache

from cryptography.fernet import Fernet
from django.conf import settings
from django.db import models


@cache
def _fernet() -> Fernet:
    return Fernet(settings.PII_ENCRYPTION_KEY.encode())


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode() if token else ""


def lookup_hash(value: str) -> str:
    """Keyed hash of a normalised identifier, so equal ID numbers can be matched (BD4, BD5).

    NFKC folds full-width digits and letters (common from Chinese input methods) into ASCII and
    whitespace is dropped, so one person's number cannot hash two ways."""
    normalised = re.sub(r"\s", "", unicodedata.normalize("NFKC", value)).upper()
    return hmac.new(settings.PII_HASH_KEY.encode(), normalised.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Stores a Fernet token; Python code sees the plain text. Never use it in filters."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value


# --- GB 11643 citizen ID numbers --------------------------------------------------------------
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"[0-9]{17}[0-9X]")  # ASCII only: \d would also take full-width digits


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(value: str) -> bool:
    value = value.strip().upper()
    return bool(_ID_RE.fullmatch(value)) and id_check_digit(value[:17]) == value[17]


# --- Masking (AN5) ----------------------------------------------------------------------------
def mask_id_number(value: str) -> str:
    """Keeps the first 6 and last 4 characters at most (AN5)."""
    value = value.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """138****8000: at least four digits are always hidden (AN5); a number too short to keep both
    ends keeps only its last four, and one shorter than 8 digits shows none."""
    digits = re.sub(r"\D", "", value)
    if len(digits) < 8:
        return "*" * len(digits)
    head = 3 if len(digits) >= 11 else 0
    return digits[:head] + "*" * (len(digits) - head - 4) + digits[-4:]


def mask_account(value: str) -> str:
    digits = re.sub(r"\s", "", value)
    return "**** " + digits[-4:] if len(digits) > 4 else "****"


# Any run of Latin letters, digits and separators that contains a digit ("88", "3-2-501", "B1");
# then letters or Chinese numerals naming a building, unit, floor or door ("A座", "三号楼").
_NUMBER_RUN_RE = re.compile(r"[0-9A-Za-z\-#/]*[0-9][0-9A-Za-z\-#/]*")
_NAMED_UNIT_RE = re.compile(
    r"(?:[A-Za-z]+|[零〇一二三四五六七八九十百千两]+)(?=\s*(?:号|栋|幢|座|单元|层|楼|室|户|弄|房))"
)


def mask_address(value: str) -> str:
    """Drops building, unit and door numbers, keeping the street or community (AN5):
    北京市朝阳区建国路88号院3号楼2单元501室 → 北京市朝阳区建国路*号院*号楼*单元*室."""
    value = unicodedata.normalize("NFKC", value)  # full-width digits are digits too
    return _NAMED_UNIT_RE.sub("*", _NUMBER_RUN_RE.sub("*", value))


def mask_plate(value: str) -> str:
    """京A12345 → 京A***45: keeps the region prefix and the last two characters (AN5)."""
    value = value.replace("·", "").strip()
    if len(value) <= 4:
        return value[:1] + "*" * (len(value) - 1)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def mask_person_name(value: str) -> str:
    """张三 → 张*; used for natural persons in public copies (ST1)."""
    value = value.strip()
    return value[:1] + "*" * max(len(value) - 1, 1) if value else value

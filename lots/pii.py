"""Personal data: encryption at rest, keyed lookup hashes and masking for public display (AN5).

Full ID numbers, phones, addresses and accounts are stored only encrypted; lookups use a keyed hash;
pages and APIs only ever receive the masked form.
"""

import hashlib
import hmac
import re
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
    """Keyed hash of a normalised identifier, so equal ID numbers can be matched (BD4, BD5)."""
    normalised = value.strip().upper()
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
_ID_RE = re.compile(r"^\d{17}[\dX]$")


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(value: str) -> bool:
    value = value.strip().upper()
    return bool(_ID_RE.match(value)) and id_check_digit(value[:17]) == value[17]


# --- Masking (AN5) ----------------------------------------------------------------------------
def mask_id_number(value: str) -> str:
    """Keeps the first 6 and last 4 characters at most (AN5)."""
    value = value.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_account(value: str) -> str:
    digits = re.sub(r"\s", "", value)
    return "**** " + digits[-4:] if len(digits) > 4 else "****"


_DOOR_RE = re.compile(r"[\dA-Za-z\-]+\s*(号楼|栋|幢|单元|层|楼|室|户|号)")


def mask_address(value: str) -> str:
    """Drops building, unit and door numbers, keeping the street or community (AN5)."""
    return _DOOR_RE.sub(lambda m: "*" + m.group(1), value)


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

"""Bidder sign-up: a user account and its real-name profile, created together (BD1).

The full ID number and phone are stored only encrypted; the profile also keeps a keyed hash of the
ID number (one account per person, BD4/BD5 matching) and masked forms for display (AN5). Nothing
here logs personal data.
"""

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from lots import pii

from .models import BidderProfile

User = get_user_model()

_MOBILE_RE = re.compile(r"^1\d{10}$")
# Profile fields validated by the functions above or derived from them, not by the model.
_CHECKED_SEPARATELY = ["user", "id_number", "id_number_hash", "id_number_masked", "phone", "phone_masked"]
ID_NUMBER_TAKEN = _("该身份证号码已注册，请直接登录")


def normalise_id_number(value: str) -> str:
    return value.strip().upper()


def normalise_phone(value: str) -> str:
    return re.sub(r"[\s-]", "", value)


def validate_id_number(value: str) -> None:
    """BD1: a mainland resident ID number whose GB 11643 check digit is right."""
    if not pii.is_valid_id_number(value):
        raise ValidationError(_("身份证号码无效：请输入18位身份证号码，并核对最后一位校验码"), code="invalid_id_number")


def validate_id_number_unused(value: str) -> None:
    """One bidder account per person: an ID number signs up once."""
    if BidderProfile.objects.filter(id_number_hash=pii.lookup_hash(value)).exists():
        raise ValidationError(ID_NUMBER_TAKEN, code="id_number_taken")


def validate_mobile(value: str) -> None:
    if not _MOBILE_RE.match(normalise_phone(value)):
        raise ValidationError(_("手机号码应为以1开头的11位数字"), code="invalid_phone")


def _check_input(user, profile: BidderProfile, password: str) -> None:
    """Every field at once, so a form can show all its messages together; raises keyed by field."""
    errors: dict[str, list] = {}
    checks = [
        ("id_number", lambda: validate_id_number(profile.id_number)),
        ("id_number", lambda: validate_id_number_unused(profile.id_number)),
        ("phone", lambda: validate_mobile(profile.phone)),
        ("password", lambda: validate_password(password, user)),
        (None, lambda: user.full_clean(exclude=["password"])),
        (None, lambda: profile.full_clean(exclude=_CHECKED_SEPARATELY)),
    ]
    for field, check in checks:
        try:
            check()
        except ValidationError as error:
            for key, messages in (error.message_dict if field is None else {field: error.messages}).items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def create_bidder(*, username: str, password: str, real_name: str, id_number: str, phone: str, email: str = "") -> User:
    """Creates a bidder account and its real-name profile in one transaction.

    Raises ValidationError keyed by field, and writes nothing, when the input is not acceptable; a
    concurrent sign-up with the same ID number or username loses on the unique constraints.
    """
    user = User(username=username, email=email)
    profile = BidderProfile(
        real_name=real_name.strip(), id_number=normalise_id_number(id_number), phone=normalise_phone(phone)
    )
    _check_input(user, profile, password)
    user.set_password(password)
    profile.id_number_hash = pii.lookup_hash(profile.id_number)
    profile.id_number_masked = pii.mask_id_number(profile.id_number)
    profile.phone_masked = pii.mask_phone(profile.phone)
    try:
        with transaction.atomic():
            user.save()
            profile.user = user
            profile.save()
    except IntegrityError as exc:
        # A racing sign-up took the username or the ID number between the check and the insert.
        user.pk = None
        if User.objects.filter(username=username).exists():
            raise ValidationError({"username": _("该用户名已被使用")}) from exc
        raise ValidationError({"id_number": ID_NUMBER_TAKEN}) from exc
    return user

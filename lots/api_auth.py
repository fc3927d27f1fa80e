"""Who is calling the court API: per-court bearer tokens, a rate limit per token, typed API errors.

Token contract (lots/services.py issues them): the plaintext is "prefix.secret"; the row stores
`prefix` and `secret_hash` = sha256 hex of the whole plaintext. Only the hash is ever compared.
"""

import hmac
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited
from ninja.security import HttpBearer

from auctions import clock

from .models import CourtApiToken
from .services import token_hash

MAX_TOKEN_LENGTH = 200
DEFAULT_RATE = "120/m"  # per token; settings.COURT_API_RATE overrides
# last_used_at is a hint for the console, not an audit log: one write a minute per token is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiError(Exception):
    """A refusal the API renders as {"code", "message", "errors"?} with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, str(message), errors

    def body(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def verify_token(plaintext: str) -> CourtApiToken:
    """The live token for this plaintext, or ApiError(401)."""
    prefix, dot, _secret = plaintext.partition(".")
    if not dot or not prefix or len(plaintext) > MAX_TOKEN_LENGTH:
        raise ApiError(401, "invalid_token", _("令牌格式不正确。"))
    token = CourtApiToken.objects.select_related("court", "created_by").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, token_hash(plaintext)):
        raise ApiError(401, "invalid_token", _("令牌无效。"))
    if token.revoked_at is not None:
        raise ApiError(401, "token_revoked", _("令牌已被吊销。"))
    return token


def _touch(token: CourtApiToken) -> None:
    now = clock.now()
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    CourtApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)


def _rate(group, request) -> str:
    return getattr(settings, "COURT_API_RATE", DEFAULT_RATE)


class CourtToken(HttpBearer):
    """`Authorization: Bearer <prefix.secret>`; request.auth becomes the CourtApiToken."""

    def authenticate(self, request, token: str) -> CourtApiToken:
        api_token = verify_token(token.strip())
        limited = is_ratelimited(
            request,
            group="court-api",
            key=lambda group, request: api_token.prefix,
            rate=_rate,
            increment=True,
        )
        if limited:
            raise ApiError(429, "rate_limited", _("请求过于频繁，请稍后再试。"))
        _touch(api_token)
        return api_token

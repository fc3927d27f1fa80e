"""Rate limits for the public read API (django-ninja throttle over django-ratelimit counters).

Stateless, so one instance serves every thread; counters live in the cache, shared by every
process when REDIS_URL is set. Calls that carry a court token are limited per token instead
(lots/api_auth.py).
"""

from django.conf import settings
from django_ratelimit.core import is_ratelimited
from ninja.throttling import BaseThrottle


def client_ip(request) -> str:
    """The client's address: the socket's, or behind NINJA_NUM_PROXIES trusted proxies the entry
    they appended to X-Forwarded-For (the left part of the header is the client's to forge).
    Every per-address limit uses it (settings.RATELIMIT_IP_META_KEY points here)."""
    proxies = settings.NINJA_NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR", "")


class PublicRateThrottle(BaseThrottle):
    """settings.PUBLIC_API_RATE per client address (X-Forwarded-For honoured only through
    NINJA_NUM_PROXIES trusted proxies); a refusal is the API's 429 `rate_limited`."""

    def allow_request(self, request) -> bool:
        if getattr(request, "auth", None) is not None:
            return True
        limited = is_ratelimited(
            request,
            group="public-api",
            key=lambda group, request: client_ip(request),
            rate=lambda group, request: settings.PUBLIC_API_RATE,
            increment=True,
        )
        return not limited

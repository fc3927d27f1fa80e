"""Rate limits for the public read API (django-ninja throttle over django-ratelimit counters).

Stateless, so one instance serves every thread; counters live in the cache, shared by every
process when REDIS_URL is set. Calls that carry a court token are limited per token instead
(lots/api_auth.py).
"""

from django.conf import settings
from django_ratelimit.core import is_ratelimited
from ninja.throttling import BaseThrottle


class PublicRateThrottle(BaseThrottle):
    """settings.PUBLIC_API_RATE per client address (X-Forwarded-For honoured only through
    NINJA_NUM_PROXIES trusted proxies); a refusal is the API's 429 `rate_limited`."""

    def allow_request(self, request) -> bool:
        if getattr(request, "auth", None) is not None:
            return True
        limited = is_ratelimited(
            request,
            group="public-api",
            key=lambda group, request: self.get_ident(request) or "",
            rate=lambda group, request: settings.PUBLIC_API_RATE,
            increment=True,
        )
        return not limited

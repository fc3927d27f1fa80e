"""Flood limits for bids: per user in the shared cache (Redis when REDIS_URL is set, so every
process counts together) and per socket in memory. A limited bid writes nothing."""

import time

from django.conf import settings
from django.core.cache import cache

from .errors import rate_limited

wall_time = time.time  # real time, not auctions.clock: floods happen in real time


def check_bid_rate(user_id: int) -> None:
    """Counts one bid attempt of the user; raises BidError(rate_limited) past a limit.

    Fixed windows keyed by their number: one INCR per window, atomic in Redis.
    """
    now = wall_time()
    for window, limit in settings.BID_RATE_LIMITS:  # (window in seconds, most bids per user in it)
        key = f"bidrate:{user_id}:{window}:{int(now // window)}"
        try:
            count = cache.incr(key)
        except ValueError:  # the window's first attempt (or an expired key)
            count = 1 if cache.add(key, 1, timeout=window + 1) else cache.incr(key)
        if count > limit:
            raise rate_limited(window - now % window)


class SocketLimiter:
    """A token bucket for everything one socket sends: `rate` messages per second, bursts of
    `burst`. In memory, per connection: no I/O on the hot path."""

    def __init__(self, rate: float = 10.0, burst: float = 20.0):
        self.rate, self.burst = rate, burst
        self.tokens, self.updated = burst, time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def retry_after(self) -> float:
        return (1 - self.tokens) / self.rate

"""Flood limits for bids: per user in the shared cache (Redis when REDIS_URL is set, so every
process counts together) and per socket in memory. A limited bid writes nothing."""

import time

from django.conf import settings
from django.core.cache import cache

from .errors import BidError, rate_limited

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


def check_bid_rates(user_ids: list[int | None]) -> list[BidError | None]:
    """Counts one bid attempt for each user id (None: not counted) and returns, per attempt, the
    refusal `check_bid_rate` would raise, or None. Same windows, keys and counts; with Redis ONE
    command for the whole list (`_COUNT_ATTEMPTS`), where one attempt at a time costs up to three
    round trips per window."""
    now = wall_time()
    windows = settings.BID_RATE_LIMITS
    client = _redis_client()
    if client is None:
        results = []
        for user_id in user_ids:
            try:
                if user_id is not None:
                    check_bid_rate(user_id)
                results.append(None)
            except BidError as refusal:
                results.append(refusal)
        return results
    keys, lifetimes = [], []
    for user_id in user_ids:
        if user_id is not None:
            for window, _limit in windows:
                # make_key, not make_and_validate_key: these keys are ours, short and ASCII.
                keys.append(cache.make_key(f"bidrate:{user_id}:{window}:{int(now // window)}"))
                lifetimes.append(window + 1)
    counts = iter(_count_attempts(client)(keys=keys, args=lifetimes, client=client) if keys else ())
    results = []
    for user_id in user_ids:
        refusal = None
        if user_id is not None:
            for window, limit in windows:
                if next(counts) > limit and refusal is None:
                    refusal = rate_limited(window - now % window)
        results.append(refusal)
    return results


# INCR every key in order (a key listed twice counts twice) and give a new key its lifetime, in
# one atomic step: one command per batch of bids instead of two per key, which cost the bid
# writer more than any query but the inserts under M2 (docs/benchmarks.md).
_COUNT_ATTEMPTS = """
local counts = {}
for i, key in ipairs(KEYS) do
    counts[i] = redis.call('INCR', key)
    if counts[i] == 1 then redis.call('EXPIRE', key, ARGV[i]) end
end
return counts
"""
_count_script = None


def _count_attempts(client):
    """The script, registered once per process: redis-py sends EVALSHA and loads it again should
    the server have lost it. Calls pass their own client, so any one client can register it."""
    global _count_script
    if _count_script is None:
        _count_script = client.register_script(_COUNT_ATTEMPTS)
    return _count_script


def _redis_client():
    """The shared cache's Redis client, or None when the cache is not Redis (embedded mode)."""
    inner = getattr(cache, "_cache", None)
    get_client = getattr(inner, "get_client", None)
    return get_client(write=True) if get_client is not None and settings.REDIS_URL else None


class SocketLimiter:
    """A token bucket for everything one socket sends: `rate` messages per second, bursts of
    `burst`. In memory, per connection: no I/O on the hot path."""

    __slots__ = ("rate", "burst", "tokens", "updated")

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

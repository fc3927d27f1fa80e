"""The one clock every piece of domain code asks (never datetime.now or timezone.now directly).

Tests move time with `frozen(at)` or `travel(delta)`; production reads the server clock.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

_frozen_at: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    """Aware UTC time: the server's receive time that decides every bid (BI2)."""
    if _frozen_at is not None:
        return _frozen_at
    return timezone.now() + _offset


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    global _frozen_at
    previous, _frozen_at = _frozen_at, at
    try:
        yield
    finally:
        _frozen_at = previous


@contextmanager
def travel(delta: timedelta) -> Iterator[None]:
    global _offset
    previous, _offset = _offset, _offset + delta
    try:
        yield
    finally:
        _offset = previous

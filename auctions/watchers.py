"""The watchers count of a round (围观): distinct viewers of its lot page, not page loads.

A viewer is a signed-in user, or else a browser identified by a random cookie; only a keyed hash of
either is stored. The first view of a round by a viewer writes one `LotPageViewer` row and adds one
to the round's `LotPageViews` counter in the same transaction; the cache remembers recent viewers,
so a reload or a second tab costs no write (and usually no query) at all.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F

from lots.models import LotPageViewer, LotPageViews

from . import clock
from .models import Auction

COOKIE = "viewer"
COOKIE_MAX_AGE = 365 * 24 * 3600
REMEMBER_SECONDS = 24 * 3600
MAX_COOKIE_LENGTH = 64


def viewer_key(request) -> tuple[str, str | None]:
    """(hashed viewer key, a new cookie value to set or None)."""
    if request.user.is_authenticated:
        raw, new_cookie = f"user:{request.user.pk}", None
    else:
        cookie = request.COOKIES.get(COOKIE, "")
        if not cookie or len(cookie) > MAX_COOKIE_LENGTH or not cookie.isalnum():
            cookie = secrets.token_hex(16)
            new_cookie = cookie
        else:
            new_cookie = None
        raw = f"browser:{cookie}"
    return _digest(raw), new_cookie


def _digest(raw: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), raw.encode(), hashlib.sha256).hexdigest()


def viewed_by(user) -> list[int]:
    """Ids of the rounds whose page this signed-in user has viewed ("my auctions": watched)."""
    return list(LotPageViewer.objects.filter(viewer=_digest(f"user:{user.pk}")).values_list("auction_id", flat=True))


def note_view(auction: Auction, viewer: str) -> bool:
    """Counts `viewer` once for the round; True when this was their first view."""
    remembered = f"viewed:{auction.pk}:{viewer}"
    if cache.get(remembered):
        return False
    try:
        with transaction.atomic():
            LotPageViewer.objects.create(auction=auction, viewer=viewer, first_seen_at=clock.now())
            counter, _created = LotPageViews.objects.get_or_create(auction=auction)
            LotPageViews.objects.filter(pk=counter.pk).update(viewers=F("viewers") + 1)
    except IntegrityError:  # seen before (the cache had forgotten), or a concurrent first view
        first = False
    else:
        first = True
    cache.set(remembered, 1, REMEMBER_SECONDS)
    return first


def count(auction_id: int) -> int:
    return LotPageViews.objects.filter(auction_id=auction_id).values_list("viewers", flat=True).first() or 0


def record_viewer(request, auction: Auction) -> None:
    """Notes the request's viewer before the page is built, so a first view counts itself."""
    viewer, new_cookie = viewer_key(request)
    note_view(auction, viewer)
    request._new_viewer_cookie = new_cookie


def set_cookie(request, response) -> None:
    """Gives a browser that had no viewer cookie the one it was counted under."""
    new_cookie = getattr(request, "_new_viewer_cookie", None)
    if new_cookie:
        response.set_cookie(COOKIE, new_cookie, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax")

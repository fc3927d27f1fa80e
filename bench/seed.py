"""Bench data, made through the project's own builders (tests/factories.py) after migrating the
bench database: live auctions, bidders with secured deposits, and signed-in sessions created
directly in the session store (the `sessionid` cookie the generators send)."""

import secrets
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.test import override_settings

from auctions.models import Announcement, Auction
from tests import factories

# The builders give each bidder a distinct ID number from a counter taken modulo 1,000.
MAX_POOL = 900
_FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # bench users never log in by password


def signed_in_session(user) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


class Seeder:
    """Creates the bidder pool once, then auctions with registered, secured seats on demand."""

    def __init__(self, pool_size: int):
        if pool_size > MAX_POOL:
            raise ValueError(f"at most {MAX_POOL} distinct bidders")
        with override_settings(PASSWORD_HASHERS=_FAST_HASHER):
            self.users = [factories.make_bidder(f"bench{i:04d}", "竞买人") for i in range(pool_size)]
        self.sessions = [signed_in_session(user) for user in self.users]
        self.court = factories.make_court()
        self.case = factories.make_case(self.court)
        self.next_user = 0
        self.warm_auction = self.auction().pk  # what the servers are warmed up on

    def auction(self, ends_in: timedelta = timedelta(hours=24), starting_price=80_000, increment=100) -> Auction:
        lot = factories.make_lot(self.case)
        return factories.make_auction(lot, ends_in=ends_in, starting_price=starting_price, increment=increment)

    def public_auction(self) -> Auction:
        """A live round whose announcement is out, as the public lot page requires (AN1)."""
        auction = self.auction()
        Announcement.objects.create(auction=auction, publish_at=auction.announce_at, published_at=auction.announce_at)
        return auction

    def seats(self, auction: Auction, count: int) -> list[dict]:
        """`count` distinct pool bidders registered with secured deposits, each a session + CSRF token.
        Users are handed out round-robin over the pool so that load spreads across many users."""
        if count > len(self.users):
            raise ValueError("more seats than bidders in the pool")
        seats = []
        for _ in range(count):
            index = self.next_user % len(self.users)
            self.next_user += 1
            factories.register(auction, self.users[index], secured=True)
            seats.append({"session": self.sessions[index], "csrf": secrets.token_hex(16)})
        return seats

    @staticmethod
    def spec(auction: Auction, seats: list[dict]) -> dict:
        """What a bidder generator needs to know of one auction (amounts as decimal strings)."""
        start = auction.current_price.amount + auction.increment.amount if auction.current_price else None
        return {
            "id": auction.pk,
            "start": f"{start or auction.starting_price.amount:.2f}",
            "increment": f"{auction.increment.amount:.2f}",
            "seats": seats,
        }

    def watcher_sessions(self, count: int) -> list[str]:
        return [self.sessions[i % len(self.sessions)] for i in range(count)]

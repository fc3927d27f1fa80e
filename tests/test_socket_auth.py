"""Session authentication of the sockets (`bidding.socket_auth.SocketAuthMiddleware`, in
config/asgi.py): the user of the session cookie, anonymous without one or with a stale one, and a
scope that keeps nothing an idle socket does not need (docs/benchmarks.md, M5/M6)."""

import asyncio

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from bidding import socket_auth
from bidding.socket_auth import SocketAuthMiddleware
from tests.test_bidding_support import run_async

pytestmark = pytest.mark.usefixtures("transactional_db")


def scope_seen(headers: list[tuple[bytes, bytes]]) -> dict:
    """The scope SocketAuthMiddleware hands to the application it wraps."""
    seen = {}

    async def inner(scope, receive, send):
        seen.update(scope)

    async def scenario():
        await SocketAuthMiddleware(inner)({"type": "websocket", "headers": headers}, None, None)

    run_async(scenario)
    return seen


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}; django_language=en; csrftoken=abc".encode()


def test_the_session_cookie_gives_the_signed_in_user(alice):
    scope = scope_seen([(b"cookie", session_cookie(alice))])
    assert type(scope["user"]) is type(alice) and scope["user"].pk == alice.pk  # the user itself, not a lazy one


def test_the_scope_keeps_neither_the_session_nor_other_cookies(alice):
    scope = scope_seen([(b"cookie", session_cookie(alice))])
    assert "session" not in scope
    assert scope["cookies"] == {"django_language": "en"}  # what bidding.consumers.socket_language reads


def test_no_session_cookie_is_anonymous_without_a_lookup(monkeypatch):
    def no_lookup(session_key):
        raise AssertionError("looked up a session that was never sent")

    monkeypatch.setattr(socket_auth, "resolve_user", no_lookup)
    scope = scope_seen([(b"cookie", b"csrftoken=abc")])
    assert isinstance(scope["user"], AnonymousUser) and scope["cookies"] == {}
    assert isinstance(scope_seen([])["user"], AnonymousUser)


def test_an_unknown_session_is_anonymous():
    scope = scope_seen([(b"cookie", b"sessionid=nosuchsession")])
    assert isinstance(scope["user"], AnonymousUser)


def test_a_session_from_before_a_password_change_is_anonymous(alice):
    cookie = session_cookie(alice)
    alice.set_password("a different password 123")
    alice.save()
    assert isinstance(scope_seen([(b"cookie", cookie)])["user"], AnonymousUser)


def test_while_the_socket_lives_the_layer_keeps_nothing_of_its_cookies(alice):
    """Its frame lives as long as the socket: only the scope daphne made and the ASGI callables."""
    cookie = session_cookie(alice)

    async def scenario():
        started, release = asyncio.Event(), asyncio.Event()

        async def inner(scope, receive, send):
            started.set()
            await release.wait()

        layer = SocketAuthMiddleware(inner)({"type": "websocket", "headers": [(b"cookie", cookie)]}, None, None)
        task = asyncio.ensure_future(layer)
        await asyncio.wait_for(started.wait(), 10)
        kept = set(layer.cr_frame.f_locals)
        release.set()
        await task
        return kept

    assert run_async(scenario) == {"self", "scope", "receive", "send"}

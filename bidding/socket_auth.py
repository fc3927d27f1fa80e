"""Session authentication of the auction sockets, in one ASGI layer (config/asgi.py).

It does what channels' `AuthMiddlewareStack` did for these sockets (cookies → session → user,
with the same session-hash check: `channels.auth.get_user`), but an idle socket lives for hours
and thousands of them share a process (M5/M6 in docs/benchmarks.md), so what each one keeps
matters:

- one scope copy and one coroutine frame, where the stack kept three copies, four frames, a
  session wrapper and two lazy objects for the socket's whole life;
- the scope carries the resolved `user` (a plain object, not a lazy one) and, of the cookies,
  only the language cookie the consumer reads (bidding/consumers.py `socket_language`); the
  session store is not kept: the sockets never read or write the session after connect;
- no cookie, no lookup: a visitor without a session cookie is anonymous without a trip to the
  database thread (a session whose hash no longer matches is flushed there, as before).
"""

from importlib import import_module

from channels.auth import get_user
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie


class SocketAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        # The work is done in `authenticated`: this frame lives as long as the socket, and its
        # locals would keep the parsed cookies (the session key among them) alive with it.
        return await self.inner(await authenticated(scope), receive, send)


async def authenticated(scope) -> dict:
    """A copy of `scope` with the socket's `user` and, of the cookies, the language cookie."""
    cookies = _cookies(scope)
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    user = await resolve_user(session_key) if session_key else AnonymousUser()
    language = cookies.get(settings.LANGUAGE_COOKIE_NAME)
    return dict(scope, user=user, cookies={settings.LANGUAGE_COOKIE_NAME: language} if language else {})


def _cookies(scope) -> dict:
    for name, value in scope.get("headers") or ():
        if name == b"cookie":
            return parse_cookie(value.decode("latin1"))
    return {}


def _user_for_session(session_key: str):
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return get_user.func({"session": store})


# The user of a session key (AnonymousUser for an unknown, expired or stale session).
resolve_user = database_sync_to_async(_user_for_session)

"""The authorisation matrix's socket routes (tests/test_authz_matrix.py has the rest): every
persona against every socket route of tests/authz_expectations.py, watching and bidding through
the real ASGI application. Transactional (the consumer reads the database from its own thread),
so each persona gets a world of its own; in its own module so that the matrix's shared world,
an open transaction, is closed before these run."""

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings

from tests import authz_expectations as expect
from tests.test_authz_matrix import build_world, client_for, fill

pytestmark = pytest.mark.backend_neutral


async def _socket_answers(application, path: str, cookie: str) -> tuple[bool, dict | None]:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    if not connected:
        return False, None
    await communicator.receive_json_from(timeout=5)  # the snapshot
    await communicator.send_to(text_data=expect.BID)
    answer = await communicator.receive_json_from(timeout=5)
    while answer["type"] == "event":  # round events may come before the answer to the bid
        answer = await communicator.receive_json_from(timeout=5)
    await communicator.disconnect()
    return True, answer


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", expect.PERSONAS)
def test_socket_route(persona):
    """Through the real ASGI application (origin check and session auth included)."""
    from asgiref.sync import async_to_sync

    from config.asgi import application

    world = build_world()
    client = client_for(world, persona)
    session_cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    cookie = f"{settings.SESSION_COOKIE_NAME}={session_cookie.value}" if session_cookie else ""
    for route, rules in expect.SOCKET_RULES.items():
        path = "/" + fill(route, world, expect.Rule(frozenset()))
        connected, answer = async_to_sync(_socket_answers)(application, path, cookie)
        assert connected == (persona in rules["watch"]), f"watch {path} as {persona}"
        if connected:
            bid_accepted = answer["type"] == "ack"
            assert bid_accepted == (persona in rules["bid"]), f"bid on {path} as {persona}: {answer}"

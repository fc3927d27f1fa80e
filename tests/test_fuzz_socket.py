"""Malformed socket messages (docs/websocket.md): whatever a client sends — text that is not JSON,
JSON of the wrong shape or types, unknown message types, frames far over the size limit, binary
frames — it gets an error frame with a code, and the same socket still answers a ping.

Hypothesis generates the messages; each example uses one socket for up to a dozen of them (under
the socket's burst allowance, so the rate limiter's own answer does not mask the parser's)."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bidding.protocol import MAX_MESSAGE_BYTES
from bidding.routing import websocket_urlpatterns
from tests import factories

pytestmark = pytest.mark.usefixtures("transactional_db")
TIMEOUT = 5
ERROR_CODES = {"bad_message", "not_authenticated", "rate_limited"}


def _is_valid_control(text: str) -> bool:
    """A ping or resync is valid whatever else it carries: not a malformed message."""
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return isinstance(message, dict) and isinstance(message.get("type"), str) and message["type"] in {"ping", "resync"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
# Shapes close to real messages with one thing wrong.
near_misses = st.fixed_dictionaries(
    {"type": st.sampled_from(["bid", "BID", "Bid", "", "pong", "snapshot", "ack", "event", "error"]) | json_values},
    optional={"amount": json_values, "client_bid_id": json_values | st.text(min_size=65, max_size=200)},
).map(json.dumps)
huge = st.sampled_from(
    [
        "x" * (MAX_MESSAGE_BYTES + 1),
        json.dumps({"type": "bid", "amount": "1" * 5000, "client_bid_id": "a"}),
        "[" * 100_000,
        '{"type": "bid", "amount": ' + "9" * 1_000_000 + "}",
    ]
)
text_messages = (st.text(max_size=200) | json_values.map(json.dumps) | near_misses | huge).filter(
    lambda text: text and not _is_valid_control(text)  # the test transport cannot send an empty frame
)
frames = st.lists(
    st.one_of(
        text_messages.map(lambda text: ("text", text)), st.binary(min_size=1, max_size=300).map(lambda b: ("bytes", b))
    ),
    min_size=1,
    max_size=12,
)


async def _exchange(auction_id: int, messages: list[tuple[str, object]]) -> tuple[list[dict], dict]:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/auctions/{auction_id}/")
    communicator.scope["user"] = AnonymousUser()
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    await communicator.receive_json_from(timeout=TIMEOUT)  # the snapshot
    answers = []
    for kind, payload in messages:
        if kind == "text":
            await communicator.send_to(text_data=payload)
        else:
            await communicator.send_to(bytes_data=payload)
        answers.append(await communicator.receive_json_from(timeout=TIMEOUT))
    await communicator.send_to(text_data='{"type": "ping"}')
    pong = await communicator.receive_json_from(timeout=TIMEOUT)
    await communicator.disconnect()
    return answers, pong


@pytest.fixture
def auction(db):
    return factories.make_auction(factories.make_lot(factories.make_case(factories.make_court())))


def test_malformed_messages_get_error_codes_and_the_socket_survives(auction):
    @hypothesis_settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(messages=frames)
    def exchange(messages):
        answers, pong = async_to_sync(_exchange)(auction.pk, messages)
        for (kind, payload), answer in zip(messages, answers, strict=True):
            assert answer["type"] == "error", (kind, payload[:80], answer)
            assert answer["code"] in ERROR_CODES, answer
            assert answer["message"]
        assert pong["type"] == "pong"

    exchange()


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("not json", "bad_message"),
        ("[1, 2]", "bad_message"),
        ('{"type": "teleport"}', "bad_message"),
        ('{"type": []}', "bad_message"),  # found by the fuzzer: an unhashable type closed the socket
        ('{"type": {"bid": 1}}', "bad_message"),
        ('{"type": "bid", "client_bid_id": "a"}', "bad_message"),
        ('{"type": "bid", "amount": "1", "client_bid_id": 7}', "bad_message"),
        ("x" * (MAX_MESSAGE_BYTES + 1), "bad_message"),
        ('{"type": "bid", "amount": "81000"}', "not_authenticated"),
    ],
)
def test_each_kind_of_malformed_message_names_its_code(auction, message, code):
    answers, pong = async_to_sync(_exchange)(auction.pk, [("text", message)])
    assert answers[0]["code"] == code
    assert pong["type"] == "pong"


@pytest.mark.parametrize("message", ['{"type": []}', '{"type": {"a": 1}}', "[]", "null", '"bid"'])
def test_http_bid_fallback_answers_malformed_messages_with_400(auction, message):
    client = Client()
    client.force_login(factories.make_bidder("fuzzer"))
    response = client.post(f"/auctions/{auction.pk}/bids", message, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_message"


BID_CODES = {
    "bad_message",
    "rate_limited",
    "invalid_amount",
    "too_low",
    "not_a_multiple",
    "already_leading",
}


def test_bids_with_any_amount_get_an_ack_or_a_coded_refusal(auction, settings):
    """A secured bidder's bid messages with amounts of every JSON type and shape."""
    settings.BID_RATE_LIMITS = ((1, 10_000),)
    user = factories.make_bidder("amounts")
    factories.register(auction, user, secured=True)
    amounts = json_values | st.decimals(allow_nan=True, places=3).map(str) | st.integers(-(10**30), 10**30)

    @hypothesis_settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(values=st.lists(amounts, min_size=1, max_size=8))
    def exchange(values):
        messages = [("text", json.dumps({"type": "bid", "amount": value})) for value in values]
        answers, pong = async_to_sync(_exchange_as)(auction.pk, messages, user)
        for answer in answers:
            assert answer["type"] == "ack" or answer.get("code") in BID_CODES, answer
        assert pong["type"] == "pong"

    exchange()


async def _exchange_as(auction_id: int, messages, user):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/auctions/{auction_id}/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    await communicator.receive_json_from(timeout=TIMEOUT)
    answers = []
    for _kind, payload in messages:
        await communicator.send_to(text_data=payload)
        answer = await communicator.receive_json_from(timeout=TIMEOUT)
        while answer["type"] == "event":  # an accepted bid's event may come before or after its ack
            answer = await communicator.receive_json_from(timeout=TIMEOUT)
        answers.append(answer)
    await communicator.send_to(text_data='{"type": "ping"}')
    pong = await communicator.receive_json_from(timeout=TIMEOUT)
    while pong["type"] == "event":
        pong = await communicator.receive_json_from(timeout=TIMEOUT)
    await communicator.disconnect()
    return answers, pong

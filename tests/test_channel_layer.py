"""The Redis channel layer's prefix (config/settings.py `channel_prefix`): pub/sub channels belong
to the Redis server, not to one of its databases, so two deployments (or test runs) on different
databases of one server must not hear each other's rounds, and processes of one deployment must."""

import asyncio
from urllib.parse import urlsplit, urlunsplit

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings

from config.settings import channel_prefix

pytestmark = pytest.mark.services


def test_the_prefix_names_the_redis_database():
    assert channel_prefix("redis://127.0.0.1:6379/8") == "asgi8"
    assert channel_prefix("redis://127.0.0.1:6379") == channel_prefix("redis://127.0.0.1:6379/0") == "asgi0"
    assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] == channel_prefix(settings.REDIS_URL)


def _layer(database: int) -> RedisPubSubChannelLayer:
    parts = urlsplit(settings.REDIS_URL)
    url = urlunsplit(parts._replace(path=f"/{database}"))
    return RedisPubSubChannelLayer(hosts=[{"address": url}], prefix=channel_prefix(url))


def test_a_group_message_reaches_its_own_database_only():
    async def scenario():
        sender, same, other = _layer(11), _layer(11), _layer(12)
        try:
            listeners = {}
            for name, layer in (("same", same), ("other", other)):
                listeners[name] = await layer.new_channel()
                await layer.group_add("auction-1", listeners[name])
            await sender.group_send("auction-1", {"type": "auction.events", "auction": 1})
            heard = await asyncio.wait_for(same.receive(listeners["same"]), 5)
            assert heard["auction"] == 1
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(other.receive(listeners["other"]), 0.5)
        finally:
            for layer in (sender, same, other):
                await layer.flush()

    asyncio.run(scenario())

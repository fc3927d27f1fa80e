"""WebSocket routes (config/asgi.py wraps them in the origin check and session auth)."""

from django.urls import path

from .consumers import AuctionConsumer

websocket_urlpatterns = [
    path("ws/auctions/<int:auction_id>/", AuctionConsumer.as_asgi()),
]

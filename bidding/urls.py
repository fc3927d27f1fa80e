from django.urls import path

from . import views

urlpatterns = [
    path("auctions/<int:auction_id>/bids", views.place_bid, name="bidding-place-bid"),
    path("auctions/<int:auction_id>/snapshot", views.round_snapshot, name="bidding-snapshot"),
    path("auctions/<int:auction_id>/bids.json", views.bid_record, name="bidding-bid-record"),
]

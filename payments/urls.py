from django.urls import path

from . import console, views, webhooks

app_name = "payments"

urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("deposits/<int:deposit_id>/pay/", views.pay_deposit, name="pay_deposit"),
    path("balances/<int:settlement_id>/pay/", views.pay_balance, name="pay_balance"),
    path("p/<int:payment_id>/", views.payment_detail, name="payment"),
    path("p/<int:payment_id>/refresh/", views.payment_refresh, name="payment_refresh"),
    path("p/<int:payment_id>/cancel/", views.payment_cancel, name="payment_cancel"),
    path("receipts/<str:reference>/", views.receipt, name="receipt"),
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
    path("court/", console.court_index, name="court_index"),
    path("court/auctions/<int:auction_id>/", console.court_auction, name="court_auction"),
    path("court/auctions/<int:auction_id>/deposits.csv", console.court_auction_csv, name="court_auction_csv"),
    path("court/transfers/", console.court_transfers, name="court_transfers"),
    path("court/transfers/<int:payment_id>/confirm/", console.confirm_transfer, name="confirm_transfer"),
    path("court/refunds/<int:refund_id>/confirm/", console.confirm_refund, name="confirm_refund"),
    path("court/settlements/<int:settlement_id>/default/", console.court_default, name="court_default"),
    path("court/forfeitures/", console.court_forfeitures, name="court_forfeitures"),
]

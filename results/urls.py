"""Result pages (namespace "results"): public notices and copies, the buyer's copy, and the court
console's confirmation, delivery and webhook pages."""

from django.urls import path

from . import views

app_name = "results"

urlpatterns = [
    path("auctions/<int:auction_id>/result/", views.result, name="result"),
    path("auctions/<int:auction_id>/result/confirmation.pdf", views.public_confirmation, name="public_confirmation"),
    path("me/confirmations/<int:auction_id>.pdf", views.buyer_confirmation, name="buyer_confirmation"),
    path("console/rounds/<int:auction_id>/confirmation.pdf", views.console_confirmation, name="console_confirmation"),
    path("console/rounds/<int:auction_id>/delivery/", views.console_delivery, name="console_delivery"),
    path("console/webhooks/", views.webhook_endpoints, name="webhooks"),
    path("console/webhooks/<int:endpoint_id>/disable/", views.webhook_disable, name="webhook_disable"),
    path("console/webhooks/deliveries/<int:delivery_id>/retry/", views.webhook_retry, name="webhook_retry"),
]

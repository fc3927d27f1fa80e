"""Result pages (namespace "results"): public notices and copies, the buyer's copy, and the court
console's confirmation, delivery and webhook pages."""

from django.urls import path

from . import result_views

app_name = "results"

urlpatterns = [
    path("auctions/<int:auction_id>/result/", result_views.result, name="result"),
    path(
        "auctions/<int:auction_id>/result/confirmation.pdf",
        result_views.public_confirmation,
        name="public_confirmation",
    ),
    path("me/confirmations/<int:auction_id>.pdf", result_views.buyer_confirmation, name="buyer_confirmation"),
    path(
        "console/rounds/<int:auction_id>/confirmation.pdf",
        result_views.console_confirmation,
        name="console_confirmation",
    ),
    path("console/rounds/<int:auction_id>/delivery/", result_views.console_delivery, name="console_delivery"),
    path("console/webhooks/", result_views.webhook_endpoints, name="webhooks"),
    path("console/webhooks/<int:endpoint_id>/disable/", result_views.webhook_disable, name="webhook_disable"),
    path("console/webhooks/deliveries/<int:delivery_id>/retry/", result_views.webhook_retry, name="webhook_retry"),
]

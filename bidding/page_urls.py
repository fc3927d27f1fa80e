"""Bidder pages (bidding/pages.py): sign-up, registration with the deposit step, my auctions."""

from django.urls import path

from . import pages

urlpatterns = [
    path("accounts/signup/", pages.signup, name="bidder_signup"),
    path("auctions/<int:auction_id>/register/", pages.register, name="bidder_register"),
    path("me/", pages.my_auctions, name="my_auctions"),
    path("me/live", pages.my_auctions_live, name="my_auctions_live"),
    path("me/deposits/<int:deposit_id>/sandbox-pay/", pages.pay_deposit_sandbox, name="deposit_sandbox_pay"),
]

"""Bidder pages: sign-up, registration for one auction with its deposit step, and "my auctions".

Views are thin: the forms validate input, `accounts`, `bidding.services` and `payments.services`
change state. No page ever receives a full ID number or phone (AN5): only the masked forms.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from auctions.models import Auction
from payments import services as payments
from payments.errors import PaymentError, PaymentErrorCode
from payments.models import Deposit

from . import accounts, services
from .errors import BidError
from .forms import AcceptTermsForm, SignupForm
from .models import BidderProfile, Registration

SIGNUP_RATE = "20/h"


def _next_url(request) -> str:
    """Where to go after sign-up: `next` when it is a page of this site, else "my auctions"."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("my_auctions")


@sensitive_post_parameters("password1", "password2", "id_number", "phone")
@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=SIGNUP_RATE, method="POST", block=False)
def signup(request):
    """Real-name sign-up (BD1); the new bidder is logged in and sent back to `next`.

    Rate limited per address: "this ID number is already registered" must not become a way to
    test ID numbers in bulk."""
    next_url = _next_url(request)
    if getattr(request, "limited", False):  # an unbound form: the input is not even looked at
        context = {"form": SignupForm(), "next": next_url, "limited": True}
        return render(request, "bidding/signup.html", context, status=429)
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.create_bidder(**form.bidder_fields())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("注册成功，欢迎参加竞买"))
            return redirect(next_url)
    return render(request, "bidding/signup.html", {"form": form, "next": next_url})


@login_required
@require_http_methods(["GET", "POST"])
def register(request, auction_id: int):
    """Registration for one round: accept the terms, get a bidder code (BD3), pay the deposit (BD1).

    A refused registration (BD4 and the like) shows the reason with its rule and saves nothing.
    """
    auction = get_object_or_404(
        Auction.objects.select_related("lot__court"), pk=auction_id, status__in=Auction.PUBLIC_STATUSES
    )
    registration = Registration.objects.filter(auction=auction, user=request.user).select_related("deposit").first()
    form = AcceptTermsForm(request.POST if request.method == "POST" else None)
    refusals: list[str] = []
    if request.method == "POST" and registration is None and form.is_valid():
        try:
            services.register_bidder(request.user, auction.pk, accept_terms=True)
        except BidError as error:
            refusals = [error.as_frame()["message"]]  # names the rule, e.g. "BD4：…"
        else:
            messages.success(request, _("报名成功"))
            return redirect("bidder_register", auction.pk)
    context = {
        "auction": auction,
        "form": form,
        "registration": registration,
        "deposit": getattr(registration, "deposit", None) if registration else None,
        "is_bidder": BidderProfile.objects.filter(user=request.user).exists(),
        "registration_open": auction.status in Auction.OPEN_STATUSES,
        "refusals": refusals,
    }
    return render(request, "bidding/register.html", context, status=403 if refusals else 200)


@login_required
@require_POST
def pay_deposit_sandbox(request, deposit_id: int):
    """One-click demo payment of the bidder's own deposit (BD1); another bidder's deposit is a 404."""
    try:
        deposit = payments.pay_with_sandbox(deposit_id, request.user)
    except PaymentError as error:
        if error.code == PaymentErrorCode.NOT_FOUND:
            raise Http404 from None
        messages.error(request, str(error))  # e.g. "BD1：竞价已结束，不能再交纳保证金"
        return redirect("my_auctions")
    messages.success(request, _("保证金已交纳，可以出价了"))
    return redirect("bidder_register", deposit.registration.auction_id)


def standing_of(registration: Registration) -> tuple[str, str]:
    """(css key, label) for where a bidder stands in a round: leading, outbid, won, lost…"""
    auction = registration.auction
    leads = auction.leading_bid is not None and auction.leading_bid.registration_id == registration.pk
    if auction.status == Auction.Status.SOLD:
        return ("won", _("已竞得")) if leads else ("lost", _("未竞得"))
    if auction.status == Auction.Status.FAILED:
        return "ended", _("流拍")
    if auction.status == Auction.Status.WITHDRAWN:
        return "ended", _("已撤回")
    if leads:
        return "leading", _("领先")
    if registration.my_bid_count:
        return "outbid", _("已被超越")
    return "none", _("未出价")


@login_required
def my_auctions(request):
    """The bidder's registrations: code, deposit, round status and where they stand."""
    registrations = (
        Registration.objects.filter(user=request.user)
        .select_related("auction__lot", "auction__leading_bid", "deposit")
        .annotate(my_bid_count=Count("bids"))
        .order_by("-auction__starts_at", "-id")
    )
    rows = [
        {
            "registration": registration,
            "standing": standing_of(registration),
            "deposit_due": registration.auction.status in Auction.OPEN_STATUSES
            and getattr(registration, "deposit", None) is not None
            and registration.deposit.status == Deposit.Status.PENDING,
        }
        for registration in registrations
    ]
    profile = BidderProfile.objects.filter(user=request.user).first()
    return render(request, "bidding/me.html", {"rows": rows, "profile": profile})

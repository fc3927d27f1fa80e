"""Bidder pages: sign-up, registration for one auction with its deposit step, and "my auctions".

Views are thin: the forms validate input, `accounts`, `bidding.services` and `payments.services`
change state. No page ever receives a full ID number or phone (AN5): only the masked forms.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from auctions import clock, presenters, watchers
from auctions.models import Auction
from payments import services as payments
from payments.errors import PaymentError, PaymentErrorCode
from payments.models import Deposit, Settlement

from . import accounts, services
from .errors import BidError
from .forms import AcceptTermsForm, SignupForm
from .models import BidderProfile, Registration

SIGNUP_RATE = "20/h"
WATCHED_LIMIT = 30


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


MY_POLL_MS = 5000
OPEN_STANDINGS = ("leading", "outbid", "none")


def _my_registrations(user):
    return (
        Registration.objects.filter(user=user)
        .select_related("auction__lot__court", "auction__leading_bid", "deposit")
        .annotate(my_bid_count=Count("bids"))
        .order_by("-auction__starts_at", "-id")
    )


def _live_facts(registration: Registration, now) -> dict:
    """What of a row moves while its round runs: price, standing, phase, bids."""
    auction = registration.auction
    key, label = standing_of(registration)
    phase = presenters.phase_of(auction, now)
    if phase == "ended" and key in OPEN_STANDINGS:  # past its end, not yet closed by the clock worker
        key, label = "closing", _("等待结果")
    price = auction.current_price.amount if auction.current_price is not None else auction.starting_price.amount
    return {
        "id": auction.pk,
        "standing": key,
        "standing_label": str(label),
        "phase": phase,
        "phase_label": str(presenters.PHASE_LABELS[phase]),
        "price_label": str(_("当前价") if auction.current_price is not None else _("起拍价")),
        "price_text": presenters.yuan(price),
        "bid_count": auction.bid_count,
        "my_bid_count": registration.my_bid_count,
    }


def _dashboard(user, now) -> tuple[list[Registration], dict[str, list], dict]:
    """The user's registrations grouped by standing, with the totals of deposits held (secured or
    applied) and balances owed (won, awaiting the balance)."""
    registrations = list(_my_registrations(user))
    settlements = {
        settlement.auction_id: settlement
        for settlement in Settlement.objects.filter(auction__in=[r.auction_id for r in registrations])
    }
    groups: dict[str, list] = {"bidding": [], "won": [], "lost": []}
    held = Decimal("0")
    owed = Decimal("0")
    for registration in registrations:
        facts = _live_facts(registration, now)
        deposit = getattr(registration, "deposit", None)
        settlement = settlements.get(registration.auction_id)
        is_winner = settlement is not None and settlement.winner_id == registration.pk
        row = {
            "registration": registration,
            "auction": registration.auction,
            "deposit": deposit,
            "facts": facts,
            "settlement": settlement if is_winner else None,
            "deposit_due": registration.auction.status in Auction.OPEN_STATUSES
            and deposit is not None
            and deposit.status == Deposit.Status.PENDING,
        }
        if deposit is not None and deposit.status in (Deposit.Status.SECURED, Deposit.Status.APPLIED):
            held += deposit.amount.amount
        if is_winner and settlement.status == Settlement.Status.AWAITING_BALANCE and settlement.balance is not None:
            owed += settlement.balance.amount
        if facts["standing"] == "won":
            groups["won"].append(row)
        elif facts["standing"] in ("lost", "ended"):
            groups["lost"].append(row)
        else:
            groups["bidding"].append(row)
    totals = {
        "held_total": held,
        "owed_total": owed,
        "held_total_text": presenters.yuan(held),
        "owed_total_text": presenters.yuan(owed),
        "bidding_count": len(groups["bidding"]),
        "won_count": len(groups["won"]),
        "lost_count": len(groups["lost"]),
    }
    return registrations, groups, totals


@login_required
def my_auctions(request):
    """ "My auctions": rounds the bidder is registered for (bidding: leading, outbid, not yet bid),
    won and lost, with the deposit of each and the balance owed on a win; and the rounds they
    watch (reminders set, pages viewed). Price, standing and the totals follow the rounds without
    a reload (polling `my_auctions_live`)."""
    now = clock.now()
    registrations, groups, totals = _dashboard(request.user, now)
    registered_ids = {r.auction_id for r in registrations}
    watched_ids = set(watchers.viewed_by(request.user)) - registered_ids
    reminder_ids = set()
    try:
        from notices.models import ReminderSubscription
    except ImportError:  # the notices app is optional here
        pass
    else:
        reminder_ids = set(ReminderSubscription.objects.filter(user=request.user).values_list("auction_id", flat=True))
    public = presenters.public_auctions(now)
    watched = presenters.cards(
        public.filter(pk__in=(watched_ids | reminder_ids) - registered_ids).order_by("-starts_at")[:WATCHED_LIMIT], now
    )
    context = {
        "groups": groups,
        "has_rows": bool(registrations),
        "watched": watched,
        "reminder_ids": reminder_ids,
        "held_total": totals["held_total"],
        "owed_total": totals["owed_total"],
        "profile": BidderProfile.objects.filter(user=request.user).first(),
        "poll_ms": getattr(settings, "LOT_FACTS_POLL_MS", MY_POLL_MS),
        "server_now_ms": int(now.timestamp() * 1000),
    }
    return render(request, "bidding/me.html", context)


@login_required
@require_GET
def my_auctions_live(request):
    """The moving part of "my auctions" as JSON: one entry per registered round, and the totals."""
    now = clock.now()
    _registrations, groups, totals = _dashboard(request.user, now)
    rows = [row["facts"] for group in groups.values() for row in group]
    totals = {key: value for key, value in totals.items() if not isinstance(value, Decimal)}
    response = JsonResponse({"rows": rows, "totals": totals}, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response

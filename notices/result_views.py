"""Result pages: the public result notice and confirmation copy, the buyer's and the court's full
confirmation, the court's delivery record and webhook endpoints. Thin views over notices/confirmations.py
and notices/webhooks.py; another court's or another buyer's row is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from auctions import clock
from auctions import presenters as auction_presenters
from auctions.models import Auction
from bidding.identity_audit import record_identity_views
from bidding.models import IdentityView
from lots.access import access_auction, court_staff_required

from . import confirmations, pdf, webhooks
from .models import Confirmation, WebhookDelivery, WebhookEndpoint
from .result_forms import DeliveryForm, WebhookEndpointForm

PUBLIC_PDF_CACHE_SECONDS = 3600


def _pdf(confirmation: Confirmation, copy: str) -> HttpResponse:
    if copy == pdf.PUBLIC:  # anyone may ask for it, often; it holds no personal data (AN5)
        key = f"results:confirmation-pdf:{confirmation.pk}:{confirmation.issued_at.timestamp()}"
        data = cache.get_or_set(key, lambda: pdf.render(confirmation, copy), PUBLIC_PDF_CACHE_SECONDS)
    else:  # the full copy is never cached: it holds the buyer's identity
        data = pdf.render(confirmation, copy)
    response = HttpResponse(data, content_type="application/pdf")
    suffix = "-public" if copy == pdf.PUBLIC else ""
    response["Content-Disposition"] = f'inline; filename="confirmation-{confirmation.auction_id}{suffix}.pdf"'
    if copy == pdf.FULL:
        response["Cache-Control"] = "private, no-store"  # holds the buyer's full identity
    return response


def _public_round(auction_id: int) -> Auction:
    now = clock.now()
    return get_object_or_404(
        auction_presenters.public_auctions(now).filter(status__in=Auction.ENDED_STATUSES), pk=auction_id
    )


# --- Public -------------------------------------------------------------------------------------------
def result(request, auction_id: int):
    """The result notice of an ended round on its own page (sold, 流拍 or withdrawn)."""
    auction = _public_round(auction_id)
    card = auction_presenters.card(auction, clock.now())
    return render(request, "results/result.html", {"auction": auction, "card": card})


def public_confirmation(request, auction_id: int):
    """ST1: the published copy of the confirmation, the buyer's identity masked (AN5)."""
    auction = _public_round(auction_id)
    confirmation = get_object_or_404(Confirmation, auction=auction)
    return _pdf(confirmation, pdf.PUBLIC)


# --- The buyer ----------------------------------------------------------------------------------------
@login_required
def buyer_confirmation(request, auction_id: int):
    """ST1: the buyer's own full copy; anyone else's is a 404."""
    confirmation = get_object_or_404(Confirmation, auction_id=auction_id, buyer=request.user)
    return _pdf(confirmation, pdf.FULL)


# --- The court console --------------------------------------------------------------------------------
@court_staff_required
def console_confirmation(request, auction_id: int):
    auction = access_auction(request.user, auction_id)
    confirmation = get_object_or_404(Confirmation, auction=auction)
    response = _pdf(confirmation, pdf.FULL)
    record_identity_views(  # the full copy names the buyer: the identity audit log
        actor=request.user,
        court=request.staff.court,
        auction=auction,
        subjects=[confirmation.buyer],
        purpose=IdentityView.Purpose.CONFIRMATION,
        path=request.path,
    )
    return response


@require_POST
@court_staff_required
def console_delivery(request, auction_id: int):
    """ST3: the court records that it delivered the property to the buyer."""
    auction = access_auction(request.user, auction_id)
    form = DeliveryForm(request.POST)
    if form.is_valid():
        try:
            confirmations.record_delivery(auction, request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("已登记交付标的物。"))
    else:
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
    return redirect("console:round_detail", auction.id)


@court_staff_required
def webhook_endpoints(request):
    """The court's webhook endpoints; a new one's secret is shown on this response only."""
    court = request.staff.court
    form = WebhookEndpointForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _endpoint, secret = webhooks.create_endpoint(court, request.user, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("回传地址已添加。"))
            form = WebhookEndpointForm()
    endpoints = WebhookEndpoint.objects.filter(court=court).order_by("-created_at", "-id")
    deliveries = (
        WebhookDelivery.objects.filter(endpoint__court=court)
        .select_related("endpoint", "record")
        .order_by("-created_at", "-id")[:50]
    )
    context = {"form": form, "secret": secret, "endpoints": endpoints, "deliveries": deliveries}
    response = render(request, "console/webhooks/endpoints.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@court_staff_required
def webhook_disable(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, court=request.staff.court)
    webhooks.disable_endpoint(endpoint, request.user)
    messages.success(request, _("回传地址已停用。"))
    return redirect("results:webhooks")


@require_POST
@court_staff_required
def webhook_retry(request, delivery_id: int):
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, endpoint__court=request.staff.court)
    if not delivery.endpoint.is_active:
        raise Http404
    webhooks.retry_now(delivery, request.user)
    messages.success(request, _("已重新发送。"))
    return redirect("results:webhooks")

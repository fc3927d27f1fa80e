"""The public site: home, search, the lot page and the announcement. Read-only and AN5-masked."""

import functools
from dataclasses import asdict

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import clock, presenters, search, watchers
from .models import Auction

HOME_LIMIT = 8
FACTS_POLL_MS = 5000
REMINDER_TEMPLATE = "notices/_reminder.html"


@functools.cache
def _reminder_template() -> str | None:
    """The reminder button (设置提醒) of the notices app, when it is installed."""
    try:
        get_template(REMINDER_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return REMINDER_TEMPLATE


def _server_now_ms(now) -> int:
    """The server's time, rendered into every page: the countdown counts from it, not the client clock."""
    return int(now.timestamp() * 1000)


@require_GET
def home(request):
    now = clock.now()
    public = presenters.public_auctions(now)
    context = {
        "live": presenters.cards(public.filter(presenters.phase_q("live", now)).order_by("ends_at")[:HOME_LIMIT], now),
        "upcoming": presenters.cards(
            public.filter(presenters.phase_q("upcoming", now)).order_by("starts_at")[:HOME_LIMIT], now
        ),
        "results": presenters.cards(
            public.filter(status__in=(Auction.Status.SOLD, Auction.Status.FAILED)).order_by("-ends_at")[:HOME_LIMIT],
            now,
        ),
        "server_now_ms": _server_now_ms(now),
    }
    return render(request, "home.html", context)


@require_GET
def auction_list(request):
    now = clock.now()
    context = {"regions": search.regions(), "server_now_ms": _server_now_ms(now)}
    # Checked before request.GET is parsed: an oversized query string never reaches the form.
    if len(request.META.get("QUERY_STRING", "")) > search.MAX_QUERY_STRING:
        context.update(form=search.AuctionSearchForm(), query_error=_("查询条件过长，请缩短关键词或减少筛选条件。"))
        return render(request, "auctions/list.html", context, status=400)
    form = search.AuctionSearchForm(request.GET)
    context.update(form=form, filters_open=bool(set(request.GET) - {"q", "page"}))
    if not form.is_valid():
        context["query_error"] = _("筛选条件有误，请按提示修改。")
        return render(request, "auctions/list.html", context, status=400)
    page = search.paginate(search.search(presenters.public_auctions(now), form.cleaned_data, now), form.cleaned_data)
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, cards=presenters.cards(page.object_list, now), query=query.urlencode())
    return render(request, "auctions/list.html", context)


def _round_page(request, auction_id: int, template: str, name: str, build):
    """A page about one public round; drafts, scheduled rounds and unknown ids are 404."""
    now = clock.now()
    auction = get_object_or_404(presenters.public_auctions(now), pk=auction_id)
    context = {"auction": auction, name: build(auction, now), "server_now_ms": _server_now_ms(now)}
    return render(request, template, context)


@require_GET
def auction_detail(request, auction_id: int):
    """The lot page; the first view by a user or browser adds one to the round's watchers (围观)."""
    now = clock.now()
    auction = get_object_or_404(presenters.public_auctions(now), pk=auction_id)
    watchers.record_viewer(request, auction)
    context = {
        "auction": auction,
        "detail": presenters.detail(auction, now),
        "server_now_ms": _server_now_ms(now),
        "facts_poll_ms": getattr(settings, "LOT_FACTS_POLL_MS", FACTS_POLL_MS),
        "reminder_template": _reminder_template(),
    }
    response = render(request, "auctions/detail.html", context)
    watchers.set_cookie(request, response)
    return response


@require_GET
def auction_facts(request, auction_id: int):
    """The moving counts of a public round as a tiny JSON document, polled by the lot page and by
    "my auctions": watchers, registrations, bids, extensions, price, phase."""
    now = clock.now()
    auction = get_object_or_404(Auction.objects.filter(pk=auction_id, status__in=Auction.PUBLIC_STATUSES))
    if not presenters.public_auctions(now).filter(pk=auction_id).exists():
        raise Http404
    found = presenters.facts(auction, now)
    body = asdict(found) | {"price_text": found.price_text, "current_price_text": found.current_price_text}
    response = JsonResponse(body, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def announcement(request, auction_id: int):
    return _round_page(request, auction_id, "auctions/announcement.html", "notice", presenters.announcement)

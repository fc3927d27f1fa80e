"""Notification pages, reminder subscriptions and the public notices feed: thin adapters over
notices/services.py and notices/feed.py."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from auctions import clock

from . import feed, services
from .forms import PreferenceForm
from .messages import render as render_text
from .models import Kind

MAX_QUERY_STRING = 512


# --- My notifications ---------------------------------------------------------------------------
@login_required
@require_GET
def notification_list(request):
    """The signed-in user's notifications, newest first; opening the page marks them read."""
    rows = list(services.site_notifications(request.user)[:100])
    items = [
        {
            "notification": n,
            "text": render_text(n.kind, n.params),
            "kind_label": Kind(n.kind).label,
            "unread": n.read_at is None,
        }
        for n in rows
    ]
    services.mark_all_read(request.user)
    return render(request, "notices/list.html", {"items": items})


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    preference = services.preference_for(request.user)
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            services.save_preferences(request.user, site=form.chosen("site"), email=form.chosen("email"))
            messages.success(request, _("通知设置已保存。"))
            return redirect("notices:preferences")
    else:
        form = PreferenceForm.for_preference(preference)
    return render(request, "notices/preferences.html", {"form": form, "has_email": bool(request.user.email)})


# --- Reminder subscriptions (设置提醒) -------------------------------------------------------------
def _login_then_lot(auction_id: int):
    lot_page = reverse("auction_detail", args=[auction_id])
    return redirect(f"{reverse('login')}?{urlencode({'next': lot_page})}")


@require_POST
def subscribe(request, auction_id: int):
    if not request.user.is_authenticated:
        return _login_then_lot(auction_id)
    try:
        result = services.subscribe_reminder(request.user, auction_id)
    except services.ReminderError as error:
        if error.code == "not_found":
            raise Http404(str(error.message)) from None
        messages.error(request, error.message)
    else:
        if result.created:
            messages.success(request, _("已设置提醒：开拍前和结束前会通知您。"))
        else:
            messages.info(request, _("您已设置过提醒，无需重复设置。"))
    return redirect("auction_detail", auction_id=auction_id)


@require_POST
def unsubscribe(request, auction_id: int):
    if not request.user.is_authenticated:
        return _login_then_lot(auction_id)
    if services.unsubscribe_reminder(request.user, auction_id):
        messages.success(request, _("已取消提醒。"))
    else:
        messages.info(request, _("您没有设置这场拍卖的提醒。"))
    return redirect("auction_detail", auction_id=auction_id)


# --- Public notices ---------------------------------------------------------------------------------
def _filter_form(request):
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
        return None
    return feed.NoticeFilterForm(request.GET)


@require_GET
def public_notices(request):
    form = _filter_form(request)
    if form is None or not form.is_valid():
        context = {"form": form or feed.NoticeFilterForm(), "query_error": _("筛选条件有误，请按提示修改。")}
        return render(request, "notices/public.html", context, status=400)
    page = feed.page_of(clock.now(), form.cleaned_data)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "entries": feed.hydrate(page.object_list),
        "query": query.urlencode(),
        "atom_url": reverse("notices:atom") + (f"?{query.urlencode()}" if query else ""),
    }
    return render(request, "notices/public.html", context)


class NoticeAtomFeed(Feed):
    """The public notices as Atom 1.0, with the same kind and court filters as the page."""

    feed_type = Atom1Feed
    title = gettext_lazy("网络司法拍卖平台 · 公告")
    subtitle = gettext_lazy("拍卖公告、公告更正、拍卖结果、暂缓与撤回")

    def get_object(self, request):
        form = _filter_form(request)
        if form is None or not form.is_valid():
            raise Http404(_("筛选条件有误"))
        return form.cleaned_data

    def link(self, obj):
        return reverse("notices:public")

    def items(self, obj):
        rows = feed.entries(clock.now(), kind=obj.get("kind") or "", court=obj.get("court"))[: feed.FEED_SIZE]
        return feed.hydrate(rows)

    def item_title(self, item):
        return f"[{item.kind_label}] {item.title}"

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.url

    def item_guid(self, item):
        return f"urn:judicial-auction:notice:{item.uid}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.at

    def item_updateddate(self, item):
        return item.at

    def item_author_name(self, item):
        return item.court_name

    def item_categories(self, item):
        return [item.kind_label]

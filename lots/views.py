"""The court console: thin views over lots/services.py and auctions/services.py.

Each view finds its rows through lots/access.py (another court's id is a 404), validates with a
shared form, and changes state only through a service. Every POST is CSRF-protected by middleware.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from auctions import clock, lifecycle, rules
from auctions import services as auction_services
from auctions.announcements import announcement_sections
from auctions.forms import AmendmentForm, RoundForm
from auctions.models import Auction
from bidding.errors import BidError

from . import portal, services
from .access import (
    access_api_token,
    access_auction,
    access_case,
    access_lot,
    court_staff_required,
    staff_of,
)
from .forms import (
    ApiTokenForm,
    CaseForm,
    DocumentUploadForm,
    LotForm,
    PartyForm,
    PhotoUploadForm,
    ReferencePriceForm,
)
from .models import CourtApiToken, EnforcementCase, Lot, Party, ReferencePrice

SOON = timedelta(days=7)
LIVE_STATUSES = [Auction.Status.LIVE, Auction.Status.SUSPENDED]
PARTY_ORDER = [Party.Role.APPLICANT, Party.Role.RESPONDENT, Party.Role.REPRESENTATIVE, Party.Role.AGENT]
PAGE_SIZE = 25


def landing(request):
    """Where a sign-in without `next` lands: court staff on their console, everyone else home."""
    if staff_of(request.user) is not None:
        return redirect("console:dashboard")
    if request.user.is_superuser:
        return redirect("admin:index")
    return redirect("/")


def save_posted(request, form, success: str):
    """What the form's service saved, for a valid POST it accepted (with a success message); else
    None, and the form carries the errors to show."""
    if request.method != "POST" or not form.is_valid():
        return None
    saved = form.save(request.user)
    if saved is not None:
        messages.success(request, success)
    return saved


def _error_message(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


# --- Dashboard ---------------------------------------------------------------------------------
def _rp4_reminders(court, today):
    """RP4: lots whose reference price was fixed more than 10 days ago and that have had no round."""
    lots = Lot.objects.filter(
        court=court, status__in=[Lot.Status.DRAFT, Lot.Status.LISTED], auctions__isnull=True
    ).prefetch_related(Prefetch("reference_prices", queryset=ReferencePrice.objects.order_by("-valuation_date", "-id")))
    reminders = []
    for lot in lots:
        reference = next(iter(lot.reference_prices.all()), None)
        if reference and rules.start_reminder_due(reference.fixed_on, today):
            reminders.append((lot, reference))
    return reminders


@court_staff_required
def dashboard(request):
    court, now = request.staff.court, clock.now()
    rounds = Auction.objects.filter(lot__court=court).select_related("lot")
    # (heading, rounds, which time to show): the round panels, most urgent first.
    panels = [
        (_("正在竞价"), rounds.filter(status__in=LIVE_STATUSES).order_by("ends_at"), "ends_at"),
        (_("7日内开始竞价"), rounds.filter(status=Auction.Status.ANNOUNCED, starts_at__lte=now + SOON), "starts_at"),
        (
            _("7日内待发布公告"),
            rounds.filter(status=Auction.Status.SCHEDULED, announce_at__lte=now + SOON).order_by("announce_at"),
            "announce_at",
        ),
        (_("待确认的轮次草稿"), rounds.filter(status=Auction.Status.DRAFT).order_by("announce_at"), "announce_at"),
    ]
    context = {
        "panels": [(title, list(queryset), field) for title, queryset, field in panels],
        "draft_lots": Lot.objects.filter(court=court, status=Lot.Status.DRAFT).select_related("case"),
        "reminders": _rp4_reminders(court, services.court_today()),
        "unread_messages": portal.unread_for_staff(request.staff),
    }
    return render(request, "console/dashboard.html", context)


# --- Cases -------------------------------------------------------------------------------------
@court_staff_required
def case_list(request):
    cases = (
        EnforcementCase.objects.filter(court=request.staff.court)
        .select_related("judge", "clerk")
        .annotate(lot_count=Count("lots"))
        .order_by("-filed_on", "-id")
    )
    query = request.GET.get("q", "").strip()
    if query:
        cases = cases.filter(number__icontains=query)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "console/case_list.html", {"page": page, "query": query})


@court_staff_required
def case_create(request):
    form = CaseForm(request.POST or None, court=request.staff.court)
    case = save_posted(request, form, _("案件已创建。"))
    if case is not None:
        return redirect("console:case_detail", case.id)
    return render(request, "console/case_form.html", {"form": form})


@court_staff_required
def case_detail(request, case_id):
    case = access_case(request.user, case_id)
    party_form = PartyForm(request.POST or None, court=request.staff.court, case=case)
    if save_posted(request, party_form, _("当事人已添加。")) is not None:
        return redirect("console:case_detail", case.id)
    context = {
        "case": case,
        "parties": sorted(case.parties.select_related("represents"), key=lambda p: PARTY_ORDER.index(p.role)),
        "lots": case.lots.all(),
        "records": case.disposal_records.select_related("lot").order_by("-at", "-id")[:50],
        "party_form": party_form,
    }
    return render(request, "console/case_detail.html", context)


# --- Lots --------------------------------------------------------------------------------------
@court_staff_required
def lot_list(request):
    lots = Lot.objects.filter(court=request.staff.court).select_related("case")
    status = request.GET.get("status", "")
    if status in Lot.Status.values:
        lots = lots.filter(status=status)
    page = Paginator(lots, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "console/lot_list.html", {"page": page, "status": status, "statuses": Lot.Status.choices})


@court_staff_required
def lot_create(request):
    initial = {"case": request.GET.get("case")} if request.method == "GET" else None
    form = LotForm(request.POST or None, court=request.staff.court, initial=initial)
    lot = save_posted(request, form, _("标的物草稿已保存。"))
    if lot is not None:
        return redirect("console:lot_detail", lot.id)
    return render(request, "console/lot_form.html", {"form": form})


@court_staff_required
def lot_edit(request, lot_id):
    lot = access_lot(request.user, lot_id)
    form = LotForm(request.POST or None, court=request.staff.court, instance=lot)
    if save_posted(request, form, _("标的物已更新。")) is not None:
        return redirect("console:lot_detail", lot.id)
    return render(request, "console/lot_form.html", {"form": form, "lot": lot})


def _lot_context(request, lot, **forms):
    court = request.staff.court
    context = {
        "lot": lot,
        "photos": lot.photos.all(),
        "documents": lot.documents.all(),
        "draws": lot.agency_draws.select_related("result", "drawn_by"),
        "references": lot.reference_prices.select_related("agency"),
        "rounds": lot.auctions.select_related("announcement").order_by("-round_no"),
        "photo_form": PhotoUploadForm(court=court, lot=lot),
        "document_form": DocumentUploadForm(court=court, lot=lot),
        "reference_form": ReferencePriceForm(court=court, lot=lot),
        "can_schedule": lot.status in (Lot.Status.DRAFT, Lot.Status.LISTED)
        and not lot.auctions.filter(status__in=auction_services.ACTIVE_STATUSES).exists(),
    }
    context.update(forms)
    return context


@court_staff_required
def lot_detail(request, lot_id):
    lot = access_lot(request.user, lot_id)
    return render(request, "console/lot_detail.html", _lot_context(request, lot))


def _lot_form_post(request, lot_id, form_class, context_name: str, success: str):
    """POST of one of the forms on the lot page; on errors the page is shown again with them."""
    lot = access_lot(request.user, lot_id)
    form = form_class(request.POST, request.FILES, court=request.staff.court, lot=lot)
    if save_posted(request, form, success) is not None:
        return redirect("console:lot_detail", lot.id)
    return render(request, "console/lot_detail.html", _lot_context(request, lot, **{context_name: form}), status=400)


@require_POST
@court_staff_required
def photo_upload(request, lot_id):
    return _lot_form_post(request, lot_id, PhotoUploadForm, "photo_form", _("照片已上传。"))


@require_POST
@court_staff_required
def document_upload(request, lot_id):
    return _lot_form_post(request, lot_id, DocumentUploadForm, "document_form", _("文件已上传。"))


@require_POST
@court_staff_required
def reference_price(request, lot_id):
    return _lot_form_post(request, lot_id, ReferencePriceForm, "reference_form", _("参考价已确定。"))


@require_POST
@court_staff_required
def agency_draw(request, lot_id):
    lot = access_lot(request.user, lot_id)
    try:
        draw = services.draw_agency(lot, request.user)
    except ValidationError as error:
        _error_message(request, error)
    else:
        messages.success(request, _("摇号完成，抽中：%(agency)s。") % {"agency": draw.result.name})
    return redirect("console:lot_detail", lot.id)


# --- Rounds and announcements ------------------------------------------------------------------
@court_staff_required
def round_create(request, lot_id):
    lot = access_lot(request.user, lot_id)
    form = RoundForm(request.POST or None, court=request.staff.court, lot=lot)
    auction = save_posted(request, form, _("拍卖轮次已排期，公告将于设定时间发布。"))
    if auction is not None:
        return redirect("console:round_detail", auction.id)
    status = 400 if form.is_bound else 200
    return render(request, "console/round_form.html", {"form": form, "lot": lot}, status=status)


@court_staff_required
def round_edit(request, auction_id):
    auction = access_auction(request.user, auction_id)
    if auction.status not in auction_services.UNPUBLISHED_STATUSES:
        messages.error(request, _("公告已发布，不能修改轮次；请发布公告更正。"))
        return redirect("console:round_detail", auction.id)
    form = RoundForm(request.POST or None, court=request.staff.court, lot=auction.lot, instance=auction)
    if save_posted(request, form, _("拍卖轮次已更新。")) is not None:
        return redirect("console:round_detail", auction.id)
    status = 400 if form.is_bound else 200
    return render(
        request, "console/round_form.html", {"form": form, "lot": auction.lot, "auction": auction}, status=status
    )


@court_staff_required
def round_detail(request, auction_id):
    auction = access_auction(request.user, auction_id)
    announcement = auction.announcement
    context = {
        "auction": auction,
        "lot": auction.lot,
        "announcement": announcement,
        "sections": announcement_sections(announcement, request.LANGUAGE_CODE),
        "amendments": announcement.amendments.all(),
        "amendment_form": AmendmentForm(court=request.staff.court, auction=auction),
        "editable": auction.status in auction_services.UNPUBLISHED_STATUSES,
        "suspendable": auction.status in lifecycle.CLOSABLE,
        "records": auction.disposal_records.order_by("-at", "-id"),
    }
    return render(request, "console/round_detail.html", context)


def _round_step(request, auction_id, step, success: str):
    """A POST that takes one step on a round through a service; a refusal becomes a message."""
    auction = access_auction(request.user, auction_id)
    try:
        step(auction)
    except ValidationError as error:
        _error_message(request, error)
    except BidError as error:  # the engine's lifecycle refuses with typed errors (FA4)
        messages.error(request, error.as_frame()["message"])
    else:
        messages.success(request, success)
    return redirect("console:round_detail", auction.id)


@require_POST
@court_staff_required
def round_confirm(request, auction_id):
    def confirm(auction):
        auction_services.confirm_round(auction, request.user)

    return _round_step(request, auction_id, confirm, _("轮次已确认，公告将于设定时间自动发布。"))


@require_POST
@court_staff_required
def announcement_publish(request, auction_id):
    def publish(auction):
        auction_services.publish_announcement(auction, request.user)

    return _round_step(request, auction_id, publish, _("拍卖公告已发布。"))


@require_POST
@court_staff_required
def round_suspend(request, auction_id):
    """FA4: suspends an announced or live round; the reason is published."""

    def suspend(auction):
        lifecycle.suspend_round(auction.id, request.user, request.POST.get("reason", ""))

    return _round_step(request, auction_id, suspend, _("拍卖已暂缓。"))


@require_POST
@court_staff_required
def round_resume(request, auction_id):
    """FA4: resumes a suspended round."""

    def resume(auction):
        lifecycle.resume_round(auction.id, request.user, request.POST.get("cause_ended_on"))

    return _round_step(request, auction_id, resume, _("拍卖已恢复。"))


@require_POST
@court_staff_required
def amendment_create(request, auction_id):
    auction = access_auction(request.user, auction_id)
    form = AmendmentForm(request.POST, court=request.staff.court, auction=auction)
    if save_posted(request, form, _("公告更正已发布。")) is None:
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
    return redirect(reverse("console:round_detail", args=[auction.id]) + "#amendments")


# --- Court API tokens --------------------------------------------------------------------------
@court_staff_required
def api_tokens(request):
    court = request.staff.court
    form = ApiTokenForm(request.POST or None, court=court)
    plaintext = None
    issued = save_posted(request, form, _("令牌已签发。"))
    if issued is not None:
        plaintext = issued[1]  # shown on this response only; never stored or shown again
        form = ApiTokenForm(court=court)
    tokens = CourtApiToken.objects.filter(court=court).select_related("created_by").order_by("-created_at")
    response = render(request, "console/api_tokens.html", {"form": form, "tokens": tokens, "plaintext": plaintext})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@court_staff_required
def api_token_revoke(request, token_id):
    token = access_api_token(request.user, token_id)
    services.revoke_api_token(token, request.user)
    messages.success(request, _("令牌已吊销。"))
    return redirect("console:api_tokens")

"""Search and filters over public rounds: one form validates the query for the page and the API.

Every field is capped (lengths, amounts, dates, page numbers) so absurd or oversized input gets a
field message instead of an expensive query or a crash.
"""

from datetime import date

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Case, DecimalField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from lots.models import Court, Lot

from .models import Auction
from .presenters import PHASE_LABELS, phase_q

MAX_QUERY_STRING = 2048  # characters; a real filter URL is far shorter
MAX_PAGE = 500
PAGE_SIZE = 12
MAX_PAGE_SIZE = 50
MAX_PRICE = 10**12
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2100, 12, 31)

SORTS = {
    "": _("默认：正在进行优先"),
    "start": _("开始时间由近及远"),
    "-start": _("开始时间由远及近"),
    "price": _("价格由低到高"),
    "-price": _("价格由高到低"),
    "new": _("最新发布"),
}


class AuctionSearchForm(forms.Form):
    q = forms.CharField(label=_("关键词"), max_length=100, required=False, strip=True)
    court = forms.ModelChoiceField(
        label=_("法院"),
        queryset=Court.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("全部法院"),
    )
    region = forms.CharField(label=_("省份或地区"), max_length=60, required=False, strip=True)
    category = forms.ChoiceField(label=_("类别"), choices=[("", _("全部"))] + Lot.Category.choices, required=False)
    min_price = forms.DecimalField(
        label=_("最低价"), min_value=0, max_value=MAX_PRICE, max_digits=14, decimal_places=2, required=False
    )
    max_price = forms.DecimalField(
        label=_("最高价"), min_value=0, max_value=MAX_PRICE, max_digits=14, decimal_places=2, required=False
    )
    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部"))] + list(PHASE_LABELS.items()), required=False)
    date_from = forms.DateField(label=_("开拍日期从"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("开拍日期至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    loan = forms.ChoiceField(label=_("贷款"), choices=[("", _("不限")), ("yes", _("可贷款"))], required=False)
    restricted = forms.ChoiceField(
        label=_("限购"), choices=[("", _("不限")), ("no", _("不限购")), ("yes", _("限购"))], required=False
    )
    source = forms.ChoiceField(label=_("财产来源"), choices=[("", _("全部"))] + Lot.AssetSource.choices, required=False)
    round = forms.ChoiceField(
        label=_("轮次"),
        choices=[("", _("全部")), ("1", _("一拍")), ("2", _("二拍")), ("sale", _("变卖"))],
        required=False,
    )
    sort = forms.ChoiceField(label=_("排序"), choices=list(SORTS.items()), required=False)
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False, widget=forms.HiddenInput)
    page_size = forms.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False, widget=forms.HiddenInput)

    def clean_date_from(self):
        return _in_range(self.cleaned_data["date_from"])

    def clean_date_to(self):
        return _in_range(self.cleaned_data["date_to"])

    def clean(self):
        data = super().clean()
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", forms.ValidationError(_("最高价不能低于最低价。"), code="price_range"))
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", forms.ValidationError(_("结束日期不能早于开始日期。"), code="date_range"))
        return data


def _in_range(day: date | None) -> date | None:
    if day is not None and not FIRST_DATE <= day <= LAST_DATE:
        raise forms.ValidationError(
            _("日期须在%(first)s至%(last)s之间。"),
            code="date_out_of_range",
            params={"first": FIRST_DATE.isoformat(), "last": LAST_DATE.isoformat()},
        )
    return day


def _ordered(auctions: QuerySet, sort: str, now) -> QuerySet:
    if sort == "start":
        return auctions.order_by("starts_at", "id")
    if sort == "-start":
        return auctions.order_by("-starts_at", "-id")
    if sort == "price":
        return auctions.order_by("effective_price", "id")
    if sort == "-price":
        return auctions.order_by("-effective_price", "-id")
    if sort == "new":
        return auctions.order_by("-announcement__published_at", "-id")
    # Default: live rounds ending soonest, then upcoming starting soonest, then the rest, newest first.
    rank = Case(
        When(phase_q("live", now), then=Value(0)),
        When(phase_q("upcoming", now), then=Value(1)),
        When(status="suspended", then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    soonest = Case(When(phase_q("live", now), then=F("ends_at")), When(phase_q("upcoming", now), then=F("starts_at")))
    return auctions.annotate(rank=rank).order_by("rank", soonest.asc(nulls_last=True), "-ends_at", "-id")


def search(auctions: QuerySet, data: dict, now) -> QuerySet:
    """Applies a valid form's cleaned_data to a queryset of public rounds."""
    auctions = auctions.annotate(
        # The price a bidder would pay now: the current bid, else the starting price.
        effective_price=Coalesce(
            "current_price", "starting_price", output_field=DecimalField(max_digits=14, decimal_places=2)
        )
    )
    if text := data.get("q"):
        auctions = auctions.filter(
            Q(lot__title__icontains=text) | Q(lot__description__icontains=text) | Q(lot__location__icontains=text)
        )
    if court := data.get("court"):
        auctions = auctions.filter(lot__court=court)
    if region := data.get("region"):
        auctions = auctions.filter(Q(lot__court__province=region) | Q(lot__court__region__icontains=region))
    if category := data.get("category"):
        auctions = auctions.filter(lot__category=category)
    if data.get("min_price") is not None:
        auctions = auctions.filter(effective_price__gte=data["min_price"])
    if data.get("max_price") is not None:
        auctions = auctions.filter(effective_price__lte=data["max_price"])
    if status := data.get("status"):
        auctions = auctions.filter(phase_q(status, now))
    if data.get("loan") == "yes":
        auctions = auctions.exclude(lot__loan_offers=[])
    if data.get("restricted") == "yes":
        auctions = auctions.exclude(lot__purchase_restriction="")
    elif data.get("restricted") == "no":
        auctions = auctions.filter(lot__purchase_restriction="")
    if source := data.get("source"):
        auctions = auctions.filter(lot__asset_source=source)
    if round_ := data.get("round"):
        if round_ == "sale":
            auctions = auctions.filter(kind=Auction.Kind.SALE)
        else:
            auctions = auctions.filter(kind=Auction.Kind.AUCTION, round_no=int(round_))
    if data.get("date_from"):
        auctions = auctions.filter(starts_at__date__gte=data["date_from"])
    if data.get("date_to"):
        auctions = auctions.filter(starts_at__date__lte=data["date_to"])
    return _ordered(auctions, data.get("sort") or "", now)


def paginate(auctions: QuerySet, data: dict) -> Page:
    """A page past the end shows the last page rather than an error."""
    paginator = Paginator(auctions, data.get("page_size") or PAGE_SIZE)
    return paginator.get_page(data.get("page") or 1)


def regions() -> list[str]:
    """Provinces that have courts, for the region select."""
    return sorted(set(Court.objects.values_list("province", flat=True)))

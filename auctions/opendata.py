"""Open data (issue 9 item 6): announcements and results of public rounds as JSON or CSV downloads.

Public and free of charge, for researchers and buyers; documented in docs/open-data.md and at
/api/docs. The same AN5 masking as the lot page applies: no party names of natural persons, ID or
phone numbers or door numbers; bidders appear only by their bidder code (BD3). Only rounds the
public may see are included (announcement out, case not closed: PD4). Rows are streamed from the
database in chunks, so a download of years is no heavier for the server than one of a day.

Filters: `from` and `to` (dates, YYYY-MM-DD, inclusive; announcements by publication date, results
by end date) and `court` (a court's code). Anything else wrong is a 400 that names the field.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta

from django import forms
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema

from lots.api import ERRORS, error_entries
from lots.api_auth import ApiError
from lots.models import Court

from . import clock, presenters, search
from .models import Auction

MAX_QUERY_STRING = 512
CHUNK = 500
router = Router(tags=["open data · 开放数据"])

ANNOUNCEMENT_COLUMNS = (
    "auction_id",
    "court_code",
    "court_name",
    "case_number",
    "title",
    "category",
    "asset_source",
    "location",
    "kind",
    "round_no",
    "round_label",
    "starting_price",
    "increment",
    "deposit",
    "reference_price",
    "published_at",
    "starts_at",
    "scheduled_end_at",
    "status",
    "url",
)
RESULT_COLUMNS = (
    "auction_id",
    "court_code",
    "court_name",
    "case_number",
    "title",
    "category",
    "asset_source",
    "kind",
    "round_no",
    "round_label",
    "status",
    "starting_price",
    "reference_price",
    "final_price",
    "bid_count",
    "registration_count",
    "extension_count",
    "winner_code",
    "starts_at",
    "ends_at",
    "url",
)


class OpenDataFilter(forms.Form):
    """Validates the filters; the same bounds as the search page's dates."""

    date_from = forms.DateField(label=gettext_lazy("开始日期"), required=False, input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(label=gettext_lazy("结束日期"), required=False, input_formats=["%Y-%m-%d"])
    court = forms.CharField(label=gettext_lazy("法院代字"), max_length=12, required=False)

    def clean_date_from(self):
        return search._in_range(self.cleaned_data["date_from"])

    def clean_date_to(self):
        return search._in_range(self.cleaned_data["date_to"])

    def clean_court(self):
        code = self.cleaned_data["court"]
        if not code:
            return None
        court = Court.objects.filter(code=code).first()
        if court is None:
            raise forms.ValidationError(_("没有代字为“%(code)s”的法院。"), code="unknown_court", params={"code": code})
        return court

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", forms.ValidationError(_("结束日期不能早于开始日期。"), code="date_range"))
        return data


class OpenDataQuery(Schema):
    """Filters of every open-data download (all optional); documented here, validated by the form."""

    from_: str | None = Field(None, alias="from", description="YYYY-MM-DD")
    to: str | None = Field(None, description="YYYY-MM-DD")
    court: str | None = Field(None, description="法院代字，如 京0105")


def _filters(request) -> dict:
    """The cleaned filters, or a 400 ApiError naming each bad field (`from`, `to`, `court`)."""
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
        raise ApiError(400, "query_too_long", _("查询条件过长。"))
    unknown = set(request.GET) - {"from", "to", "court"}
    if unknown:
        raise ApiError(
            400,
            "validation_error",
            _("筛选条件有误：%(names)s 不是可用的筛选条件（可用 from、to、court）。")
            % {"names": ", ".join(sorted(unknown))[:100]},
        )
    form = OpenDataFilter(
        {
            "date_from": request.GET.get("from", ""),
            "date_to": request.GET.get("to", ""),
            "court": request.GET.get("court", ""),
        }
    )
    if not form.is_valid():
        renamed = {
            {"date_from": "from", "date_to": "to"}.get(name, name): errors
            for name, errors in form.errors.as_data().items()
        }
        raise ApiError(400, "validation_error", _("筛选条件有误，请按字段提示修改。"), error_entries(renamed))
    return form.cleaned_data


def _day_bounds(field: str, start: date | None, end: date | None) -> dict:
    zone = timezone.get_current_timezone()
    bounds = {}
    if start:
        bounds[f"{field}__gte"] = timezone.make_aware(datetime.combine(start, time.min), zone)
    if end:
        bounds[f"{field}__lt"] = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone)
    return bounds


def announcements(filters: dict, now: datetime | None = None) -> QuerySet:
    now = now or clock.now()
    rounds = presenters.public_auctions(now).filter(
        **_day_bounds("announcement__published_at", filters.get("date_from"), filters.get("date_to"))
    )
    if filters.get("court"):
        rounds = rounds.filter(lot__court=filters["court"])
    return rounds.order_by("announcement__published_at", "id")


def results(filters: dict, now: datetime | None = None) -> QuerySet:
    now = now or clock.now()
    rounds = presenters.public_auctions(now).filter(
        status__in=(Auction.Status.SOLD, Auction.Status.FAILED),
        **_day_bounds("ends_at", filters.get("date_from"), filters.get("date_to")),
    )
    if filters.get("court"):
        rounds = rounds.filter(lot__court=filters["court"])
    return (
        rounds.select_related("leading_bid__registration")
        .annotate(registration_total=Count("registrations", distinct=True))
        .order_by("ends_at", "id")
    )


def _iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _common(auction: Auction, base_url: str) -> tuple[dict, presenters.Masker]:
    lot, court = auction.lot, auction.lot.court
    mask = presenters.Masker(lot.case, lot)
    reference = presenters._reference(lot)
    return {
        "auction_id": auction.pk,
        "court_code": court.code,
        "court_name": court.name,
        "case_number": lot.case.number,
        "title": mask(lot.title),
        "category": lot.category,
        "asset_source": lot.asset_source,
        "kind": auction.kind,
        "round_no": auction.round_no,
        "round_label": auction.round_label,
        "starting_price": _money(auction.starting_price.amount),
        "reference_price": _money(reference.value.amount) if reference else None,
        "url": f"{base_url}/auctions/{auction.pk}/",
    }, mask


def announcement_row(auction: Auction, base_url: str) -> dict:
    row, mask = _common(auction, base_url)
    row.update(
        location=mask(auction.lot.location),
        increment=_money(auction.increment.amount),
        deposit=_money(auction.deposit.amount),
        published_at=_iso(auction.announcement.published_at),
        starts_at=_iso(auction.starts_at),
        scheduled_end_at=_iso(auction.scheduled_end_at),
        status=auction.status,
    )
    return {column: row[column] for column in ANNOUNCEMENT_COLUMNS}


def result_row(auction: Auction, base_url: str) -> dict:
    row, _mask = _common(auction, base_url)
    sold = auction.status == Auction.Status.SOLD
    winner = auction.leading_bid.registration.code if sold and auction.leading_bid_id else None
    row.update(
        status=auction.status,
        final_price=_money(auction.current_price.amount) if sold and auction.current_price is not None else None,
        bid_count=auction.bid_count,
        registration_count=auction.registration_total,
        extension_count=auction.extension_count,
        winner_code=winner,
        starts_at=_iso(auction.starts_at),
        ends_at=_iso(auction.ends_at),
    )
    return {column: row[column] for column in RESULT_COLUMNS}


def _rows(rounds: QuerySet, build, base_url: str) -> Iterator[dict]:
    for auction in rounds.iterator(chunk_size=CHUNK):
        yield build(auction, base_url)


def stream_json(rows: Iterable[dict], meta: dict) -> Iterator[str]:
    """One JSON document, written row by row: {"dataset", "filters", "generated_at", "results": [...]}."""
    head = json.dumps(meta, cls=DjangoJSONEncoder, ensure_ascii=False)
    yield head[:-1] + ', "results": ['
    for index, row in enumerate(rows):
        yield ("," if index else "") + "\n" + json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False)
    yield "\n]}\n"


def stream_csv(rows: Iterable[dict], columns: tuple[str, ...]) -> Iterator[str]:
    """UTF-8 CSV with a byte-order mark, so spreadsheet programs read the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    buffer.write("\ufeff")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def download(request, dataset: str, fmt: str) -> StreamingHttpResponse:
    filters = _filters(request)
    now = clock.now()
    base_url = request.build_absolute_uri("/").rstrip("/")
    if dataset == "announcements":
        rounds, build, columns = announcements(filters, now), announcement_row, ANNOUNCEMENT_COLUMNS
    else:
        rounds, build, columns = results(filters, now), result_row, RESULT_COLUMNS
    rows = _rows(rounds, build, base_url)
    stamp = timezone.localtime(now).strftime("%Y%m%d")
    if fmt == "csv":
        response = StreamingHttpResponse(stream_csv(rows, columns), content_type="text/csv; charset=utf-8")
    else:
        meta = {
            "dataset": dataset,
            "filters": {
                "from": filters.get("date_from"),
                "to": filters.get("date_to"),
                "court": filters["court"].code if filters.get("court") else None,
            },
            "generated_at": _iso(now),
            "licence": "CC BY 4.0",
        }
        response = StreamingHttpResponse(stream_json(rows, meta), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dataset}-{stamp}.{fmt}"'
    response["Cache-Control"] = "public, max-age=300"
    return response


# The file streams as it is written (200); refusals are the API's usual error bodies.
DOWNLOAD_RESPONSES = {200: None, **ERRORS}
FILTER_DOC = (
    "筛选（均可省略）：from、to 为 YYYY-MM-DD（含当天），court 为法院代字。数据逐行流式输出，个人信息已按 AN5 脱敏。"
)


DATASETS = {"announcements": "拍卖公告", "results": "拍卖结果"}


def _register(dataset: str, fmt: str) -> None:
    """GET /open-data/<dataset>.<fmt>, with the operation id and URL name `<dataset>_<fmt>`."""

    def endpoint(request, filters: Query[OpenDataQuery]):
        return download(request, dataset, fmt)

    endpoint.__name__ = endpoint.__qualname__ = f"{dataset}_{fmt}"
    router.get(
        f"/open-data/{dataset}.{fmt}",
        response=DOWNLOAD_RESPONSES,
        summary=f"开放数据：{DATASETS[dataset]}（{fmt.upper()}）",
        description=FILTER_DOC,
    )(endpoint)


for _dataset in DATASETS:
    for _fmt in ("json", "csv"):
        _register(_dataset, _fmt)


def open_data_page(request):
    """The human entry to the downloads: what each file holds, a filter form, the links."""
    from django.shortcuts import render

    context = {
        "courts": Court.objects.order_by("code"),
        "announcement_columns": ANNOUNCEMENT_COLUMNS,
        "result_columns": RESULT_COLUMNS,
    }
    return render(request, "auctions/open_data.html", context)

"""Court pages and the auction calendar: public, read-only, built from `presenters.public_auctions`.

A court's page lists its rounds that are running or coming, and its results; the calendar shows
the rounds starting in one month across courts, as a month grid (a count per day on a phone) and
as a list by day. Bad month or court values get a 400 page that says what to fix.
"""

import calendar as pycalendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from lots.models import Court

from . import clock, presenters, search
from .models import Auction

COURT_LIMIT = 24
RESULTS_LIMIT = 20
WEEKDAYS = [
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
]
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
MAX_QUERY_STRING = 512
FIRST_YEAR, LAST_YEAR = search.FIRST_DATE.year, search.LAST_DATE.year


@dataclass(frozen=True)
class CourtSummary:
    court: Court
    upcoming: int
    live: int
    sold: int


@require_GET
def court_list(request):
    now = clock.now()
    public = presenters.public_auctions(now)
    rows = {
        row["lot__court"]: row
        for row in public.order_by()
        .values("lot__court")
        .annotate(
            upcoming=Count("id", filter=presenters.phase_q("upcoming", now)),
            live=Count("id", filter=presenters.phase_q("live", now)),
            sold=Count("id", filter=Q(status=Auction.Status.SOLD)),
        )
    }
    courts = [
        CourtSummary(
            court,
            rows.get(court.pk, {}).get("upcoming", 0),
            rows.get(court.pk, {}).get("live", 0),
            rows.get(court.pk, {}).get("sold", 0),
        )
        for court in Court.objects.order_by("province", "code")
    ]
    return render(request, "auctions/court_list.html", {"courts": courts})


@require_GET
def court_page(request, code: str):
    """One court: contact, its running and coming rounds, its results and their totals."""
    court = get_object_or_404(Court, code=code)
    now = clock.now()
    public = presenters.public_auctions(now).filter(lot__court=court)
    running = public.filter(presenters.phase_q("live", now) | presenters.phase_q("upcoming", now))
    results = public.filter(status__in=(Auction.Status.SOLD, Auction.Status.FAILED)).order_by("-ends_at", "-id")
    totals = results.order_by().aggregate(
        sold=Count("id", filter=Q(status=Auction.Status.SOLD)),
        failed=Count("id", filter=Q(status=Auction.Status.FAILED)),
        proceeds=Sum("current_price", filter=Q(status=Auction.Status.SOLD)),
    )
    context = {
        "court": court,
        "running": presenters.cards(running.order_by("starts_at", "id")[:COURT_LIMIT], now),
        "results": presenters.cards(results[:RESULTS_LIMIT], now),
        "sold_count": totals["sold"],
        "failed_count": totals["failed"],
        "proceeds_text": presenters.yuan(totals["proceeds"]) if totals["proceeds"] is not None else "—",
        "server_now_ms": int(now.timestamp() * 1000),
    }
    return render(request, "auctions/court.html", context)


@dataclass(frozen=True)
class Day:
    day: date
    in_month: bool
    is_today: bool
    cards: list

    @property
    def anchor(self) -> str:
        return f"day-{self.day.isoformat()}"


def _parse_month(raw: str | None, today: date) -> date:
    if not raw:
        return today.replace(day=1)
    match = MONTH_RE.match(raw)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(_("月份格式应为 YYYY-MM，例如 %(example)s。") % {"example": today.strftime("%Y-%m")})
    year, month = int(match.group(1)), int(match.group(2))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(_("月份须在%(first)s年至%(last)s年之间。") % {"first": FIRST_YEAR, "last": LAST_YEAR})
    return date(year, month, 1)


@require_GET
def auction_calendar(request):
    """Rounds starting in one month across courts (`?month=YYYY-MM`, optional `?court=<code>`)."""
    now = clock.now()
    today = timezone.localtime(now).date()
    context = {
        "courts": Court.objects.order_by("code"),
        "weekday_names": WEEKDAYS,
        "server_now_ms": int(now.timestamp() * 1000),
    }
    errors = []
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
        errors.append(_("查询条件过长。"))
        first = today.replace(day=1)
        court = None
    else:
        try:
            first = _parse_month(request.GET.get("month"), today)
        except ValueError as error:
            errors.append(str(error))
            first = today.replace(day=1)
        court = None
        if code := request.GET.get("court"):
            court = Court.objects.filter(code=code[:20]).first()
            if court is None:
                errors.append(_("没有代字为“%(code)s”的法院。") % {"code": code[:20]})
    if errors:
        context.update(errors=errors, month=first, weeks=[], days=[])
        return render(request, "auctions/calendar.html", context, status=400)

    last = date(first.year, first.month, pycalendar.monthrange(first.year, first.month)[1])
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()), zone)
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), datetime.min.time()), zone)
    rounds = presenters.public_auctions(now).filter(starts_at__gte=start, starts_at__lt=end).order_by("starts_at", "id")
    if court is not None:
        rounds = rounds.filter(lot__court=court)
    by_day: dict[date, list] = {}
    for card in presenters.cards(rounds, now):
        by_day.setdefault(timezone.localtime(card.starts_at).date(), []).append(card)
    weeks = [
        [Day(day, day.month == first.month, day == today, by_day.get(day, [])) for day in week]
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ]
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    context.update(
        month=first,
        weeks=weeks,
        days=[day for week in weeks for day in week if day.in_month and day.cards],
        court=court,
        previous=previous.strftime("%Y-%m") if previous.year >= FIRST_YEAR else None,
        following=following.strftime("%Y-%m") if following.year <= LAST_YEAR else None,
        total=sum(len(cards) for cards in by_day.values()),
    )
    return render(request, "auctions/calendar.html", context)

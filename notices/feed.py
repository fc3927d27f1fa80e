"""Public notices (issue 6 item 7): announcements, amendments, results, suspensions and
withdrawals in one feed, read from the rows that already record them, so no other code writes
into it.

One UNION query orders and pages the entries of all five kinds; the page's rows are then loaded
in bulk and worded. Free text the court wrote (amendments, published reasons) is masked (AN5).
Listings about a closed case are left out (PD4, `shielding`).
"""

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import CharField, F, Value
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from auctions.models import Announcement, AnnouncementAmendment, Auction
from auctions.presenters import Masker, yuan
from lots.models import Court, DisposalRecord

from . import shielding

PAGE_SIZE = 20
MAX_PAGE = 500
FEED_SIZE = 50


class NoticeKind:
    ANNOUNCEMENT = "announcement"
    AMENDMENT = "amendment"
    RESULT = "result"
    SUSPENSION = "suspension"
    WITHDRAWAL = "withdrawal"


KIND_LABELS = {
    NoticeKind.ANNOUNCEMENT: pgettext_lazy("notice kind", "拍卖公告"),
    NoticeKind.AMENDMENT: pgettext_lazy("notice kind", "公告更正"),
    NoticeKind.RESULT: pgettext_lazy("notice kind", "拍卖结果"),
    NoticeKind.SUSPENSION: pgettext_lazy("notice kind", "暂缓拍卖"),
    NoticeKind.WITHDRAWAL: pgettext_lazy("notice kind", "撤回拍卖"),
}


class NoticeFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("类型"), choices=[("", gettext_lazy("全部"))] + list(KIND_LABELS.items()), required=False
    )
    court = forms.ModelChoiceField(
        label=gettext_lazy("法院"),
        queryset=Court.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("全部法院"),
    )
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False, widget=forms.HiddenInput)


@dataclass(frozen=True)
class Entry:
    kind: str
    kind_label: str
    at: datetime
    title: str
    summary: str
    url: str
    court_name: str
    uid: str


def _rows(kind: str, queryset, at: str, auction: str):
    return (
        queryset.order_by()
        .annotate(n_kind=Value(kind, output_field=CharField()), n_at=F(at), n_auction=F(auction))
        .values_list("n_kind", "n_at", "pk", "n_auction")
    )


def entries(now: datetime, *, kind: str = "", court: Court | None = None):
    """The feed's rows as (kind, at, pk, auction_id), newest first: one UNION query."""
    public_rounds = Auction.objects.filter(
        status__in=Auction.PUBLIC_STATUSES, announcement__published_at__lte=now
    ).exclude(shielding.shielded_q("lot__case"))
    if court is not None:
        public_rounds = public_rounds.filter(lot__court=court)

    def published_step(notice_kind: str, step: str):
        """The disposal records of `step` on public rounds (a suspension's or withdrawal's reason)."""
        return lambda: _rows(
            notice_kind,
            DisposalRecord.objects.filter(kind=step, auction__in=public_rounds, at__lte=now),
            "at",
            "auction_id",
        )

    parts = {
        NoticeKind.ANNOUNCEMENT: lambda: _rows(
            NoticeKind.ANNOUNCEMENT,
            Announcement.objects.filter(auction__in=public_rounds),
            "published_at",
            "auction_id",
        ),
        NoticeKind.AMENDMENT: lambda: _rows(
            NoticeKind.AMENDMENT,
            AnnouncementAmendment.objects.filter(announcement__auction__in=public_rounds, published_at__lte=now),
            "published_at",
            "announcement__auction_id",
        ),
        NoticeKind.RESULT: lambda: _rows(
            NoticeKind.RESULT,
            Auction.objects.filter(
                pk__in=public_rounds.values("pk"),
                status__in=(Auction.Status.SOLD, Auction.Status.FAILED),
                closed_at__lte=now,
            ),
            "closed_at",
            "id",
        ),
        NoticeKind.SUSPENSION: published_step(NoticeKind.SUSPENSION, DisposalRecord.Kind.ROUND_SUSPENDED),
        NoticeKind.WITHDRAWAL: published_step(NoticeKind.WITHDRAWAL, DisposalRecord.Kind.ROUND_WITHDRAWN),
    }
    chosen = [parts[kind]()] if kind in parts else [build() for build in parts.values()]
    first, *rest = chosen
    union = first.union(*rest, all=True) if rest else first
    return union.order_by("-n_at", "-pk")


def page_of(now: datetime, data: dict) -> Page:
    paginator = Paginator(entries(now, kind=data.get("kind") or "", court=data.get("court")), PAGE_SIZE)
    return paginator.get_page(data.get("page") or 1)


def hydrate(rows) -> list[Entry]:
    """Words the rows of one page; a constant number of queries whatever the page holds."""
    rows = list(rows)
    auction_ids = {row[3] for row in rows}
    auctions = {
        auction.pk: auction
        for auction in Auction.objects.filter(pk__in=auction_ids)
        .select_related("lot", "lot__court", "lot__case", "announcement", "leading_bid__registration")
        .prefetch_related("lot__case__parties")
    }
    amendments = AnnouncementAmendment.objects.in_bulk([row[2] for row in rows if row[0] == NoticeKind.AMENDMENT])
    records = DisposalRecord.objects.in_bulk(
        [row[2] for row in rows if row[0] in (NoticeKind.SUSPENSION, NoticeKind.WITHDRAWAL)]
    )
    maskers: dict[int, Masker] = {}

    def mask(auction: Auction, text: str) -> str:
        if auction.pk not in maskers:
            maskers[auction.pk] = Masker(auction.lot.case, auction.lot)
        return maskers[auction.pk](text)

    result = []
    for kind, at, pk, auction_id in rows:
        auction = auctions[auction_id]
        lot = auction.lot
        url = reverse("auction_detail", args=[auction.pk])
        if kind == NoticeKind.ANNOUNCEMENT:
            title = _("拍卖公告：%(lot)s（%(round)s）") % {"lot": lot.title, "round": auction.round_label}
            summary = _("%(court)s定于 %(start)s 至 %(end)s 公开拍卖，起拍价 %(price)s，保证金 %(deposit)s。") % {
                "court": lot.court.name,
                "start": _local(auction.starts_at),
                "end": _local(auction.scheduled_end_at),
                "price": yuan(auction.starting_price.amount),
                "deposit": yuan(auction.deposit.amount),
            }
            url = reverse("auction_announcement", args=[auction.pk])
        elif kind == NoticeKind.AMENDMENT:
            amendment = amendments[pk]
            title = _("公告更正：%(lot)s（第%(seq)s次）") % {"lot": lot.title, "seq": amendment.seq}
            summary = _("更正原因：%(reason)s。%(text)s") % {
                "reason": mask(auction, amendment.reason),
                "text": mask(auction, amendment.text),
            }
            url = reverse("auction_announcement", args=[auction.pk])
        elif kind == NoticeKind.RESULT:
            url = _result_url(auction.pk)
            if auction.status == Auction.Status.SOLD:
                title = _("成交结果：%(lot)s") % {"lot": lot.title}
                code = auction.leading_bid.registration.code if auction.leading_bid else "—"
                summary = _("%(at)s 竞价结束，竞买号 %(code)s 以 %(price)s 竞得。") % {
                    "at": _local(at),
                    "code": code,
                    "price": yuan(auction.current_price.amount if auction.current_price else None),
                }
            else:
                title = _("流拍：%(lot)s") % {"lot": lot.title}
                summary = _("%(at)s 竞价结束，无有效出价，本轮流拍。") % {"at": _local(at)}
        else:
            record = records[pk]
            reason = mask(auction, str(record.detail.get("reason", "")))
            if kind == NoticeKind.SUSPENSION:
                title = _("暂缓拍卖：%(lot)s") % {"lot": lot.title}
                summary = _("暂缓原因：%(reason)s") % {"reason": reason}
            else:
                title = _("撤回拍卖：%(lot)s") % {"lot": lot.title}
                summary = _("撤回原因：%(reason)s") % {"reason": reason}
                url = _result_url(auction.pk)
        result.append(
            Entry(
                kind=kind,
                kind_label=str(KIND_LABELS[kind]),
                at=at,
                title=title,
                summary=summary,
                url=url,
                court_name=lot.court.name,
                uid=f"{kind}-{pk}",
            )
        )
    return result


def _result_url(auction_id: int) -> str:
    """The round's public result notice (notices/result_views.py)."""
    return reverse("results:result", args=[auction_id])


def _local(moment: datetime | None) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"

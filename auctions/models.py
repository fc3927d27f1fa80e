"""Auction rounds, their announcements and amendments, and the per-round event log.

Rows change only through auctions/services.py (scheduling, publishing, the clock) and
bidding/services.py (bids), always under the round's row lock.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lots.models import Lot, money_field


class Auction(models.Model):
    """One round of sale of a lot: a first auction, a re-auction, or a 变卖 sale (FA2)."""

    class Kind(models.TextChoices):
        AUCTION = "auction", _("拍卖")
        SALE = "sale", _("变卖")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SCHEDULED = "scheduled", _("待发布公告")
        ANNOUNCED = "announced", _("即将开始")
        LIVE = "live", _("正在进行")
        SUSPENDED = "suspended", _("暂缓")
        SOLD = "sold", _("已成交")
        FAILED = "failed", _("流拍")
        WITHDRAWN = "withdrawn", _("已撤回")

    OPEN_STATUSES = frozenset({Status.ANNOUNCED, Status.LIVE, Status.SUSPENDED})
    ENDED_STATUSES = frozenset({Status.SOLD, Status.FAILED, Status.WITHDRAWN})
    PUBLIC_STATUSES = frozenset(
        {
            Status.ANNOUNCED,
            Status.LIVE,
            Status.SUSPENDED,
            Status.SOLD,
            Status.FAILED,
            Status.WITHDRAWN,
        }
    )

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="auctions")
    kind = models.CharField(_("方式"), max_length=8, choices=Kind.choices, default=Kind.AUCTION)
    round_no = models.PositiveSmallIntegerField(_("轮次"), default=1)
    previous = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_round")
    starting_price = money_field(_("起拍价"))
    increment = money_field(_("加价幅度"))
    deposit = money_field(_("保证金"))
    announce_at = models.DateTimeField(_("公告发布时间"))
    starts_at = models.DateTimeField(_("竞价开始时间"))
    scheduled_end_at = models.DateTimeField(_("原定结束时间"))
    ends_at = models.DateTimeField(_("结束时间"), help_text=_("含延时"))
    balance_due_at = models.DateTimeField(_("尾款截止时间"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)

    current_price = money_field(_("当前价"), null=True, blank=True)
    leading_bid = models.ForeignKey("bidding.Bid", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    bid_count = models.PositiveIntegerField(default=0)
    extension_count = models.PositiveIntegerField(_("延时次数"), default=0)
    event_seq = models.PositiveBigIntegerField(default=0)
    bid_log_head = models.CharField(max_length=64, blank=True, help_text=_("出价记录哈希链的最新哈希（BI4）"))
    closed_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["status", "ends_at"]),
            models.Index(fields=["status", "announce_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["lot", "round_no", "kind"], name="one_round_per_number"),
        ]
        verbose_name = _("拍卖轮次")
        verbose_name_plural = _("拍卖轮次")

    def __str__(self):
        return f"{self.lot.title} · {self.round_label}"

    @property
    def round_label(self) -> str:
        """一拍 / 二拍 / 变卖: the badge bidders know from other platforms."""
        if self.kind == self.Kind.SALE:
            return str(_("变卖"))
        labels = {1: _("一拍"), 2: _("二拍"), 3: _("三拍")}
        return str(labels.get(self.round_no, _("第%(n)s轮") % {"n": self.round_no}))

    @property
    def outage_notice(self):
        """FA7: the published reason of this round's latest outage extension, or None."""
        from .outage import published_notice

        return published_notice(self)


class Announcement(models.Model):
    """The 拍卖公告 of a round (AN3, AN4). Frozen at publication; corrected only by amendments (AN6)."""

    auction = models.OneToOneField(Auction, on_delete=models.PROTECT, related_name="announcement")
    court_text = models.TextField(_("法院补充内容"), blank=True)
    sections = models.JSONField(_("公告内容"), default=list, help_text=_("发布时冻结的 AN3/AN4 各项"))
    publish_at = models.DateTimeField(_("发布时间"))
    published_at = models.DateTimeField(_("实际发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("拍卖公告")
        verbose_name_plural = _("拍卖公告")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class AnnouncementAmendment(models.Model):
    """A published correction of an announcement; the history is kept in order (AN6)."""

    announcement = models.ForeignKey(Announcement, on_delete=models.PROTECT, related_name="amendments")
    seq = models.PositiveIntegerField()
    text = models.TextField(_("更正内容"))
    reason = models.CharField(_("更正原因"), max_length=200)
    published_at = models.DateTimeField(_("发布时间"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["announcement", "seq"], name="amendment_seq_unique")]


class AuctionEvent(models.Model):
    """Every broadcast of a round, numbered without gaps; clients replay or resync from it."""

    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=24)
    payload = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["auction", "seq"]
        constraints = [models.UniqueConstraint(fields=["auction", "seq"], name="auction_event_seq_unique")]


class ServiceHeartbeat(models.Model):
    """The last sign of life of one process that can accept bids (a web process) or runs the
    auction clock; the clock reads them to tell when no bid could be accepted (FA7, auctions/outage.py)."""

    class Role(models.TextChoices):
        WEB = "web", _("网站进程")
        CLOCK = "clock", _("拍卖时钟")

    name = models.CharField(max_length=120, unique=True, help_text=_("主机名:进程号"))
    role = models.CharField(max_length=8, choices=Role.choices)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["role", "beat_at"])]


class OutageWindow(models.Model):
    """A period in which the platform could not accept bids (FA7). Open while `ended_at` is empty;
    once closed, live rounds whose final 5 minutes it overlapped are extended (auctions/outage.py)."""

    class Cause(models.TextChoices):
        WEB_DOWN = "web_down", _("全部网站进程停止")
        DATABASE = "database", _("数据库不可用")
        CLOCK_STALLED = "clock_stalled", _("拍卖时钟停顿")

    cause = models.CharField(max_length=16, choices=Cause.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True, help_text=_("受影响的轮次已延时"))
    extended_rounds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cause"], condition=models.Q(ended_at__isnull=True), name="one_open_outage_per_cause"
            ),
        ]

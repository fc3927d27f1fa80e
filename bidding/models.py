"""Bidders, registrations with bidder codes, confirmed priority rights and the public bid record."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from auctions.models import Auction
from lots.models import money_field
from lots.pii import EncryptedTextField


class BidderProfile(models.Model):
    """A real-name bidder (BD1). The full ID number is stored only encrypted and as a keyed hash."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bidder")
    real_name = models.CharField(_("真实姓名"), max_length=40)
    id_number = EncryptedTextField(_("身份证号码"))
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("身份证号码"), max_length=32, editable=False)
    phone = EncryptedTextField(_("手机号码"))
    phone_masked = models.CharField(_("手机号码"), max_length=24, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("竞买人")
        verbose_name_plural = _("竞买人")

    def __str__(self):
        return f"{self.real_name[:1]}* ({self.id_number_masked})"


class PriorityRight(models.Model):
    """A priority-right holder confirmed and ranked by the court before bidding (BD5)."""

    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="priority_rights")
    name = models.CharField(_("姓名或名称"), max_length=100)
    id_number_hash = models.CharField(max_length=64, editable=False)
    id_number_masked = models.CharField(_("证件号码"), max_length=32, editable=False)
    rank = models.PositiveSmallIntegerField(_("顺位"), help_text=_("1 为最优先"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField()

    class Meta:
        ordering = ["auction", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["auction", "id_number_hash"], name="priority_right_once_per_person")
        ]


class RegistrationQuerySet(models.QuerySet):
    """A registration is kept as it was made: the bid writer keeps the registrations it has read
    (`services.KnownRegistrations`), and bids and deposits refer to it."""

    def delete(self):
        raise PermissionError("A registration is kept as it was made: registrations are never deleted.")

    def update(self, **kwargs):
        raise PermissionError("A registration is kept as it was made: registrations are never changed.")


class Registration(models.Model):
    """A bidder's registration for one round, with its public bidder code (BD3)."""

    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registrations")
    code = models.CharField(_("竞买号"), max_length=12)
    priority_rank = models.PositiveSmallIntegerField(_("优先购买权顺位"), null=True, blank=True)
    is_applicant = models.BooleanField(_("申请执行人"), default=False)
    terms_accepted_at = models.DateTimeField(_("接受竞买须知时间"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["auction", "id"]
        constraints = [
            models.UniqueConstraint(fields=["auction", "user"], name="one_registration_per_auction"),
            models.UniqueConstraint(fields=["auction", "code"], name="bidder_code_unique"),
        ]
        verbose_name = _("竞买报名")
        verbose_name_plural = _("竞买报名")

    def __str__(self):
        return self.code


class BidQuerySet(models.QuerySet):
    def delete(self):
        raise PermissionError("The bid record is kept for good (BI4): bids are never deleted.")

    def update(self, **kwargs):
        raise PermissionError("The bid record is append-only (BI4): bids are never changed.")


class Bid(models.Model):
    """An accepted bid. Append-only and hash-chained: each row commits to the previous one (BI4)."""

    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="bids")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="bids")
    seq = models.PositiveIntegerField(help_text=_("本轮第几次出价"))
    amount = money_field(_("出价"))
    received_at = models.DateTimeField(_("出价时间"))
    is_priority = models.BooleanField(default=False)
    client_bid_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = BidQuerySet.as_manager()

    class Meta:
        ordering = ["auction", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["auction", "seq"], name="bid_seq_unique"),
            models.UniqueConstraint(
                fields=["registration", "client_bid_id"],
                condition=~models.Q(client_bid_id=""),
                name="bid_client_id_unique",
            ),
        ]
        verbose_name = _("出价记录")
        verbose_name_plural = _("出价记录")

    def delete(self, *args, **kwargs):
        raise PermissionError("The bid record is kept for good (BI4): bids are never deleted.")


# --- The identity audit log (PD1, AN5): one append-only row per bidder shown to staff, per page
# or export, written by bidding/identity_audit.py. -------------------------------------------------


class IdentityView(models.Model):
    class Purpose(models.TextChoices):
        DEPOSITS_PAGE = "deposits_page", _("保证金页面")
        DEPOSITS_CSV = "deposits_csv", _("保证金导出")
        ADMIN_PROFILE = "admin_profile", _("后台竞买人资料")
        CONFIRMATION = "confirmation", _("成交确认书（完整版）")
        OTHER = "other", _("其他")

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("查阅人"), on_delete=models.PROTECT, related_name="+"
    )
    court = models.ForeignKey(
        "lots.Court", verbose_name=_("法院"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("被查阅的竞买人"), on_delete=models.PROTECT, related_name="+"
    )
    auction = models.ForeignKey(
        "auctions.Auction", verbose_name=_("拍卖"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices)
    path = models.CharField(_("页面"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("身份信息查阅记录")
        verbose_name_plural = _("身份信息查阅记录")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["court", "-at"], name="identity_view_court_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} → {self.subject}"

"""The audit log of staff views of a bidder's identity (PD1, AN5): one append-only row per
bidder shown, per page or export, written by audit/services.py."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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

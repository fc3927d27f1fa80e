"""Deposits and their lifecycle (BD1, ST2, ST4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from bidding.models import Registration
from lots.models import money_field


class Deposit(models.Model):
    """The deposit of one registration: pending → secured → applied | released | forfeited."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待支付")
        SECURED = "secured", _("已冻结")
        APPLIED = "applied", _("已抵作价款")
        RELEASED = "released", _("已退还")
        FORFEITED = "forfeited", _("不予退还")

    registration = models.OneToOneField(Registration, on_delete=models.PROTECT, related_name="deposit")
    amount = money_field(_("金额"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    provider = models.CharField(_("支付方式"), max_length=16, default="sandbox")
    provider_ref = models.CharField(max_length=100, blank=True)
    secured_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("保证金")
        verbose_name_plural = _("保证金")

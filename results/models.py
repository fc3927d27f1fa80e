"""Results of closed rounds: the ST1 confirmation with its frozen facts, and the court webhooks
(endpoints and the durable outbox of deliveries). Rows change only through results/services.py and
results/webhooks.py.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from auctions.models import Auction
from lots.models import Court, DisposalRecord, money_field
from lots.pii import EncryptedTextField


class Confirmation(models.Model):
    """成交确认书 (ST1), issued in the closing transaction of a sold round. The facts are frozen
    here at the close; the PDF is rendered from them on demand (results/pdf.py), in full for the
    court and the buyer, with the buyer's identity masked in the public copy (AN5)."""

    auction = models.OneToOneField(Auction, on_delete=models.PROTECT, related_name="confirmation")
    number = models.CharField(_("确认书编号"), max_length=40, unique=True)
    issued_at = models.DateTimeField(_("生成时间"))
    price = money_field(_("成交价"))
    deposit_applied = money_field(_("保证金抵扣"))
    balance = money_field(_("应付尾款"))
    balance_due_at = models.DateTimeField(_("尾款截止时间"))
    bidder_code = models.CharField(_("竞买号"), max_length=12)
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="confirmations")
    buyer_name = EncryptedTextField(_("买受人"))
    buyer_name_masked = models.CharField(_("买受人"), max_length=40)
    buyer_id_number = EncryptedTextField(_("身份证号码"))
    buyer_id_number_masked = models.CharField(_("身份证号码"), max_length=32)
    # Court, case, lot and round as they stood at the close (texts in the language of the record).
    facts = models.JSONField(_("成交信息"), default=dict)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("成交确认书")
        verbose_name_plural = _("成交确认书")

    def __str__(self):
        return self.number


class WebhookEndpoint(models.Model):
    """A court system's URL that receives every disposal step of the court's cases, signed with
    HMAC-SHA256 under the endpoint's own secret (shown once; stored encrypted, since it signs)."""

    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="webhook_endpoints")
    url = models.URLField(_("接收地址"), max_length=500)
    description = models.CharField(_("说明"), max_length=120, blank=True)
    secret = EncryptedTextField()
    secret_hint = models.CharField(_("密钥前缀"), max_length=12)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField()
    disabled_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("回传地址")
        verbose_name_plural = _("回传地址")

    def __str__(self):
        return self.url

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None


class WebhookDelivery(models.Model):
    """One disposal step owed to one endpoint: the outbox row, written in the transaction of the
    step itself, so a committed step is never lost to a crash before it was sent."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("已放弃")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries")
    record = models.ForeignKey(DisposalRecord, on_delete=models.PROTECT, related_name="+")
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=48)
    payload = models.JSONField()
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [models.UniqueConstraint(fields=["endpoint", "record"], name="one_delivery_per_endpoint_step")]
        verbose_name = _("回传记录")
        verbose_name_plural = _("回传记录")

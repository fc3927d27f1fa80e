"""Notifications to bidders and parties, their per-user preferences and reminder subscriptions;
the results of closed rounds: the ST1 confirmation with its frozen facts, and the court webhooks
(endpoints and the durable outbox of deliveries).

Notifications, preferences and reminders change only through notices/services.py. A
notification's `key` is unique: every source (a disposal record, a round event, a periodic sweep)
derives it from what it announces, so a retried task or a second trigger finds the first row
instead of sending again. Confirmations change only through notices/confirmations.py, webhook
endpoints and deliveries only through notices/webhooks.py.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from auctions.models import Auction
from lots.models import Court, DisposalRecord, money_field
from lots.pii import EncryptedTextField


class Kind(models.TextChoices):
    REGISTERED = "registered", _("报名成功")
    DEPOSIT_SECURED = "deposit_secured", _("保证金已冻结")
    OUTBID = "outbid", _("出价被超越")
    STARTING_SOON = "starting_soon", _("即将开拍")
    ENDING_SOON = "ending_soon", _("即将结束")
    EXTENDED = "extended", _("竞价延时")
    WON = "won", _("竞得")
    LOST = "lost", _("未竞得")
    DEPOSIT_RELEASED = "deposit_released", _("保证金已退还")
    BALANCE_DUE = "balance_due", _("尾款待付")
    BALANCE_REMINDER = "balance_reminder", _("尾款到期提醒")
    CASE_RESULT = "case_result", _("拍卖结果（当事人）")
    CASE_STEP = "case_step", _("处置进展（当事人）")


# What a bidder may switch on or off on the settings page; party notices go by email only.
BIDDER_KINDS = [kind for kind in Kind if kind not in (Kind.CASE_RESULT, Kind.CASE_STEP)]
# Off by email unless the bidder asks: during a bidding war every extension would be a message.
EMAIL_OFF_BY_DEFAULT = frozenset({Kind.EXTENDED})


class Notification(models.Model):
    """One message to one recipient: shown in the site and/or sent by email (an outbox row)."""

    class Email(models.TextChoices):
        NONE = "none", _("不发送")
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    key = models.CharField(max_length=160, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    party = models.ForeignKey("lots.Party", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    params = models.JSONField(default=dict, help_text=_("消息文字的参数；文字在显示时按语言生成"))
    created_at = models.DateTimeField()
    in_site = models.BooleanField(default=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email = models.CharField(max_length=8, choices=Email.choices, default=Email.NONE)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "in_site", "read_at"], name="notice_user_unread")]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self):
        return self.key


class Preference(models.Model):
    """A user's choice of notification kinds per channel; kinds not listed are on (defaults aside)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preference")
    site_off = models.JSONField(default=list, blank=True)
    email_off = models.JSONField(default=list, blank=True)
    email_on = models.JSONField(default=list, blank=True, help_text=_("默认不发邮件、但用户选择发送的类型"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def wants_site(self, kind: str) -> bool:
        return kind not in self.site_off

    def wants_email(self, kind: str) -> bool:
        if kind in EMAIL_OFF_BY_DEFAULT:
            return kind in self.email_on
        return kind not in self.email_off


class ReminderSubscription(models.Model):
    """设置提醒: notify this user before the round starts and before it ends."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="reminders")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["auction", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "auction"], name="one_reminder_per_user_and_round")]
        verbose_name = _("拍卖提醒")
        verbose_name_plural = _("拍卖提醒")


class Confirmation(models.Model):
    """成交确认书 (ST1), issued in the closing transaction of a sold round. The facts are frozen
    here at the close; the PDF is rendered from them on demand (notices/pdf.py), in full for the
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

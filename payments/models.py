"""Deposits, payments, refunds, settlements and the double-entry ledger (BD1, BD2, ST2–ST4).

Rows here change only through payments/services.py, payments/settlement.py and payments/ledger.py.
A deposit's status changes only through `Deposit.move_to`, which enforces the lifecycle.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from auctions.models import Auction
from bidding.models import Registration
from lots.models import Court, money_field


class IllegalTransition(Exception):
    """A deposit status change the lifecycle does not allow."""

    def __init__(self, old: str, new: str):
        super().__init__(f"deposit cannot move from {old} to {new}")
        self.old, self.new = old, new


class Deposit(models.Model):
    """The deposit of one registration: pending → secured → applied | released | forfeited."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待支付")
        SECURED = "secured", _("已冻结")
        APPLIED = "applied", _("已抵作价款")
        RELEASED = "released", _("已退还")
        FORFEITED = "forfeited", _("不予退还")

    # The one table of allowed moves. A never-paid deposit is closed as released (nothing to refund);
    # an applied deposit is forfeited when its buyer defaults (ST4).
    TRANSITIONS = {
        Status.PENDING: frozenset({Status.SECURED, Status.RELEASED}),
        Status.SECURED: frozenset({Status.APPLIED, Status.RELEASED, Status.FORFEITED}),
        Status.APPLIED: frozenset({Status.FORFEITED}),
        Status.RELEASED: frozenset(),
        Status.FORFEITED: frozenset(),
    }
    OPEN_STATUSES = frozenset({Status.PENDING, Status.SECURED})

    registration = models.OneToOneField(Registration, on_delete=models.PROTECT, related_name="deposit")
    amount = money_field(_("金额"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    provider = models.CharField(_("支付方式"), max_length=16, blank=True)
    provider_ref = models.CharField(max_length=100, blank=True)
    secured_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Release work (ST2), claimed by the payments worker with a conditional UPDATE.
    release_due_by = models.DateTimeField(_("最迟退还时间"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("保证金")
        verbose_name_plural = _("保证金")

    def __str__(self):
        return f"{self.registration} {self.get_status_display()}"

    @classmethod
    def check_transition(cls, old: str, new: str) -> None:
        if new not in cls.TRANSITIONS[old]:
            raise IllegalTransition(old, new)

    def move_to(self, new: str, **changes) -> None:
        """The only writer of `status`: checks the move, then saves it with `changes`.
        The caller holds this row's lock."""
        self.check_transition(self.status, new)
        self.status = new
        for name, value in changes.items():
            setattr(self, name, value)
        self.save(update_fields=["status", *changes])


class CourtPaymentSettings(models.Model):
    """Which providers a court offers and the account bank transfers go to."""

    court = models.OneToOneField(Court, on_delete=models.CASCADE, related_name="payment_settings")
    providers = models.JSONField(_("支付方式"), default=list, help_text=_('如 ["sandbox", "bank", "stripe"]'))
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    account_name = models.CharField(_("账户名称"), max_length=100, blank=True)
    account_number = models.CharField(_("账号"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("法院收款设置")
        verbose_name_plural = _("法院收款设置")


class Settlement(models.Model):
    """What happens to a closed round's money: the winner's balance (ST3) and the releases (ST2)."""

    class Status(models.TextChoices):
        AWAITING_BALANCE = "awaiting", _("待付尾款")
        PAID = "paid", _("尾款已付清")
        DEFAULTED = "defaulted", _("悔拍")
        NO_SALE = "no_sale", _("未成交")

    auction = models.OneToOneField(Auction, on_delete=models.PROTECT, related_name="settlement")
    winner = models.ForeignKey(Registration, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    price = money_field(_("成交价"), null=True, blank=True)
    deposit_applied = money_field(_("保证金抵扣"), null=True, blank=True)
    balance = money_field(_("应付尾款"), null=True, blank=True)
    balance_due_at = models.DateTimeField(_("尾款截止时间"), null=True, blank=True)
    release_deadline = models.DateTimeField(_("保证金最迟退还时间"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    winner_notified_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    defaulted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("成交结算")
        verbose_name_plural = _("成交结算")


class Payment(models.Model):
    """Money a bidder pays in through a provider: a deposit (BD1) or the balance (ST3).

    `key` is the idempotency key every provider call for this payment derives from; the row is
    committed before the first call, so a crash after the call is recovered by asking the provider.
    """

    class Purpose(models.TextChoices):
        DEPOSIT = "deposit", _("保证金")
        BALANCE = "balance", _("尾款")

    class Status(models.TextChoices):
        CREATED = "created", _("已创建")
        PENDING = "pending", _("待付款")
        SUCCEEDED = "succeeded", _("已到账")
        FAILED = "failed", _("支付失败")
        CANCELED = "canceled", _("已取消")

    OPEN_STATUSES = frozenset({Status.CREATED, Status.PENDING})

    purpose = models.CharField(_("用途"), max_length=8, choices=Purpose.choices)
    deposit = models.ForeignKey(Deposit, on_delete=models.PROTECT, null=True, blank=True, related_name="payments")
    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="payments")
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("支付方式"), max_length=16)
    amount = money_field(_("金额"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.CREATED)
    key = models.CharField(max_length=100, unique=True)
    reference = models.CharField(_("付款编号"), max_length=24, unique=True)
    provider_ref = models.CharField(max_length=100, blank=True, db_index=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    # When the worker next asks the provider about a payment still open (lost webhooks, crashes).
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Double clicks reuse the open payment; money is recorded at most once per payable.
            models.UniqueConstraint(
                fields=["deposit"],
                condition=models.Q(status__in=["created", "pending"]),
                name="one_open_deposit_payment",
            ),
            models.UniqueConstraint(
                fields=["deposit"], condition=models.Q(status="succeeded"), name="one_paid_deposit_payment"
            ),
            models.UniqueConstraint(
                fields=["settlement"],
                condition=models.Q(status__in=["created", "pending"]),
                name="one_open_balance_payment",
            ),
            models.UniqueConstraint(
                fields=["settlement"], condition=models.Q(status="succeeded"), name="one_paid_balance_payment"
            ),
        ]
        verbose_name = _("付款")
        verbose_name_plural = _("付款")

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class Refund(models.Model):
    """The release of a deposit back to its payer through the provider it came in by (ST2)."""

    class Status(models.TextChoices):
        CREATED = "created", _("处理中")
        PENDING = "pending", _("待银行转账")
        SUCCEEDED = "succeeded", _("已退还")
        FAILED = "failed", _("退款失败")

    deposit = models.OneToOneField(Deposit, on_delete=models.PROTECT, related_name="refund")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    provider = models.CharField(_("支付方式"), max_length=16)
    amount = money_field(_("金额"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.CREATED)
    key = models.CharField(max_length=100, unique=True)
    provider_ref = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("退款")
        verbose_name_plural = _("退款")


class Forfeiture(models.Model):
    """A confirmed default (悔拍) and the use of the forfeited deposit in the ST4 order."""

    deposit = models.OneToOneField(Deposit, on_delete=models.PROTECT, related_name="forfeiture")
    settlement = models.OneToOneField(Settlement, on_delete=models.PROTECT, related_name="forfeiture")
    amount = money_field(_("不予退还金额"))
    resale_costs = money_field(_("用于重新拍卖费用"))
    shortfall = money_field(_("用于弥补差价"))
    debt = money_field(_("用于清偿债务"))
    remainder = money_field(_("剩余部分"))
    reason = models.CharField(_("说明"), max_length=300, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("悔拍保证金处理")
        verbose_name_plural = _("悔拍保证金处理")


class WebhookEvent(models.Model):
    """Every verified provider event, once: a replay finds its row and changes nothing."""

    provider = models.CharField(max_length=16)
    provider_event_id = models.CharField(max_length=100)
    type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=80, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_event_id"], name="webhook_event_once"),
        ]


class SandboxTransaction(models.Model):
    """The sandbox provider's own books: what it charged and refunded, keyed like a real provider."""

    class Kind(models.TextChoices):
        CHARGE = "charge"
        REFUND = "refund"

    ref = models.CharField(max_length=40, unique=True)
    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    charge = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds")
    amount = money_field("amount")
    succeeded = models.BooleanField()
    metadata = models.JSONField(default=dict)
    created_at = models.DateTimeField()


class BankTransfer(models.Model):
    """A line of the court's bank statement that a clerk matched: money in for a payment, or the
    outgoing transfer that executed a refund."""

    class Direction(models.TextChoices):
        IN = "in", _("收款")
        OUT = "out", _("付款")

    direction = models.CharField(_("方向"), max_length=3, choices=Direction.choices)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    refund = models.OneToOneField(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    amount = money_field(_("金额"))
    bank_ref = models.CharField(_("银行流水号"), max_length=60)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField()


class AppendOnlyQuerySet(models.QuerySet):
    def delete(self):
        raise PermissionError("The ledger is append-only: entries are never deleted.")

    def update(self, **kwargs):
        raise PermissionError("The ledger is append-only: entries are never changed.")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("The ledger is append-only: entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The ledger is append-only: entries are never deleted.")


class LedgerAccount(models.Model):
    """Escrow of a court, what is owed to a bidder, and an auction's proceeds and forfeiture uses."""

    class Kind(models.TextChoices):
        ESCROW = "escrow", _("法院保证金专户")
        BIDDER = "bidder", _("竞买人")
        PROCEEDS = "proceeds", _("成交价款")
        RESALE_COSTS = "resale_costs", _("重新拍卖费用")
        SHORTFALL = "shortfall", _("差价弥补")
        DEBT = "debt", _("清偿债务")
        REMAINDER = "remainder", _("剩余部分")

    code = models.CharField(max_length=60, unique=True)
    kind = models.CharField(max_length=14, choices=Kind.choices)
    court = models.ForeignKey(Court, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    def __str__(self):
        return self.code


class LedgerTransaction(AppendOnly):
    """One money movement: exactly two entries that sum to zero. `key` makes it happen once."""

    class Kind(models.TextChoices):
        PAYMENT_IN = "payment_in", _("付款到账")
        REFUND_OUT = "refund_out", _("退还保证金")
        APPLY = "apply", _("保证金抵作价款")
        FORFEIT = "forfeit", _("保证金不予退还")

    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="+")
    deposit = models.ForeignKey(Deposit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class LedgerEntry(AppendOnly):
    """A signed amount on one account: debits positive, credits negative."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount = money_field(_("金额"))

    class Meta:
        ordering = ["transaction", "id"]

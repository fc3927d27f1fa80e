"""Courts, enforcement cases, parties, lots, reference prices and the case disposal record.

Rows here are changed only through lots/services.py (and auctions/services.py for rounds).
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField

from .pii import EncryptedTextField
from .validators import validate_case_number


def money_field(verbose_name, **kwargs):
    """CNY money with two decimal places; the one shape every amount in the project has."""
    return MoneyField(
        verbose_name,
        max_digits=settings.MONEY_MAX_DIGITS,
        decimal_places=2,
        default_currency="CNY",
        currency_choices=settings.CURRENCY_CHOICES,
        **kwargs,
    )


class AppraisalAgency(models.Model):
    name = models.CharField(_("名称"), max_length=120, unique=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("评估机构")
        verbose_name_plural = _("评估机构")

    def __str__(self):
        return self.name


class Court(models.Model):
    name = models.CharField(_("法院名称"), max_length=100, unique=True)
    code = models.CharField(_("法院代字"), max_length=12, unique=True, help_text=_("如 京0105"))
    province = models.CharField(_("省份"), max_length=20)
    region = models.CharField(_("地区"), max_length=60)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    panel = models.ManyToManyField(AppraisalAgency, verbose_name=_("评估机构名单"), related_name="courts", blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("法院")
        verbose_name_plural = _("法院")

    def __str__(self):
        return self.name


class CourtStaff(models.Model):
    class Role(models.TextChoices):
        JUDGE = "judge", _("法官")
        CLERK = "clerk", _("书记员")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="court_staff")
    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices)
    name = models.CharField(_("姓名"), max_length=40)
    office_phone = models.CharField(_("办公电话"), max_length=40)

    class Meta:
        verbose_name = _("法院工作人员")
        verbose_name_plural = _("法院工作人员")

    def __str__(self):
        return f"{self.name}（{self.get_role_display()}）"


class EnforcementCase(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("执行中")
        CLOSED = "closed", _("已结案")

    class ClosingMethod(models.TextChoices):
        COMPLETED = "completed", _("执行完毕")
        ROUND_TERMINATED = "round_terminated", _("终结本次执行程序")
        TERMINATED = "terminated", _("终结执行")
        CANCELLED = "cancelled", _("销案")
        NOT_ENFORCED = "not_enforced", _("不予执行")
        REJECTED = "rejected", _("驳回申请")

    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="cases")
    number = models.CharField(_("案号"), max_length=40, unique=True, validators=[validate_case_number])
    cause = models.CharField(_("案由"), max_length=100)
    filed_on = models.DateField(_("立案日期"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    closing_method = models.CharField(_("结案方式"), max_length=24, choices=ClosingMethod.choices, blank=True)
    closing_note = models.CharField(_("结案说明"), max_length=300, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    judge = models.ForeignKey(
        CourtStaff,
        verbose_name=_("承办法官"),
        on_delete=models.PROTECT,
        related_name="judged_cases",
    )
    clerk = models.ForeignKey(
        CourtStaff,
        verbose_name=_("书记员"),
        on_delete=models.PROTECT,
        related_name="clerked_cases",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-filed_on", "-id"]
        verbose_name = _("执行案件")
        verbose_name_plural = _("执行案件")

    def __str__(self):
        return self.number


class Party(models.Model):
    class Role(models.TextChoices):
        APPLICANT = "applicant", _("申请执行人")
        RESPONDENT = "respondent", _("被执行人")
        AGENT = "agent", _("委托代理人")
        REPRESENTATIVE = "representative", _("法定代表人")

    class Kind(models.TextChoices):
        PERSON = "person", _("自然人")
        ORGANISATION = "organisation", _("法人或其他组织")

    case = models.ForeignKey(EnforcementCase, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("诉讼地位"), max_length=16, choices=Role.choices)
    kind = models.CharField(_("类型"), max_length=14, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("姓名或名称"), max_length=100)
    id_number = EncryptedTextField(_("证件号码"), blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_number_masked = models.CharField(_("证件号码"), max_length=32, blank=True, editable=False)
    phone = EncryptedTextField(_("电话"), blank=True)
    phone_masked = models.CharField(_("电话"), max_length=24, blank=True, editable=False)
    address = EncryptedTextField(_("住址"), blank=True)
    address_masked = models.CharField(_("住址"), max_length=200, blank=True, editable=False)
    represents = models.ForeignKey(
        "self",
        verbose_name=_("代理或代表的当事人"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="agents",
    )
    claim_amount = money_field(_("申请执行标的额"), null=True, blank=True)
    # PD1: the papers the party showed when verified, and (agents) the authorisation; see lots/portal.py.
    papers = models.CharField(_("身份证明材料"), max_length=200, blank=True)
    authorisation = models.CharField(_("授权委托材料"), max_length=200, blank=True)
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    agency_ended_at = models.DateTimeField(_("代理终止时间"), null=True, blank=True)
    email = EncryptedTextField(_("电子邮箱"), blank=True)
    email_masked = models.CharField(_("电子邮箱"), max_length=120, blank=True, editable=False)

    class Meta:
        ordering = ["case", "role", "id"]
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")

    def __str__(self):
        return f"{self.get_role_display()} {self.name}"


class Lot(models.Model):
    class Category(models.TextChoices):
        REAL_ESTATE = "real_estate", _("房产")
        VEHICLE = "vehicle", _("机动车")
        EQUITY = "equity", _("股权")
        LAND_USE = "land_use", _("土地使用权")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        LISTED = "listed", _("处置中")
        SOLD = "sold", _("已成交")
        SATISFIED = "satisfied", _("以物抵债")
        WITHDRAWN = "withdrawn", _("已撤回")

    class AssetSource(models.TextChoices):
        LITIGATION = "litigation", _("诉讼执行")
        CRIMINAL = "criminal", _("刑事涉案财物")
        BANKRUPTCY = "bankruptcy", _("破产财产")

    # Categories that are registered immovables (AN1, AN2 use the longer notice periods).
    IMMOVABLE_CATEGORIES = frozenset({Category.REAL_ESTATE, Category.LAND_USE})

    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="lots")
    case = models.ForeignKey(EnforcementCase, on_delete=models.PROTECT, related_name="lots")
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    is_immovable = models.BooleanField(_("不动产"))
    title = models.CharField(_("标的物名称"), max_length=200)
    description = models.TextField(_("标的物介绍"))
    location = models.CharField(_("所在地"), max_length=200)
    known_defects = models.TextField(_("已知瑕疵"), blank=True)
    encumbrances = models.TextField(_("权利负担"), blank=True)
    occupancy = models.TextField(_("占有使用情况"), blank=True)
    # Disclosure a bidder needs before bidding (issue 9): what the transfer costs, who lives there,
    # who may buy, the state of a vehicle and whether banks lend on it. Amounts and rates are
    # stored as decimal strings in the JSON lists, never floats.
    asset_source = models.CharField(
        _("财产来源"), max_length=12, choices=AssetSource.choices, default=AssetSource.LITIGATION
    )
    leases = models.TextField(_("租赁情况"), blank=True)
    purchase_restriction = models.TextField(_("限购说明"), blank=True, help_text=_("留空表示不限购"))
    vehicle_mileage_km = models.PositiveIntegerField(_("行驶里程（公里）"), null=True, blank=True)
    vehicle_violation_count = models.PositiveSmallIntegerField(_("未处理违章（次）"), null=True, blank=True)
    vehicle_violations = models.TextField(_("未处理违章说明"), blank=True)
    taxes = models.JSONField(_("过户税费"), default=list, blank=True, help_text=_("[{item, rate, payer, note}]"))
    loan_offers = models.JSONField(_("贷款信息"), default=list, blank=True, help_text=_("[{bank, max_ltv, rate}]"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("标的物")
        verbose_name_plural = _("标的物")

    def __str__(self):
        return self.title

    def current_reference_price(self):
        return self.reference_prices.order_by("-valuation_date", "-id").first()


class LotPageViewer(models.Model):
    """One distinct viewer of a round's lot page (围观): a user, or a browser's cookie, hashed.
    Written once per viewer and round; `LotPageViews` keeps the count so the page never counts rows."""

    auction = models.ForeignKey("auctions.Auction", on_delete=models.CASCADE, related_name="page_viewers")
    viewer = models.CharField(max_length=64)
    first_seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["auction", "viewer"], name="one_view_per_viewer")]


class LotPageViews(models.Model):
    """The watchers count (围观人数) of a round: distinct viewers, incremented with the viewer row."""

    auction = models.OneToOneField("auctions.Auction", on_delete=models.CASCADE, related_name="page_views")
    viewers = models.PositiveIntegerField(default=0)


class LotPhoto(models.Model):
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("照片"), upload_to="lots/photos/%Y/%m/")
    caption = models.CharField(_("说明"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]


class LotDocument(models.Model):
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("文件名称"), max_length=120)
    file = models.FileField(_("文件"), upload_to="lots/documents/%Y/%m/")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class AgencyDraw(models.Model):
    """The recorded random draw of an appraisal agency from the court's panel (RP2)."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="agency_draws")
    candidates = models.JSONField(_("候选机构"))
    seed = models.CharField(_("随机种子"), max_length=64)
    method = models.CharField(_("抽取方法"), max_length=200)
    result = models.ForeignKey(AppraisalAgency, verbose_name=_("抽中机构"), on_delete=models.PROTECT)
    drawn_at = models.DateTimeField(_("抽取时间"))
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        ordering = ["-drawn_at"]


class ReferencePrice(models.Model):
    """A reference-price result (RP1) with its validity (RP3)."""

    class Method(models.TextChoices):
        AGREED = "agreed", _("当事人议价")
        DIRECTED = "directed", _("定向询价")
        ONLINE = "online", _("网络询价")
        APPRAISAL = "appraisal", _("委托评估")

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="reference_prices")
    method = models.CharField(_("确定方式"), max_length=10, choices=Method.choices)
    value = money_field(_("参考价"))
    valuation_date = models.DateField(_("价值时点"))
    valid_until = models.DateField(_("有效期至"))
    fixed_on = models.DateField(_("确定日期"), default=date.today)
    agency = models.ForeignKey(
        AppraisalAgency, verbose_name=_("评估机构"), on_delete=models.PROTECT, null=True, blank=True
    )
    draw = models.OneToOneField(AgencyDraw, on_delete=models.PROTECT, null=True, blank=True)
    report = models.FileField(_("评估报告"), upload_to="lots/reports/%Y/%m/", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valuation_date", "-id"]
        verbose_name = _("参考价")
        verbose_name_plural = _("参考价")


class DisposalRecord(models.Model):
    """Append-only timeline of every disposal step of a case (PD5), written by the service that acts."""

    class Kind(models.TextChoices):
        REFERENCE_PRICE_SET = "reference_price_set", _("确定参考价")
        AGENCY_DRAWN = "agency_drawn", _("摇号选定评估机构")
        ROUND_SCHEDULED = "round_scheduled", _("拍卖轮次已排期")
        ANNOUNCEMENT_PUBLISHED = "announcement_published", _("发布拍卖公告")
        ANNOUNCEMENT_AMENDED = "announcement_amended", _("发布公告更正")
        ROUND_STARTED = "round_started", _("开始竞价")
        ROUND_EXTENDED = "round_extended", _("竞价延时")
        ROUND_SUSPENDED = "round_suspended", _("暂缓拍卖")
        ROUND_RESUMED = "round_resumed", _("恢复拍卖")
        ROUND_WITHDRAWN = "round_withdrawn", _("撤回拍卖")
        ROUND_SOLD = "round_sold", _("拍卖成交")
        ROUND_FAILED = "round_failed", _("流拍")
        CONFIRMATION_ISSUED = "confirmation_issued", _("生成成交确认书")
        DEPOSIT_APPLIED = "deposit_applied", _("保证金抵作价款")
        DEPOSIT_FORFEITED = "deposit_forfeited", _("保证金不予退还")
        BALANCE_PAID = "balance_paid", _("尾款付清")
        PROCEEDS_RECEIVED = "proceeds_received", _("价款进入法院账户")
        REAUCTION_SCHEDULED = "reauction_scheduled", _("安排重新拍卖")
        SALE_STARTED = "sale_started", _("变卖")
        SATISFACTION_IN_KIND = "satisfaction_in_kind", _("以物抵债")
        PROPERTY_DELIVERED = "property_delivered", _("交付财产")
        OUTAGE_EXTENSION = "outage_extension", _("平台故障延时")
        CASE_CLOSED = "case_closed", _("结案")

    case = models.ForeignKey(EnforcementCase, on_delete=models.PROTECT, related_name="disposal_records")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="disposal_records")
    auction = models.ForeignKey(
        "auctions.Auction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disposal_records",
    )
    kind = models.CharField(_("处置步骤"), max_length=32, choices=Kind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    actor_label = models.CharField(_("操作人"), max_length=60)
    amount = money_field(_("金额"), null=True, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("处置记录")
        verbose_name_plural = _("处置记录")


class CourtApiToken(models.Model):
    """A court system's credential for the integration API. Only a hash of the secret is stored."""

    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=80)
    prefix = models.CharField(max_length=12, unique=True, help_text=_("令牌前缀，用于识别"))
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")


class IdempotencyRecord(models.Model):
    """The first answer to a court API create, returned again for a retry with the same key."""

    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=100)
    endpoint = models.CharField(max_length=120)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["court", "key"], name="idempotency_key_per_court")]


# --- Party portal (PD1–PD3): measures, query codes, their audit trail, messages -------------------
class EnforcementMeasure(models.Model):
    """A measure the court took in the case (查封、扣押、冻结 …), shown to verified parties (PD2)."""

    class Kind(models.TextChoices):
        SEAL = "seal", _("查封")
        SEIZE = "seize", _("扣押")
        FREEZE = "freeze", _("冻结")
        TRANSFER = "transfer", _("扣划")
        RESTRICT_SPENDING = "restrict_spending", _("限制消费")
        DEFAULTER_LIST = "defaulter_list", _("纳入失信名单")
        SEARCH = "search", _("搜查")
        OTHER = "other", _("其他措施")

    case = models.ForeignKey(EnforcementCase, on_delete=models.PROTECT, related_name="measures")
    kind = models.CharField(_("措施"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("内容"), max_length=300)
    taken_on = models.DateField(_("采取日期"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["taken_on", "id"]
        verbose_name = _("执行措施")
        verbose_name_plural = _("执行措施")


class QueryCode(models.Model):
    """A verified party's query code (PD1). Only a keyed hash is stored; the plain code is shown once."""

    class EndReason(models.TextChoices):
        REVOKED = "revoked", _("法院吊销")
        REPLACED = "replaced", _("已换发新码")
        AGENCY_ENDED = "agency_ended", _("代理关系终止")

    case = models.ForeignKey(EnforcementCase, on_delete=models.PROTECT, related_name="query_codes")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="query_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(_("尾号"), max_length=4)
    issued_at = models.DateTimeField(_("签发时间"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    revoked_at = models.DateTimeField(_("失效时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(_("失效原因"), max_length=14, choices=EndReason.choices, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["party"], condition=models.Q(revoked_at__isnull=True), name="one_live_query_code_per_party"
            )
        ]
        verbose_name = _("查询码")
        verbose_name_plural = _("查询码")

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class PartyAccessEvent(models.Model):
    """Append-only audit of party access (PD1): verification, codes issued and revoked, agencies
    ended, sign-ins. Written by lots/portal.py in the transaction of the act."""

    class Kind(models.TextChoices):
        VERIFIED = "verified", _("核验身份")
        CODE_ISSUED = "code_issued", _("签发查询码")
        CODE_REVOKED = "code_revoked", _("吊销查询码")
        AGENCY_ENDED = "agency_ended", _("代理关系终止")
        SIGNED_IN = "signed_in", _("当事人登录")

    case = models.ForeignKey(EnforcementCase, on_delete=models.PROTECT, related_name="party_access_events")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="access_events")
    code = models.ForeignKey(QueryCode, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    kind = models.CharField(_("事项"), max_length=14, choices=Kind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    actor_label = models.CharField(_("操作人"), max_length=60)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("当事人查询记录")
        verbose_name_plural = _("当事人查询记录")


class CaseMessage(models.Model):
    """One message in a verified party's thread with the court about a case: the party's message to
    the judge, or a reply from the judge or clerk."""

    class Sender(models.TextChoices):
        PARTY = "party", _("当事人")
        COURT = "court", _("法院")

    MAX_LENGTH = 2000

    case = models.ForeignKey(EnforcementCase, on_delete=models.PROTECT, related_name="messages")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="messages")
    sender = models.CharField(_("发送方"), max_length=5, choices=Sender.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    author_label = models.CharField(_("发送人"), max_length=100)
    body = models.TextField(_("内容"), max_length=MAX_LENGTH)
    sent_at = models.DateTimeField(_("发送时间"))
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["case", "party", "sent_at"], name="case_message_thread")]
        verbose_name = _("案件留言")
        verbose_name_plural = _("案件留言")

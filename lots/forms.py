"""Forms shared by the court console and the court API: input checks, then the services' own checks.

Every form takes `court` (and the case or lot it acts on) as keyword arguments, works on plain dict
data (the API passes parsed JSON), puts each error on its field, and writes only through
`save(actor)`, which calls the service. A refusal by a service lands on the form the same way.
"""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from auctions import rules
from auctions.errors import RuleViolation

from . import disclosure, services, uploads
from .models import CourtStaff, EnforcementCase, Lot, Party, ReferencePrice

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AmountField(forms.DecimalField):
    """A positive yuan amount with at most two decimals (rules.parse_amount); never a float."""

    default_error_messages = {
        "invalid": _("请输入金额，例如 12345.67。"),
        "not_positive": _("金额必须大于零。"),
        "float": _("金额请以字符串或整数提交，不接受浮点数。"),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, float):
            raise ValidationError(self.error_messages["float"], code="float")
        return super().to_python(value)

    def validate(self, value):
        super().validate(value)
        if value is not None and value <= 0:
            raise ValidationError(self.error_messages["not_positive"], code="not_positive")

    def clean(self, value):
        value = super().clean(value)
        return None if value is None else rules.parse_amount(value)


class TextOnlyMixin:
    """JSON can send a number where a date belongs; that is invalid input, not a server error."""

    def to_python(self, value):
        if value is not None and not isinstance(value, str | date):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class DateField(TextOnlyMixin, forms.DateField):
    """A date given as "YYYY-MM-DD"."""


class DateTimeField(TextOnlyMixin, forms.DateTimeField):
    """A date and time given as ISO 8601 (with an offset, or in the court's time zone)."""


class OptionalBooleanField(forms.Field):
    """Yes, no, or not given (None); anything else is an error (NullBooleanField would read it as None)."""

    widget = forms.Select
    VALUES = {"true": True, "1": True, "false": False, "0": False}
    default_error_messages = {"invalid": _("请选择是或否。")}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in self.VALUES:
            return self.VALUES[value.lower()]
        raise ValidationError(self.error_messages["invalid"], code="invalid")

    def prepare_value(self, value):
        return {True: "true", False: "false"}.get(value, "")


class CheckedFileField(forms.FileField):
    """An upload checked by its content (lots/uploads.py), with the browser's file picker hint."""

    def __init__(self, check, accept: str, **kwargs):
        self.check = check
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = accept

    def clean(self, data, initial=None):
        uploaded = super().clean(data, initial)
        if uploaded:
            self.check(uploaded)
        return uploaded


class ServiceForm(forms.Form):
    """A form whose save() calls one service; a ValidationError from the service lands on its fields."""

    def __init__(self, *args, court, **kwargs):
        self.court = court
        super().__init__(*args, **kwargs)

    def save(self, actor):
        assert self.is_valid(), "save() after is_valid()"
        try:
            return self.perform(actor, self.cleaned_data)
        except ValidationError as error:
            self.add_service_error(error)
            return None

    def perform(self, actor, data):
        raise NotImplementedError

    def add_service_error(self, error: ValidationError) -> None:
        """Each message on its field when the form has that field, else above the form."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)

    def add_refusals(self, refusals) -> None:
        if refusals:
            self.add_service_error(RuleViolation(refusals))

    def add_refusals_of(self, find, *args, **kwargs) -> None:
        """The refusals `find(*args, **kwargs)` returns, or the ValidationError it raises, on their fields."""
        try:
            refusals = find(*args, **kwargs)
        except ValidationError as error:
            self.add_service_error(error)
        else:
            self.add_refusals(refusals)


class OnLotForm(ServiceForm):
    """A form acting on one lot of the court (`lot` comes from the URL or the API path)."""

    def __init__(self, *args, court, lot: Lot, **kwargs):
        super().__init__(*args, court=court, **kwargs)
        self.lot = lot


class OnCaseForm(ServiceForm):
    """A form acting on one case of the court (`case` comes from the URL or the API path)."""

    def __init__(self, *args, court, case: EnforcementCase, **kwargs):
        super().__init__(*args, court=court, **kwargs)
        self.case = case


class CaseForm(ServiceForm):
    number = forms.CharField(label=_("案号"), max_length=40, help_text=_("如 （2024）京0105执1234号"))
    cause = forms.CharField(label=_("案由"), max_length=100)
    filed_on = DateField(label=_("立案日期"), widget=DATE_WIDGET)
    judge = forms.ModelChoiceField(label=_("承办法官"), queryset=CourtStaff.objects.none())
    clerk = forms.ModelChoiceField(label=_("书记员"), queryset=CourtStaff.objects.none(), required=False)

    def __init__(self, *args, court, **kwargs):
        super().__init__(*args, court=court, **kwargs)
        staff = CourtStaff.objects.filter(court=court).order_by("name")
        self.fields["judge"].queryset = staff.filter(role=CourtStaff.Role.JUDGE)
        self.fields["clerk"].queryset = staff.filter(role=CourtStaff.Role.CLERK)

    def clean_number(self):
        return services.check_case_number(self.court, self.cleaned_data["number"])

    def clean_filed_on(self):
        filed_on = self.cleaned_data["filed_on"]
        if filed_on > services.court_today():
            raise ValidationError(_("立案日期不得晚于今天。"), code="future_date")
        return filed_on

    def perform(self, actor, data):
        return services.create_case(self.court, actor, **data)


class PartyForm(OnCaseForm):
    role = forms.ChoiceField(label=_("诉讼地位"), choices=Party.Role.choices)
    kind = forms.ChoiceField(label=_("类型"), choices=Party.Kind.choices)
    name = forms.CharField(label=_("姓名或名称"), max_length=100)
    id_number = forms.CharField(
        label=_("证件号码"), max_length=30, required=False, help_text=_("自然人填写18位身份证号码；仅加密保存")
    )
    phone = forms.RegexField(
        label=_("电话"),
        regex=r"^\+?[\d\- ]{7,20}$",
        required=False,
        error_messages={"invalid": _("请输入有效的电话号码。")},
    )
    address = forms.CharField(label=_("住址"), max_length=200, required=False)
    represents = forms.ModelChoiceField(label=_("代理或代表的当事人"), queryset=Party.objects.none(), required=False)
    claim_amount = AmountField(label=_("申请执行标的额（元）"), required=False)

    def __init__(self, *args, court, case: EnforcementCase, **kwargs):
        super().__init__(*args, court=court, case=case, **kwargs)
        self.fields["represents"].queryset = case.parties.all()

    def clean(self):
        data = super().clean()
        if "kind" in data and data.get("id_number"):
            try:
                data["id_number"] = services.check_party_id_number(data["kind"], data["id_number"])
            except ValidationError as error:
                self.add_error("id_number", error)
        return data

    def perform(self, actor, data):
        return services.add_party(self.case, actor, **data)


MAX_MILEAGE_KM = 2_000_000
VEHICLE_FIELDS = ("vehicle_mileage_km", "vehicle_violation_count", "vehicle_violations")
IMMOVABLE_CHOICES = [("", _("按类别自动判断")), ("true", _("不动产")), ("false", _("动产"))]


class LotForm(ServiceForm):
    """Creates a draft lot, or edits one when given `instance` (drafts only)."""

    case = forms.ModelChoiceField(label=_("执行案件"), queryset=EnforcementCase.objects.none())
    category = forms.ChoiceField(label=_("类别"), choices=Lot.Category.choices)
    is_immovable = OptionalBooleanField(
        label=_("动产或不动产"),
        required=False,
        widget=forms.Select(choices=IMMOVABLE_CHOICES),
        help_text=_("不动产一拍公告期30日，动产15日（AN1）"),
    )
    title = forms.CharField(label=_("标的物名称"), max_length=200)
    description = forms.CharField(label=_("标的物介绍"), widget=forms.Textarea(attrs={"rows": 5}))
    location = forms.CharField(label=_("所在地"), max_length=200)
    known_defects = forms.CharField(label=_("已知瑕疵"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    encumbrances = forms.CharField(label=_("权利负担"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    occupancy = forms.CharField(label=_("占有使用情况"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    # Disclosure (issue 9): what a bidder needs to know beyond the description.
    asset_source = forms.ChoiceField(
        label=_("财产来源"), choices=Lot.AssetSource.choices, required=False, help_text=_("留空为诉讼执行")
    )
    leases = forms.CharField(
        label=_("租赁情况"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("租户、租期、租金及是否“带租拍卖”"),
    )
    purchase_restriction = forms.CharField(
        label=_("限购说明"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("如需具备当地购房资格；留空表示不限购"),
    )
    vehicle_mileage_km = forms.IntegerField(
        label=_("行驶里程（公里）"), min_value=0, max_value=MAX_MILEAGE_KM, required=False, help_text=_("仅机动车")
    )
    vehicle_violation_count = forms.IntegerField(
        label=_("未处理违章（次）"), min_value=0, max_value=999, required=False, help_text=_("仅机动车")
    )
    vehicle_violations = forms.CharField(
        label=_("未处理违章说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    taxes = disclosure.RowsField(
        disclosure.TaxRow,
        label=_("过户税费"),
        help_text=_("每项税费的名称、税率（%）和承担方；税率未定可留空并在说明中写明"),
    )
    loan_offers = disclosure.RowsField(
        disclosure.LoanRow,
        label=_("贷款信息"),
        help_text=_("可为本标的物提供贷款的银行、最高贷款成数（%，不超过80）和年利率（%）"),
    )

    def __init__(self, *args, court, instance: Lot | None = None, **kwargs):
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            names = (*services.LOT_TEXT_FIELDS, *services.LOT_DISCLOSURE_FIELDS, "category")
            kwargs["initial"] = {name: getattr(instance, name) for name in names}
            kwargs["initial"].update(case=instance.case_id, is_immovable=instance.is_immovable)
        super().__init__(*args, court=court, **kwargs)
        self.fields["case"].queryset = EnforcementCase.objects.filter(court=court, status=EnforcementCase.Status.OPEN)
        if instance is not None:
            self.fields["case"].disabled = True

    def clean(self):
        data = super().clean()
        if data.get("category") and data["category"] != Lot.Category.VEHICLE:
            for name in VEHICLE_FIELDS:
                if data.get(name) not in (None, ""):
                    self.add_error(name, ValidationError(_("仅机动车填写此项。"), code="vehicle_only"))
        return data

    def perform(self, actor, data):
        if self.instance is None:
            return services.create_lot(self.court, actor, **data)
        changes = {name: value for name, value in data.items() if name != "case"}
        return services.update_lot(self.instance, actor, **changes)


class ReferencePriceForm(OnLotForm):
    """RP1–RP3. For 委托评估 the lot's latest recorded draw supplies the agency (RP2)."""

    method = forms.ChoiceField(label=_("确定方式"), choices=ReferencePrice.Method.choices)
    value = AmountField(label=_("参考价（元）"))
    valuation_date = DateField(label=_("价值时点"), widget=DATE_WIDGET)
    valid_until = DateField(
        label=_("有效期至"), required=False, widget=DATE_WIDGET, help_text=_("留空则为价值时点起一年（RP3）")
    )
    report = CheckedFileField(uploads.check_pdf, "application/pdf", label=_("评估或询价报告（PDF）"), required=False)

    def __init__(self, *args, court, lot: Lot, **kwargs):
        super().__init__(*args, court=court, lot=lot, **kwargs)
        self.draw = lot.agency_draws.order_by("-drawn_at", "-id").first()

    def clean(self):
        data = super().clean()
        if {"method", "valuation_date"} <= data.keys():
            valid_until = data.get("valid_until") or rules.reference_validity_end(data["valuation_date"])
            self.add_refusals(
                services.reference_price_refusals(
                    self.lot,
                    method=data["method"],
                    valuation_date=data["valuation_date"],
                    valid_until=valid_until,
                    agency=None,
                    draw=self.draw,
                )
            )
        return data

    def perform(self, actor, data):
        appraisal = data["method"] == ReferencePrice.Method.APPRAISAL
        return services.set_reference_price(
            self.lot, actor, draw=self.draw if appraisal else None, **{**data, "report": data.get("report") or None}
        )


class PhotoUploadForm(OnLotForm):
    image = CheckedFileField(
        uploads.check_photo,
        "image/jpeg,image/png,image/webp",
        label=_("照片"),
        help_text=_("JPEG、PNG 或 WebP，不超过 10 MB"),
    )
    caption = forms.CharField(label=_("说明"), max_length=120, required=False)

    def perform(self, actor, data):
        return services.add_photo(self.lot, actor, data["image"], data["caption"])


class DocumentUploadForm(OnLotForm):
    file = CheckedFileField(
        uploads.check_pdf, "application/pdf", label=_("文件（PDF）"), help_text=_("PDF，不超过 20 MB")
    )
    title = forms.CharField(label=_("文件名称"), max_length=120)

    def perform(self, actor, data):
        return services.add_document(self.lot, actor, data["file"], data["title"])


class ApiTokenForm(ServiceForm):
    name = forms.CharField(label=_("用途"), max_length=80, help_text=_("如 “本院执行办案系统”"))

    def perform(self, actor, data):
        return services.issue_api_token(self.court, actor, data["name"])

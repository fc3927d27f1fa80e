"""Forms of the bidder pages: sign-up and the acceptance of an auction's bidder instructions."""

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from . import accounts


class SignupForm(UserCreationForm):
    """Real-name sign-up (BD1). Only validates: `accounts.create_bidder` writes the rows."""

    real_name = forms.CharField(
        label=_("真实姓名"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=18,
        help_text=_("18位居民身份证号码，仅用于实名核验，页面上只显示部分号码"),
        validators=[accounts.validate_id_number, accounts.validate_id_number_unused],
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        validators=[accounts.validate_mobile],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("电子邮箱"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")
        labels = {"username": _("用户名")}

    field_order = ["username", "real_name", "id_number", "phone", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = _("密码")
        self.fields["password2"].label = _("确认密码")

    def clean_id_number(self):
        return accounts.normalise_id_number(self.cleaned_data["id_number"])

    def clean_phone(self):
        return accounts.normalise_phone(self.cleaned_data["phone"])

    def bidder_fields(self) -> dict:
        """The cleaned input in the shape `accounts.create_bidder` takes."""
        data = self.cleaned_data
        return {
            "username": data["username"],
            "password": data["password1"],
            "real_name": data["real_name"],
            "id_number": data["id_number"],
            "phone": data["phone"],
            "email": data.get("email", ""),
        }

    def add_service_errors(self, error) -> None:
        """Puts the errors `create_bidder` raised (keyed by its argument names) on this form's fields."""
        for name, messages in error.message_dict.items():
            field = "password2" if name == "password" else name
            self.add_error(field if field in self.fields else None, messages)


class AcceptTermsForm(forms.Form):
    """The bidder's acceptance of the announcement and the bidder instructions (竞买须知)."""

    accept_terms = forms.BooleanField(
        label=_("我已阅读并同意本场拍卖公告和竞买须知"),
        error_messages={"required": _("请先阅读并勾选同意拍卖公告和竞买须知")},
    )

"""Forms of the party portal and of the console's party, code, measure, closing and message pages.

Console forms follow lots/forms.py: `court` (and the case or party) as keyword arguments, errors on
their fields, writes only through `save(actor)` calling a lots/portal.py service. The court API
uses CloseCaseForm the same way.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import portal
from .forms import DATE_WIDGET, DateField, OnCaseForm, ServiceForm
from .models import CaseMessage, EnforcementCase, EnforcementMeasure, Party


class SignInForm(forms.Form):
    case_number = forms.CharField(
        label=_("案号"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "（2024）京0105执1234号"}),
    )
    code = forms.CharField(
        label=_("查询码"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
        help_text=_("法院核验身份后发给您的12位查询码，不区分大小写"),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("留言内容"),
        max_length=CaseMessage.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请填写留言内容。")},
    )


class IssueCodeForm(ServiceForm):
    """PD1: the papers the court checked, then a new query code for the party."""

    papers = forms.CharField(
        label=_("核验的身份证明材料"), max_length=200, help_text=_("如 居民身份证原件；营业执照及法定代表人身份证明书")
    )
    authorisation = forms.CharField(
        label=_("授权委托材料"),
        max_length=200,
        required=False,
        help_text=_("代理人、代表人必填，如 授权委托书、律师执业证"),
    )
    email = forms.EmailField(
        label=_("电子邮箱"), max_length=120, required=False, help_text=_("选填，用于接收拍卖结果和处置进展通知")
    )

    def __init__(self, *args, court, party: Party, **kwargs):
        super().__init__(*args, court=court, **kwargs)
        self.party = party
        self.prefix = f"party{party.pk}"

    def perform(self, actor, data):
        return portal.issue_query_code(self.party, actor, **data)


class MeasureForm(OnCaseForm):
    kind = forms.ChoiceField(label=_("措施"), choices=EnforcementMeasure.Kind.choices)
    description = forms.CharField(label=_("内容"), max_length=300)
    taken_on = DateField(label=_("采取日期"), widget=DATE_WIDGET)

    def perform(self, actor, data):
        return portal.record_measure(self.case, actor, **data)


class CloseCaseForm(OnCaseForm):
    method = forms.ChoiceField(label=_("结案方式"), choices=[("", "---------"), *EnforcementCase.ClosingMethod.choices])
    note = forms.CharField(label=_("结案说明"), max_length=300, required=False)

    def perform(self, actor, data):
        return portal.close_case(self.case, actor, **data)


class ReplyForm(ServiceForm):
    body = forms.CharField(
        label=_("回复内容"),
        max_length=CaseMessage.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请填写回复内容。")},
    )

    def __init__(self, *args, court, case: EnforcementCase, party: Party, **kwargs):
        super().__init__(*args, court=court, **kwargs)
        self.case, self.party = case, party

    def perform(self, actor, data):
        return portal.reply_to_party(self.case, self.party, actor, data["body"])

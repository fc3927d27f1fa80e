"""Forms of the payment pages; amounts stay strings until the services parse them."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .gateways import LABELS


class PayForm(forms.Form):
    """The payer picks a provider and confirms the amount and currency shown (checked again by the
    service, so a stale page cannot pay a changed amount)."""

    provider = forms.ChoiceField(label=_("支付方式"), widget=forms.RadioSelect)
    amount = forms.CharField(widget=forms.HiddenInput)
    currency = forms.CharField(widget=forms.HiddenInput)
    decline = forms.BooleanField(label=_("演示：让这次支付失败"), required=False, help_text=_("仅演示支付（沙箱）有效"))

    def __init__(self, *args, providers: list[str], demo: bool, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["provider"].choices = [(name, LABELS[name]) for name in providers]
        if providers:
            self.fields["provider"].initial = providers[0]
        if not demo:
            del self.fields["decline"]


class BankReceiptForm(forms.Form):
    amount = forms.CharField(label=_("到账金额（元）"), max_length=20)
    bank_ref = forms.CharField(label=_("银行流水号"), max_length=60)


class RefundExecutedForm(forms.Form):
    bank_ref = forms.CharField(label=_("退款转账流水号"), max_length=60)


class DefaultForm(forms.Form):
    """ST4: what the forfeited deposit is to pay, in the law's order."""

    resale_costs = forms.CharField(label=_("重新拍卖费用（元）"), max_length=20, required=False)
    shortfall = forms.CharField(
        label=_("差价（元）"), max_length=20, required=False, help_text=_("重新拍卖价款低于原成交价的部分")
    )
    debt = forms.CharField(label=_("尚欠债务（元）"), max_length=20, required=False)
    reason = forms.CharField(label=_("说明"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


def add_payment_error(form: forms.Form, error) -> None:
    """Puts a PaymentError on its visible field, else on the form, so the page shows it."""
    field = form.fields.get(error.field or "")
    form.add_error(error.field if field and not field.widget.is_hidden else None, str(error))

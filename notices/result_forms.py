"""Forms of the court console's result pages; the court API validates its JSON with the same forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import confirmations, webhooks


class DeliveryForm(forms.Form):
    delivered_on = forms.DateField(
        label=_("交付日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(
        label=_("交付说明"),
        required=False,
        max_length=confirmations.MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(label=_("接收地址"), max_length=500, help_text=_("本院系统接收处置进展的 HTTPS 地址"))
    description = forms.CharField(label=_("说明"), max_length=120, required=False)

    def clean_url(self):
        try:
            return webhooks.check_url(self.cleaned_data["url"])
        except forms.ValidationError as error:
            raise forms.ValidationError(error.error_dict["url"]) from None

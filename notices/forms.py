from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BIDDER_KINDS, Kind, Preference


class PreferenceForm(forms.Form):
    """Two checkboxes per kind: in the site, by email."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in BIDDER_KINDS:
            self.fields[f"site_{kind}"] = forms.BooleanField(label=_("站内"), required=False)
            self.fields[f"email_{kind}"] = forms.BooleanField(label=_("邮件"), required=False)

    @classmethod
    def for_preference(cls, preference: Preference) -> "PreferenceForm":
        initial = {}
        for kind in BIDDER_KINDS:
            initial[f"site_{kind}"] = preference.wants_site(kind)
            initial[f"email_{kind}"] = preference.wants_email(kind)
        return cls(initial=initial)

    def rows(self):
        return [(Kind(kind).label, self[f"site_{kind}"], self[f"email_{kind}"]) for kind in BIDDER_KINDS]

    def chosen(self, channel: str) -> set[str]:
        return {str(kind) for kind in BIDDER_KINDS if self.cleaned_data.get(f"{channel}_{kind}")}

"""The round form shared by the court console and the court API.

clean() runs the same rule checks as auctions.services.schedule_round, so each refusal appears on
its field with the rule ID ("PR1：…" on starting_price) before anything is saved.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bidding.errors import BidError
from lots.forms import AmountField, DateTimeField, OnCaseForm, ServiceForm
from lots.models import Lot, Party

from . import rules, services, steps
from .models import Auction

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RoundForm(ServiceForm):
    """Schedules the next round of `lot` (a re-auction follows its failed round automatically, FA1),
    or edits `instance`, a round not yet announced (AN6)."""

    starting_price = AmountField(label=_("起拍价（元）"), help_text=_("一拍不低于参考价的70%（PR1）"))
    # PR4 names the rule even when the field check, not rules.check_increment, catches it.
    increment = AmountField(label=_("加价幅度（元）"), error_messages={"not_positive": _("PR4：加价幅度必须大于零")})
    deposit = AmountField(label=_("保证金（元）"), help_text=_("起拍价的5%至20%（PR3）"))
    announce_at = DateTimeField(label=_("公告发布时间"), widget=DATETIME_WIDGET)
    starts_at = DateTimeField(label=_("竞价开始时间"), widget=DATETIME_WIDGET)
    ends_at = DateTimeField(label=_("竞价结束时间"), widget=DATETIME_WIDGET, help_text=_("不少于24小时（BI1）"))
    balance_due_at = DateTimeField(label=_("尾款截止时间"), widget=DATETIME_WIDGET)
    court_text = forms.CharField(
        label=_("法院补充内容"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("将附在系统生成的公告之后"),
    )

    def __init__(self, *args, court, lot: Lot, instance: Auction | None = None, **kwargs):
        self.lot = lot
        self.instance = instance
        self.previous = instance.previous if instance else services.previous_round_for(lot)
        if instance is not None and "initial" not in kwargs:
            terms = services.current_terms(instance)
            kwargs["initial"] = {**terms.__dict__, "court_text": instance.announcement.court_text}
        super().__init__(*args, court=court, **kwargs)

    @property
    def round_label(self) -> str:
        if self.instance is not None:
            return self.instance.round_label
        return Auction(round_no=self.previous.round_no + 1 if self.previous else 1).round_label

    def clean(self):
        data = super().clean()
        if not set(services.TERM_FIELDS) <= data.keys():
            return data  # a field error already explains what is missing
        terms = services.Terms(**{name: data[name] for name in services.TERM_FIELDS})
        self.add_refusals_of(services.round_refusals, self.lot, terms, previous=self.previous, editing=self.instance)
        return data

    def perform(self, actor, data):
        if self.instance is None:
            return services.schedule_round(self.lot, actor, previous=self.previous, **data)
        return services.update_round(self.instance, actor, **data)


class OnRoundForm(ServiceForm):
    """A form acting on one round of the court (`auction` comes from the URL or the API path)."""

    def __init__(self, *args, court, auction: Auction, **kwargs):
        super().__init__(*args, court=court, **kwargs)
        self.auction = auction


class AmendmentForm(OnRoundForm):
    """A published correction of a published announcement (AN6)."""

    text = forms.CharField(label=_("更正内容"), widget=forms.Textarea(attrs={"rows": 4}))
    reason = forms.CharField(label=_("更正原因"), max_length=200)

    def perform(self, actor, data):
        return services.amend_announcement(self.auction, actor, **data)


# --- The next lawful steps (auctions/steps.py) -----------------------------------------------------
class ReauctionForm(RoundForm):
    """FA1 (after 流拍, with PR2 and AN2) or ST4 (after 悔拍): the round that follows `previous`,
    prefilled with lawful terms; each refusal lands on its field with the rule named."""

    def __init__(self, *args, court, previous: Auction, **kwargs):
        if (args[0] if args else kwargs.get("data")) is None:
            kwargs.setdefault("initial", steps.reauction_initial(previous))
        super().__init__(*args, court=court, lot=previous.lot, **kwargs)
        self.previous = previous
        self.fields["starting_price"].help_text = _("降价不超过前次起拍价的20%（PR2）")


class SaleForm(ServiceForm):
    """FA2: the 变卖 of a lot whose re-auction failed; price and period are set by law."""

    announce_at = DateTimeField(label=_("公告发布时间"), widget=DATETIME_WIDGET)
    starts_at = DateTimeField(label=_("变卖开始时间"), widget=DATETIME_WIDGET, help_text=_("变卖期六十日（FA2）"))
    court_text = forms.CharField(label=_("法院补充内容"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, court, previous: Auction, **kwargs):
        if (args[0] if args else kwargs.get("data")) is None:
            kwargs.setdefault("initial", steps.sale_initial(previous))
        super().__init__(*args, court=court, **kwargs)
        self.previous = previous

    def clean(self):
        data = super().clean()
        if {"announce_at", "starts_at"} <= data.keys():
            self.add_refusals_of(
                services.sale_refusals,
                self.previous.lot,
                self.previous,
                announce_at=data["announce_at"],
                starts_at=data["starts_at"],
            )
        return data

    def perform(self, actor, data):
        return services.schedule_sale(self.previous, actor, **data)


class SatisfactionForm(OnRoundForm):
    """FA3: the applicant takes the lot at the failed round's starting price."""

    applicant = forms.ModelChoiceField(label=_("接受抵债的申请执行人"), queryset=Party.objects.none())
    note = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, *args, court, auction: Auction, **kwargs):
        super().__init__(*args, court=court, auction=auction, **kwargs)
        self.fields["applicant"].queryset = auction.lot.case.parties.filter(role=Party.Role.APPLICANT)

    def clean(self):
        data = super().clean()
        self.add_refusals(steps.satisfaction_refusals(self.auction, self.auction.lot))
        return data

    def perform(self, actor, data):
        return steps.satisfy_in_kind(self.auction, actor, applicant_id=data["applicant"].pk, note=data["note"])


class ReasonForm(OnRoundForm):
    """FA4 suspension or FA5 withdrawal of a round, with the reason that is published."""

    reason = forms.CharField(label=_("原因（将公开发布）"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, court, auction: Auction, act, **kwargs):
        super().__init__(*args, court=court, auction=auction, **kwargs)
        self.act = act

    def perform(self, actor, data):
        try:
            return self.act(self.auction.pk, actor, data["reason"])
        except BidError as error:
            raise ValidationError(str(error.as_frame()["message"]), code=error.code) from None


class CostsField(AmountField):
    """A yuan amount that may be zero (no costs), otherwise as AmountField (never a float)."""

    def validate(self, value):
        if value != 0:
            super().validate(value)

    def clean(self, value):
        value = forms.DecimalField.clean(self, value)
        if value is None:
            return None
        return Decimal("0.00") if value == 0 else rules.parse_amount(value)


class StopLotsForm(OnCaseForm):
    """FA6: the case's proceeds cover the debt and costs, so its remaining lots stop."""

    debt = AmountField(label=_("债务金额（元）"), required=False, help_text=_("留空则为申请执行标的额合计"))
    costs = CostsField(label=_("执行费用等（元）"), required=False)
    reason = forms.CharField(label=_("原因（将公开发布）"), max_length=300, required=False)

    def perform(self, actor, data):
        costs = data.get("costs") or Decimal("0.00")
        return steps.stop_remaining_lots(self.case, actor, costs=costs, debt=data.get("debt"), reason=data["reason"])

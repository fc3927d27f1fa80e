from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BiddingConfig(AppConfig):
    name = "bidding"
    verbose_name = _("竞买报名与出价")

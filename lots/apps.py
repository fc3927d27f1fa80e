from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LotsConfig(AppConfig):
    name = "lots"
    verbose_name = _("法院、案件与标的物")

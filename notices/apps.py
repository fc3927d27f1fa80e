from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("公告与通知")

    def ready(self):
        from . import receivers, tasks  # noqa: F401  (signal receivers; tasks registered with huey)

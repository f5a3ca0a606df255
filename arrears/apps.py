from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArrearsConfig(AppConfig):
    name = "arrears"
    verbose_name = _("基础设置")

    def ready(self) -> None:
        from . import audit

        audit.connect_signals()

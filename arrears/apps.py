from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArrearsConfig(AppConfig):
    name = "arrears"
    verbose_name = _("基础设置")

    def ready(self) -> None:
        # The one import Django's app loading forces into a function: what it wires imports
        # the models, which exist only once the registry is ready.
        from arrears import wiring

        wiring.connect()

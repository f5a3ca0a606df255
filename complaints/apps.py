from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("投诉受理与案件办理")

    def ready(self) -> None:
        # The one import Django's app loading forces into a function: what it wires imports
        # the models, which exist only once the registry is ready.
        from complaints import wiring

        wiring.connect()

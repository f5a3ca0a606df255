from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("投诉受理与案件办理")

    def ready(self) -> None:
        from complaints import settings  # noqa: F401 - registers the configuration defaults

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("投诉受理与案件办理")

    def ready(self) -> None:
        from arrears.signals import calendar_changed
        from complaints import settings  # noqa: F401 - registers the configuration defaults

        calendar_changed.connect(_recompute_case_days, dispatch_uid="complaints.case_days")


def _recompute_case_days(**kwargs: object) -> None:
    from complaints.services import case_days_recompute

    case_days_recompute()

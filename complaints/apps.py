from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("投诉受理与案件办理")

    def ready(self) -> None:
        from arrears.signals import calendar_changed
        from complaints import settings  # noqa: F401 - registers the configuration defaults

        calendar_changed.connect(_recompute_case_days, dispatch_uid="complaints.case_days")
        _name_notification_kinds()


def _name_notification_kinds() -> None:
    """How the inbox names these apps' messages and which list each kind leads to."""
    from django.urls import reverse

    from arrears.notifications import kind_register

    kind_register(
        "complaint.incoming",
        _("新投诉"),
        subject_type="complaints.complaint",
        list_label=_("待签收投诉"),
        list_url=lambda: reverse("intake-inbox"),
    )
    kind_register(
        "deadline.reminder",
        "",
        subject_type="complaints.case",
        list_label=_("我的待办案件"),
        list_url=lambda: reverse("case-worklist"),
    )


def _recompute_case_days(**kwargs: object) -> None:
    from complaints.services import case_days_recompute

    case_days_recompute()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("工程项目与“5+3”制度")

    def ready(self) -> None:
        from arrears.deadlines import KIND_LABELS
        from projects import jobs, settings  # noqa: F401 - register config defaults, job kinds

        KIND_LABELS["rectification"] = _("整改期限")

        from arrears.notifications import kind_register

        kind_register("warning.opened", _("欠薪预警"))

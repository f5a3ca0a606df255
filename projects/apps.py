from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("工程项目与“5+3”制度")

    def ready(self) -> None:
        from arrears.deadlines import KIND_LABELS
        from projects import settings  # noqa: F401 - registers the configuration defaults

        KIND_LABELS["rectification"] = _("整改期限")

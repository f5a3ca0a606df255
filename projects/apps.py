from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("工程项目与“5+3”制度")

    def ready(self) -> None:
        from projects import settings  # noqa: F401 - registers the configuration defaults

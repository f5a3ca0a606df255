from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("工程项目与“5+3”制度")

    def ready(self) -> None:
        # Registration modules (config defaults, job kinds, deadline and message kinds) import
        # models, which apps.py cannot do at its top: it is imported before the models load.
        from projects import jobs, notifications, settings  # noqa: F401

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("统计报表")

    def ready(self) -> None:
        # Registers the export job kinds (arrears.jobs.REGISTRY; the assessment's too) in every
        # process, the worker's included, and the home page's figures (arrears.home). Here,
        # not at the top: apps.py is imported before the models these modules use are loaded.
        from reporting import jobs, notifications, today  # noqa: F401
        from reporting.assessment import jobs as assessment_jobs  # noqa: F401

"""The project registry's exports and imports as background jobs (arrears/jobs.py). An import
job reads the file uploaded with it; it is all or nothing like the import in the request, and
its per-row report shows on the owner's jobs page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import jobs
from arrears.models import Job
from arrears.spreadsheets import write_csv
from projects import importer, permissions, selectors


def _run_export(job: Job, progress: jobs.Progress, out: IO[bytes]) -> jobs.Outcome:
    projects = selectors.project_list(user=job.owner).order_by("code")
    progress.expect(projects.count())

    def counted() -> Iterator[list[str]]:
        for number, line in enumerate(importer.export_rows(projects)):
            if number:  # the header is not a project
                progress.advance()
            yield line

    write_csv(out, counted())
    return jobs.Outcome(filename="projects.csv")


def _import(job: Job, progress: jobs.Progress, wage_records: bool) -> jobs.Outcome:
    if not permissions.can_maintain_registry(job.owner):
        raise PermissionDenied(_("只有市根治欠薪办和行业主管部门负责人可以导入"))
    with job.upload.open("rb") as handle:
        content = handle.read()
    run = importer.wage_records_import if wage_records else importer.project_import
    report = run(name=job.upload_name, content=content, progress=progress)
    result = {"created": report.created, "errors": [list(e) for e in report.errors]}
    if not report.ok:
        return jobs.Outcome(report=result, failed=_("文件有误，未导入任何一行"))
    return jobs.Outcome(report=result)


def _run_import(job: Job, progress: jobs.Progress, out: IO[bytes]) -> jobs.Outcome:
    return _import(job, progress, wage_records=False)


def _run_wage_import(job: Job, progress: jobs.Progress, out: IO[bytes]) -> jobs.Outcome:
    return _import(job, progress, wage_records=True)


jobs.register("projects.export", gettext_lazy("工程项目导出"), _run_export)
jobs.register("projects.import", gettext_lazy("工程项目导入"), _run_import, writes_file=False)
jobs.register(
    "projects.wage_import",
    gettext_lazy("月度工资支付记录导入"),
    _run_wage_import,
    writes_file=False,
)

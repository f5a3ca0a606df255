"""Exports past the inline limit run as background jobs (arrears/jobs.py): the same rows and
formats as the inline export, scoped to the owner, with progress."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.test import Client

from arrears import services
from arrears.models import Job, JobState
from tests.reporting.conftest import October
from tests.reporting.test_pages import OCT, body, client


@pytest.fixture
def background_exports(db: Any) -> None:
    # Every export above 0 rows goes to the background.
    services.config_set(key="jobs.inline_rows", value=0)


def _run(c: Client, url: str, capture: Any) -> Job:
    with capture(execute=True):
        response = c.get(url)
    assert response.status_code == 302 and response["Location"] == "/jobs/"
    job = Job.objects.latest("pk")
    job.refresh_from_db()
    return job


def _download(c: Client, job: Job) -> bytes:
    response = c.get(f"/jobs/{job.pk}/download/")
    assert response.status_code == 200
    return body(response)


def test_a_large_row_export_runs_as_a_job_with_the_same_rows(
    october: October, django_capture_on_commit_callbacks: Any
) -> None:
    c = client(october.office)
    inline = body(c.get(f"/reports/rows.csv?subset=payments&{OCT}"))
    services.config_set(key="jobs.inline_rows", value=0)
    job = _run(c, f"/reports/rows.csv?subset=payments&{OCT}", django_capture_on_commit_callbacks)
    assert job.state == JobState.DONE and job.kind == "reporting.rows"
    assert (job.done, job.total) == (3, 3)
    assert job.result_name == "payments-2026-10.csv"
    assert _download(c, job) == inline
    # the jobs page names it and links the file
    page = c.get("/jobs/").content.decode()
    assert "明细导出" in page and f"/jobs/{job.pk}/download/" in page


def test_a_job_export_is_scoped_to_its_owner(
    october: October, background_exports: None, django_capture_on_commit_callbacks: Any
) -> None:
    c = client(october.official_b)
    job = _run(c, f"/reports/rows.csv?subset=closed&{OCT}", django_capture_on_commit_callbacks)
    text = _download(c, job).decode("utf-8-sig")
    assert october.w.number and october.x.number
    assert october.w.number in text and october.x.number not in text
    assert job.scope["county_id"] == october.b.pk


def test_a_job_xlsx_keeps_number_formats(
    october: October, background_exports: None, django_capture_on_commit_callbacks: Any
) -> None:
    c = client(october.office)
    job = _run(c, f"/reports/rows.xlsx?subset=closed&{OCT}", django_capture_on_commit_callbacks)
    sheet = openpyxl.load_workbook(io.BytesIO(_download(c, job))).active
    header = [cell.value for cell in sheet[1]]
    amount = header.index("欠薪金额（元）") + 1
    values = sorted(sheet.cell(row=r, column=amount).value for r in range(2, sheet.max_row + 1))
    assert values == [30000.5, 86400, 200000]
    assert sheet.cell(row=2, column=amount).number_format == "#,##0.00"


def test_an_invalid_filter_is_refused_in_the_request_not_in_a_job(
    october: October, background_exports: None
) -> None:
    c = client(october.office)
    assert c.get("/reports/rows.csv?subset=nonsense").status_code == 400
    assert not Job.objects.exists()


def test_the_ranking_table_is_computed_in_a_job_when_not_cached(
    october: October, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.REPORTING_CACHE_SECONDS = 600
    c = client(october.office)
    job = _run(c, f"/reports/table.csv?{OCT}", django_capture_on_commit_callbacks)
    assert job.kind == "reporting.table" and job.state == JobState.DONE
    rows = {row[1]: row for row in csv.reader(io.StringIO(_download(c, job).decode("utf-8-sig")))}
    header = rows["县（区）"]
    assert rows["东湖区"][header.index("涉及金额（元）")] == "95400.25"
    # once the dashboard is in the cache (the job computed it), the table comes at once
    response = c.get(f"/reports/table.csv?{OCT}")
    assert response.status_code == 200

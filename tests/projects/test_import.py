"""Project import: every row checked, nothing half-imported; export round-trips."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from arrears import services
from arrears.models import Job, JobState, Role
from projects.importer import COLUMNS
from projects.models import Project
from tests.factories import UserFactory

HEADER = ",".join(COLUMNS)


def _upload(web: Client, text: str, name: str = "p.csv") -> str:
    upload = SimpleUploadedFile(name, text.encode("utf-8-sig"), "text/csv")
    return web.post("/projects/import/", {"file": upload}).content.decode()


def test_bad_rows_are_reported_and_nothing_is_saved(project: Project) -> None:
    office = Client()
    office.force_login(UserFactory.create(city_office=True))
    county = project.county.code
    html = _upload(
        office,
        "\n".join(
            [
                HEADER,
                f"XM-9,好项目,{county},housing,,government,1000000,20,2026-01-01,2026-12-31,"
                "in_construction",
                f"XM-1,重复编号,{county},housing,,,,,,,",
                f"XM-10,坏日期,{county},housing,,,,,2026-13-01,,",
                "XM-11,未知县,999999,housing,,,,120,,,",
            ]
        ),
    )
    assert 'data-testid="import-errors"' in html
    for fragment in ("第 3 行", "已存在", "第 4 行", "YYYY-MM-DD", "第 5 行", "999999", "0到100"):
        assert fragment in html, fragment
    assert Project.objects.count() == 1  # only the fixture's


def test_a_clean_file_imports_all_and_exports_back(project: Project) -> None:
    office = Client()
    office.force_login(UserFactory.create(city_office=True))
    county = project.county.code
    _upload(
        office,
        "\n".join(
            [
                HEADER,
                f"XM-20,城南学校,{county},housing,城南路1号,government,8000000,22.5,2026-03-01,"
                "2027-06-30,in_construction",
                f"XM-21,滨江路改造,{county},housing,,state_owned,,,,,not_started",
            ]
        ),
    )
    created = Project.objects.get(code="XM-20")
    assert created.department == project.department  # the housing department, by industry
    assert str(created.labour_cost_share) == "22.50"
    response: Any = office.get("/projects/export.csv")
    export = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = [line for line in io.StringIO(export).read().splitlines() if line]
    assert lines[0] == HEADER
    assert any(line.startswith("XM-20,城南学校,") for line in lines)


def test_only_the_registry_keepers_import(project: Project, db: Any) -> None:
    inspector = Client()
    inspector.force_login(UserFactory.create(role=Role.INSPECTOR))
    assert inspector.get("/projects/import/").status_code == 403


def test_excel_import(project: Project) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(COLUMNS)
    sheet.append(
        [
            "XM-30",
            "水厂扩建",
            project.county.code,
            "housing",
            "",
            "government",
            5000000,
            18,
            "2026-02-01",
            "2027-01-31",
            "in_construction",
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    office = Client()
    office.force_login(UserFactory.create(city_office=True))
    upload = SimpleUploadedFile(
        "p.xlsx",
        buffer.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    office.post("/projects/import/", {"file": upload})
    imported = Project.objects.get(code="XM-30")
    assert (imported.name, str(imported.contract_value)) == ("水厂扩建", "5000000.00")


def test_bank_wage_records_import_all_or_nothing(project: Project) -> None:
    office = Client()
    office.force_login(UserFactory.create(city_office=True))

    def upload(text: str) -> str:
        data = SimpleUploadedFile("bank.csv", text.encode("utf-8-sig"), "text/csv")
        return office.post("/projects/wage-records/import/", {"file": data}).content.decode()

    header = "project_code,month,labour_cost_paid_in,workers_on_roll,workers_paid,amount_paid"
    html = upload(
        "\n".join(
            [
                header,
                "XM-1,2026-10,250000,100,100,300000",
                "XM-404,2026-10,1,1,1,1",
                "XM-1,2026-9x,1,1,1,1",
            ]
        )
    )
    assert "XM-404" in html and "第 4 行" in html
    assert project.wage_records.count() == 0
    upload(
        "\n".join(
            [header, "XM-1,2026-10,250000,100,100,300000", "XM-1,2026-09,250000,100,98,290000"]
        )
    )
    assert project.wage_records.count() == 2
    assert set(project.wage_records.values_list("source", flat=True)) == {"bank"}


def test_a_large_import_runs_as_a_job_and_reports_its_rows(
    project: Project, django_capture_on_commit_callbacks: Any
) -> None:
    services.config_set(key="jobs.inline_upload_kb", value=0)
    office = Client()
    office.force_login(UserFactory.create(city_office=True))
    county = project.county.code
    bad = "\n".join([HEADER, f"XM-1,重复编号,{county},housing,,,,,,,"])
    with django_capture_on_commit_callbacks(execute=True):
        response = office.post(
            "/projects/import/",
            {"file": SimpleUploadedFile("big.csv", bad.encode("utf-8-sig"), "text/csv")},
        )
    assert response.status_code == 302 and response["Location"] == "/jobs/"
    job = Job.objects.get()
    assert job.state == JobState.FAILED and job.report["errors"][0][0] == 2
    page = office.get("/jobs/").content.decode()
    assert "第 2 行" in page and "big.csv" in page and "重试" in page
    good = "\n".join([HEADER, f"XM-30,城北学校,{county},housing,,,,,,,not_started"])
    with django_capture_on_commit_callbacks(execute=True):
        office.post(
            "/projects/import/",
            {"file": SimpleUploadedFile("big.csv", good.encode("utf-8-sig"), "text/csv")},
        )
    job = Job.objects.latest("pk")
    assert job.state == JobState.DONE and job.report["created"] == 1 and job.done == 1
    assert Project.objects.filter(code="XM-30").exists()


def test_a_large_project_export_runs_as_a_job(
    project: Project, django_capture_on_commit_callbacks: Any
) -> None:
    office = Client()
    office.force_login(UserFactory.create(city_office=True))
    inline: Any = office.get("/projects/export.csv")
    expected = b"".join(inline.streaming_content)
    services.config_set(key="jobs.inline_rows", value=0)
    with django_capture_on_commit_callbacks(execute=True):
        assert office.get("/projects/export.csv").status_code == 302
    job = Job.objects.get()
    assert (job.done, job.total) == (1, 1)
    download: Any = office.get(f"/jobs/{job.pk}/download/")
    assert b"".join(download.streaming_content) == expected

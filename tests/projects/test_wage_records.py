"""Wage records typed in on the project's page and imported from a file go through one service
and give the same record; imports read GB18030 CSV and Chinese headers; bad rows save nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from arrears.models import Role
from projects.importer import COLUMNS, HEADER_NAMES, WAGE_COLUMNS, decode
from projects.models import Project
from tests.factories import CountyFactory, UserFactory

CHINESE_WAGE_HEADER = ",".join(HEADER_NAMES[c] for c in WAGE_COLUMNS)


def _office() -> Client:
    web = Client()
    web.force_login(UserFactory.create(city_office=True))
    return web


def _inspector(project: Project) -> Client:
    web = Client()
    web.force_login(
        UserFactory.create(
            role=Role.INSPECTOR, county=project.county, department=project.department
        )
    )
    return web


def _figures(project: Project) -> list[tuple[object, ...]]:
    return list(
        project.wage_records.values_list(
            "month", "labour_cost_paid_in", "workers_on_roll", "workers_paid", "amount_paid"
        )
    )


def _import_wages(web: Client, content: bytes) -> str:
    data = SimpleUploadedFile("bank.csv", content, "text/csv")
    return web.post("/projects/wage-records/import/", {"file": data}).content.decode()


def test_entered_on_the_page_and_imported_give_the_same_record(project: Project) -> None:
    web = _inspector(project)
    page = web.get(f"/projects/{project.pk}/").content.decode()
    assert 'data-testid="wage-record-new"' in page
    response = web.post(
        f"/projects/{project.pk}/wage-records/new/",
        {
            "month": "2026-10",
            "labour_cost_paid_in": "250000",
            "workers_on_roll": "100",
            "workers_paid": "98",
            "amount_paid": "290000.50",
        },
    )
    assert response.status_code == 302
    entered = _figures(project)
    assert entered == [(dt.date(2026, 10, 1), Decimal("250000"), 100, 98, Decimal("290000.50"))]
    assert project.wage_records.get().source == "entered"

    project.wage_records.all().delete()
    html = _import_wages(
        _office(),
        "\n".join([CHINESE_WAGE_HEADER, "XM-1,2026-10,250000,100,98,290000.50"]).encode("gb18030"),
    )
    assert 'data-testid="import-errors"' not in html
    assert _figures(project) == entered


def test_bad_input_on_the_page_is_refused_in_chinese_and_nothing_saved(project: Project) -> None:
    web = _inspector(project)
    html = web.post(
        f"/projects/{project.pk}/wage-records/new/",
        {
            "month": "2026-13",
            "labour_cost_paid_in": "-1",
            "workers_on_roll": "abc",
            "workers_paid": "1",
            "amount_paid": "1",
        },
    ).content.decode()
    assert 'data-testid="form-errors"' in html
    assert "月份应为 YYYY-MM" in html and "拨付人工费用（元）" in html
    # The service's own rule (no future month) reaches the form too.
    future = dt.date.today().replace(day=1) + dt.timedelta(days=62)
    html = web.post(
        f"/projects/{project.pk}/wage-records/new/",
        {
            "month": future.strftime("%Y-%m"),
            "labour_cost_paid_in": "1",
            "workers_on_roll": "1",
            "workers_paid": "1",
            "amount_paid": "1",
        },
    ).content.decode()
    assert "月份不能晚于本月" in html
    assert project.wage_records.count() == 0


def test_another_countys_officer_cannot_enter_records(project: Project) -> None:
    web = Client()
    web.force_login(UserFactory.create(role=Role.INSPECTOR, county=CountyFactory.create()))
    response = web.post(
        f"/projects/{project.pk}/wage-records/new/",
        {
            "month": "2026-10",
            "labour_cost_paid_in": "1",
            "workers_on_roll": "1",
            "workers_paid": "1",
            "amount_paid": "1",
        },
    )
    assert response.status_code == 404
    assert project.wage_records.count() == 0


def test_gbk_project_import_with_chinese_headers(project: Project) -> None:
    header = ",".join(HEADER_NAMES[c] for c in COLUMNS)
    county = project.county.code
    text = "\n".join(
        [header, f"XM-50,城南小学改造,{county},housing,城南路1号,government,800000,20,,,"]
    )
    data = SimpleUploadedFile("p.csv", text.encode("gbk"), "text/csv")
    html = _office().post("/projects/import/", {"file": data}).content.decode()
    assert 'data-testid="import-errors"' not in html
    imported = Project.objects.get(code="XM-50")
    assert (imported.name, imported.address) == ("城南小学改造", "城南路1号")


def test_bad_gbk_rows_give_chinese_errors_and_save_nothing(project: Project) -> None:
    html = _import_wages(
        _office(),
        "\n".join(
            [
                CHINESE_WAGE_HEADER,
                "XM-1,2026-10,250000,100,100,300000",
                "XM-404,2026-10,1,1,1,1",
                "XM-1,2026-9x,1,1,1,1",
                "XM-1,2026-08,1,-1,1,1",
            ]
        ).encode("gbk"),
    )
    for fragment in (
        "第 3 行",
        "未知的项目编号 XM-404",
        "第 4 行",
        "月份应为",
        "第 5 行",
        "人数不能为负数",
    ):
        assert fragment in html, fragment
    assert project.wage_records.count() == 0


def test_english_headers_and_utf8_still_import(project: Project) -> None:
    html = _import_wages(
        _office(),
        "\n".join([",".join(WAGE_COLUMNS), "XM-1,2026-10,1,1,1,1"]).encode("utf-8"),
    )
    assert 'data-testid="import-errors"' not in html
    assert project.wage_records.count() == 1


def test_a_wrong_header_names_the_chinese_columns(project: Project) -> None:
    html = _import_wages(_office(), "编号,月\nXM-1,2026-10".encode("utf-8-sig"))
    assert "表头应为" in html and HEADER_NAMES["month"] in html
    assert project.wage_records.count() == 0


def test_the_templates_download_with_chinese_headers_and_a_bom(project: Project) -> None:
    web = _office()
    for kind, columns in (("wage-records", WAGE_COLUMNS), ("projects", COLUMNS)):
        response = web.get(f"/projects/import/{kind}-template.csv")
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert body.startswith(b"\xef\xbb\xbf")
        assert decode(body).strip().split(",") == [HEADER_NAMES[c] for c in columns]


def test_decode_prefers_utf8_then_gb18030() -> None:
    assert decode("\ufeff项目".encode()) == "项目"
    assert decode("项目".encode()) == "项目"
    assert decode("项目".encode("gb18030")) == "项目"

"""Dashboard pages, drill-down, exports and the JSON API: scope, errors, formats, query counts."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext

from arrears.models import Role
from complaints.models import Case
from tests.factories import CountyFactory, DepartmentFactory, UserFactory
from tests.reporting.conftest import October, case, complaint

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates

OCT = "period=2026-10"


def client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def test_city_overview_ranks_counties_and_links_every_number(october: October) -> None:
    response = client(october.office).get(f"/reports/?{OCT}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "东湖区" in html and "西江区" in html
    assert "/reports/counties/369902/" in html  # drill-down to the county
    assert "subset=closed" in html and "subset=overdue" in html
    # amounts in 万元 on the page, the exact yuan in the tooltip
    assert 'title="80,000.50 元"' in html
    assert ">8.00<" in html
    # definitions are on the page
    assert "期间内受理的案件中，目前已办结的比例" in html


def test_county_page_lists_departments_and_its_numbers_link_to_their_rows(
    october: October,
) -> None:
    c = client(october.office)
    html = c.get(f"/reports/counties/369902/?{OCT}").content.decode()
    assert "东湖区人社局" in html and "东湖区住建局" in html
    assert "西江区" not in html.split('data-testid="ranking-table"')[1].split("</table>")[0]
    # the rows behind "accepted" of the county: Y and Z
    rows = c.get(f"/reports/rows/?subset=accepted&{OCT}&county={october.a.pk}").content.decode()
    assert october.y.number and october.z.number
    assert october.y.number in rows and october.z.number in rows
    assert october.x.number
    assert october.x.number not in rows
    assert "共 2 条" in rows


def test_a_county_official_is_sent_to_their_county_and_sees_nothing_else(
    october: October,
) -> None:
    c = client(october.official_b)
    response = c.get(f"/reports/?{OCT}")
    assert response.status_code == 302
    assert response["Location"].startswith("/reports/counties/369903/")
    assert c.get(f"/reports/counties/369902/?{OCT}").status_code == 404
    html = c.get(f"/reports/counties/369903/?{OCT}").content.decode()
    assert "东湖区" not in html
    # the drill-down of another county's rows is refused as an invalid filter
    assert c.get(f"/reports/rows/?subset=closed&{OCT}&county={october.a.pk}").status_code == 400
    rows = c.get(f"/reports/rows/?subset=closed&{OCT}").content.decode()
    assert october.w.number and october.x.number
    assert october.w.number in rows and october.x.number not in rows


def test_exports_are_scoped(october: October) -> None:
    c = client(october.official_b)
    table = body(c.get(f"/reports/table.csv?{OCT}")).decode("utf-8-sig")
    assert "西江区人社局" in table and "东湖区" not in table
    rows = body(c.get(f"/reports/rows.csv?subset=closed&{OCT}")).decode("utf-8-sig")
    assert october.w.number and october.x.number
    assert october.w.number in rows and october.x.number not in rows
    data = c.get(f"/api/v1/reports/dashboard/?{OCT}").json()
    assert [u["name"] for u in data["units"] if u["id"]] == ["西江区"]
    assert c.get(f"/api/v1/reports/counties/369902/?{OCT}").status_code == 404


def test_row_export_csv_matches_the_figure(october: October) -> None:
    response = client(october.office).get(f"/reports/rows.csv?subset=payments&{OCT}")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="payments-2026-10.csv"'
    lines = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert lines[0][:2] == ["案件编号", "县（区）"]
    assert len(lines) == 1 + 3
    assert sorted(line[5] for line in lines[1:]) == ["10000.00", "30000.50", "40000.00"]


def test_row_export_xlsx_has_number_formats(october: October) -> None:
    response = client(october.office).get(f"/reports/rows.xlsx?subset=closed&{OCT}")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(body(response)))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    amount = header.index("欠薪金额（元）") + 1
    accepted = header.index("受理时间") + 1
    values = sorted(sheet.cell(row=r, column=amount).value for r in range(2, sheet.max_row + 1))
    assert values == [30000.5, 86400, 200000]
    assert sheet.cell(row=2, column=amount).number_format == "#,##0.00"
    assert sheet.cell(row=2, column=accepted).number_format == "yyyy-mm-dd hh:mm"


def test_table_export_xlsx_in_yuan_with_rates_as_percent(october: October) -> None:
    response = client(october.office).get(f"/reports/table.xlsx?{OCT}")
    book = openpyxl.load_workbook(io.BytesIO(body(response)))
    sheet = book["统计表"]
    header = [cell.value for cell in sheet[2]]
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=3)}
    a = rows["东湖区"]
    recovered = a[header.index("追回工资（元）")]
    assert (recovered.value, recovered.number_format) == (80000.5, "#,##0.00")
    rate = a[header.index("办结率")]
    assert (rate.value, rate.number_format) == (0.5, "0.00%")
    assert rows["合计"][header.index("办结")].value == 3
    assert "指标口径" in book.sheetnames


def test_table_export_csv_is_exact_to_the_fen(october: October) -> None:
    text = body(client(october.office).get(f"/reports/table.csv?{OCT}")).decode("utf-8-sig")
    rows = {row[1]: row for row in csv.reader(io.StringIO(text))}
    header = rows["县（区）"]
    assert rows["东湖区"][header.index("涉及金额（元）")] == "95400.25"
    assert rows["合计"][header.index("平均办结用时（工作日）")] == "14.33"


def test_api_gives_every_figure_with_comparisons(october: October) -> None:
    data = client(october.office).get(f"/api/v1/reports/dashboard/?{OCT}").json()
    a = next(u for u in data["units"] if u["name"] == "东湖区")
    assert a["values"]["recovered"] == "80000.50"
    assert a["values"]["closure_rate"] == "0.5000"
    assert a["values"]["overdue"] == 1  # Z, due 10 Nov 2026: overdue from then on
    assert a["last_year"]["avg_days"] == "20.00"
    assert a["avg_days_change"] == "-9.00"
    assert data["period"] == {
        "kind": "month",
        "code": "2026-10",
        "label": "2026年10月",
        "start": "2026-10-01",
        "end": "2026-10-31",
    }
    assert data["previous_period"]["code"] == "2026-09"
    assert data["total"]["values"]["closed"] == 3
    assert {d["key"] for d in data["definitions"]} >= {"on_time_rate", "recovered"}
    county = client(october.official_a).get(f"/api/v1/reports/counties/369902/?{OCT}").json()
    assert county["dimension"] == "department"
    assert {u["name"] for u in county["units"]} == {"东湖区人社局", "东湖区住建局"}


@pytest.mark.parametrize(
    ("query", "field", "api_status"),
    [
        # The API answers 400 to what its schema refuses and 422 to a well-formed value the
        # rules refuse (arrears/api/exceptions.py); the pages answer 400 with the form.
        ("period=2026-13", "period", 422),
        ("period=custom&start=2026-10-05&end=2026-10-01", "end", 422),
        ("period=custom&start=x&end=2026-10-01", "start", 400),
        ("county=999999", "county", 422),
        ("county=abc", "county", 422),
        ("channel=fax", "channel", 400),
        ("rank=name", "rank", 400),
    ],
)
def test_bad_filters_get_a_chinese_400(
    october: October, query: str, field: str, api_status: int
) -> None:
    c = client(october.office)
    api = c.get(f"/api/v1/reports/dashboard/?{query}")
    assert api.status_code == api_status
    assert field in api.json()
    page = c.get(f"/reports/?{query}")
    assert page.status_code == 400
    assert "invalid-feedback" in page.content.decode()
    assert c.get(f"/reports/rows.csv?subset=closed&{query}").status_code == 400


def test_unknown_subsets_and_formats(october: October) -> None:
    c = client(october.office)
    response = c.get("/reports/rows/?subset=everything")
    assert response.status_code == 400
    assert "未知的统计口径" in response.content.decode()
    assert c.get("/reports/rows/?subset=accepted&part=colour:red").status_code == 400
    assert c.get("/reports/rows.pdf?subset=closed").status_code == 404
    assert c.get("/reports/table.pdf").status_code == 404


def test_breakdown_slices_list_their_rows(october: October) -> None:
    c = client(october.office)
    html = c.get(f"/reports/rows/?subset=closed&{OCT}&part=outcome:arbitration").content.decode()
    assert october.w.number and october.x.number
    assert october.w.number in html and october.x.number not in html
    html = c.get(f"/reports/rows/?subset=accepted&{OCT}&part=investment:none").content.decode()
    assert "共 2 条" in html


def test_printable_report(october: October) -> None:
    html = client(october.office).get(f"/reports/print/?{OCT}").content.decode()
    assert "全市根治欠薪工作统计表" in html
    assert "2026年10月" in html
    # A4 landscape, from the report's own style sheet (no inline <style>: the CSP refuses it)
    assert "reporting/print.css" in html
    css = (Path(settings.BASE_DIR) / "static" / "reporting" / "print.css").read_text()
    assert "@page { size: A4 landscape" in css
    county = client(october.official_a).get(f"/reports/print/?{OCT}").content.decode()
    assert "东湖区根治欠薪工作统计表" in county and "西江区" not in county


def test_integration_clients_get_no_reports(october: October) -> None:
    machine = UserFactory.create(role=Role.INTEGRATION_CLIENT)
    c = client(machine)
    assert c.get("/reports/").status_code == 403
    assert c.get("/api/v1/reports/dashboard/").status_code == 403


def _more_city(october: October) -> None:
    """Another county with its departments, staff, complaints and cases."""
    county = CountyFactory.create(code="369905", name="南山区")
    accepted = october.x.accepted_at
    assert accepted is not None
    for kind in ("hrss", "housing", "transport"):
        department = DepartmentFactory.create(county=county, kind=kind)
        owner = UserFactory.create(role=Role.INSPECTOR, county=county, department=department)
        for day in (3, 13, 23):
            complaint(county, department, accepted.replace(month=10, day=day), "web_form")
            case(county, department, owner, accepted.replace(month=10, day=day))


@pytest.mark.parametrize(
    ("user", "url"),
    [
        ("office", f"/reports/?{OCT}"),
        ("office", f"/reports/counties/369902/?{OCT}"),
        ("official_a", f"/reports/counties/369902/?{OCT}"),
        ("office", f"/api/v1/reports/dashboard/?{OCT}"),
        ("office", f"/reports/rows/?subset=closed&{OCT}"),
    ],
)
def test_pages_take_a_constant_number_of_queries(october: October, user: str, url: str) -> None:
    c = client(october.user(user))
    c.get(url)  # warm caches (content types, configuration)
    with CaptureQueriesContext(connection) as before:
        assert c.get(url).status_code == 200
    _more_city(october)
    with CaptureQueriesContext(connection) as after:
        assert c.get(url).status_code == 200
    assert len(after.captured_queries) == len(before.captured_queries)
    assert len(before.captured_queries) <= 50


def test_overview_figures_are_in_decimal_yuan_in_the_api(october: October) -> None:
    data = client(october.office).get(f"/api/v1/reports/dashboard/?{OCT}").json()
    total = data["total"]["values"]
    assert Decimal(total["amount_owed"]) == Decimal("95400.25")
    assert Decimal(total["fine_amount"]) == Decimal("50000.00")


@pytest.mark.parametrize(
    "query",
    [
        "subset=payments&part=industry:1",  # a breakdown of another subset
        "subset=received&part=outcome:paid_in_full",
        "subset=warnings_raised&part=channel:web_form",
        "subset=accepted&part=industry:abc",
        "subset=accepted&part=triage:%00",
        "subset=closed&part=outcome:nonsense",
        "subset=accepted&part=triage",
    ],
)
def test_mismatched_breakdown_slices_are_a_400(october: October, query: str) -> None:
    c = client(october.office)
    for path in ("/reports/rows/", "/reports/rows.csv", "/reports/rows.xlsx"):
        assert c.get(f"{path}?{query}").status_code == 400, path


def test_an_empty_list_says_so_and_still_exports(october: October) -> None:
    html = client(october.office).get(f"/reports/rows/?subset=police&{OCT}").content.decode()
    assert "共 0 条" in html and "没有记录" in html and "rows.csv" in html


def test_exports_never_write_formulas(october: October) -> None:
    """Employer names come from the public form: one that looks like a formula is written as
    text, in CSV and in XLSX."""

    Case.objects.filter(pk=october.y.pk).update(employer_name='=HYPERLINK("http://x","点我")')
    c = client(october.office)
    text = body(c.get(f"/reports/rows.csv?subset=closed&{OCT}")).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    book = openpyxl.load_workbook(
        io.BytesIO(body(c.get(f"/reports/rows.xlsx?subset=closed&{OCT}")))
    )
    cells = [
        cell for row in book.active.iter_rows() for cell in row if "HYPERLINK" in str(cell.value)
    ]
    assert cells and all(cell.data_type == "s" for cell in cells)
    assert all(str(cell.value).startswith("'=") for cell in cells)


def test_the_recovery_rate_stops_at_one(october: October) -> None:
    """Recovered wages cannot exceed what is owed (case_recovered_within_owed): a case paid
    in full is 100%, and a smaller amount owed than recovered is refused by the database."""

    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk__in=[october.x.pk, october.y.pk]).update(amount_owed=Decimal("1.00"))
    Case.objects.filter(pk__in=[october.x.pk, october.y.pk]).update(
        amount_owed=F("recovered_amount")
    )
    response = client(october.office).get(f"/api/v1/reports/dashboard/?{OCT}")
    assert response.status_code == 200
    a = next(u for u in response.json()["units"] if u["name"] == "东湖区")
    assert a["values"]["recovery_rate"] == "1.0000"


@pytest.mark.parametrize(
    "url",
    [
        "/employers/?q=%00",
        "/reports/?period=2026%00",
        "/api/v1/reports/dashboard/?channel=%00",
        "/cases/?q=a%00b",
    ],
)
def test_nul_characters_are_a_400_everywhere(october: October, url: str) -> None:
    response = client(october.office).get(url)
    assert response.status_code == 400
    assert "无效字符" in response.content.decode()


def test_nul_characters_in_a_posted_form_are_a_400(october: October) -> None:
    response = client(october.office).post("/warnings/1/dispose/", {"case_number": "A\x00"})
    assert response.status_code == 400


def test_chart_bars_and_slices_open_their_rows(october: October) -> None:
    response = client(october.office).get(f"/reports/counties/369902/?{OCT}&industry=")
    charts = response.context["charts"]
    october_received = charts["month_urls"]["received"][-1]
    assert "subset=received" in october_received and "period=2026-10" in october_received
    assert f"county={october.a.pk}" in october_received
    c = client(october.office)
    assert "共 3 条" in c.get(october_received).content.decode()
    payments = charts["month_urls"]["recovered"][-1]
    assert "共 3 条" in c.get(payments).content.decode()  # 10, 28 and 29 Oct
    slice_url = next(s["url"] for s in charts["outcome"] if s["value"] == 1)
    assert "共 1 条" in c.get(slice_url).content.decode()


def test_the_circulation_list_links_cases_and_orders(october: October) -> None:
    response = client(october.office).get(f"/reports/?{OCT}")
    rows = response.context["overdue_units"]
    housing = next(r for r in rows if r["department_name"] == "东湖区住建局")
    assert (housing["n"], housing["orders"]) == (0, 1)
    listed = client(october.office).get(housing["orders_url"]).content.decode()
    assert "共 1 条" in listed and "问题1" in listed  # order 2, issued 20 Oct

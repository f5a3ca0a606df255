"""The row exports through PostgreSQL's COPY (reporting/copy_export.py) write what the ORM path
writes: the same bytes for CSV, the same cells for XLSX, for every base of the drill-down, in
both languages, with values chosen to trip the formatting (formula-like text, quotes, commas and
line breaks, empty and missing values, amounts at their limits, times across midnight in
Asia/Shanghai, an unknown choice, tracking numbers as typed)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.http import QueryDict
from django.utils import translation

from arrears.spreadsheets import write_csv
from reporting import copy_export, exports, jobs, selectors
from tests.reporting.conftest import October, at, complaint

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY is PostgreSQL's (SQLite keeps the ORM path)"
)

EVERYTHING = "period=custom&start=2022-01-01&end=2026-12-31"
# One subset per base (each base's columns), and the snapshot subsets that read `now`.
SUBSETS = ["received", "accepted", "open", "payments", "arbitration", "warnings_raised",
           "inspections", "orders", "fines", "projects"]  # fmt: skip

TRICKY_TEXT = [
    "=1+1",
    "+86 138",
    "-5",
    "@SUM(A1)",
    "\t=tab",
    "\r=cr",
    "'=already",
    'say "hi", then go',
    "line one\nline two",
    "carriage\rreturn",
    " leading and trailing ",
    "<b>&amp; 'quoted'</b>",
    "",
]


@pytest.fixture
def tricky(october: October) -> October:
    """October's records plus complaints whose values are hard to format."""
    a, hrss = october.a, october.a_hrss
    for n, text in enumerate(TRICKY_TEXT):
        complaint(a, hrss, at(2026, 10, 2, 8, n), "web_form", employer_name=text)
    # No department; an amount of zero and the largest; a worker count of one.
    complaint(a, None, at(2026, 10, 3), "walk_in", amount_owed=Decimal("0"), workers_owed=1)
    complaint(a, hrss, at(2026, 10, 3), "inspection", amount_owed=Decimal("999999999.99"))
    complaint(a, hrss, at(2026, 10, 3), "letters_visits", amount_owed=Decimal("0.50"))
    # 16:30 UTC on 31 October is 00:30 on 1 November in Shanghai; seconds are not shown.
    complaint(a, hrss, dt.datetime(2026, 10, 31, 16, 30, 59, tzinfo=dt.UTC), "walk_in")
    complaint(a, hrss, dt.datetime(2026, 10, 1, 15, 59, 30, tzinfo=dt.UTC), "walk_in")
    # A channel no longer among the choices (shown as stored), one that looks like a formula.
    complaint(a, hrss, at(2026, 10, 4), "fax")
    complaint(a, hrss, at(2026, 10, 4), "=fax")
    # Tracking numbers as people type them, and the intake's placeholder.
    complaint(a, hrss, at(2026, 10, 5), "walk_in", tracking_no="sj6cz-4stzc")
    complaint(a, hrss, at(2026, 10, 5), "walk_in", tracking_no="ＳＪ６ＣＺ４ＳＴＺＤ")
    complaint(a, hrss, at(2026, 10, 5), "walk_in", tracking_no="-")
    complaint(a, hrss, at(2026, 10, 5), "walk_in", tracking_no="AB12")
    # A case with formula-like and empty text beside the hand-built ones.
    october.z.employer_name = '=HYPERLINK("x")'
    october.z.save(update_fields=["employer_name"])
    return october


def _rows(subset: str, user: Any) -> tuple[str, Any]:
    _form, name, _filters, qs, error = jobs.drill_rows(
        QueryDict(f"subset={subset}&{EVERYTHING}"), user
    )
    assert qs is not None, error
    return selectors.SUBSETS[name].base, qs


def _orm_csv(base: str, qs: Any) -> bytes:
    out = io.BytesIO()
    write_csv(out, exports.rows_lines(base, qs))
    return out.getvalue()


def _copy_csv(base: str, qs: Any) -> tuple[bytes, int]:
    out = io.BytesIO()
    ticked: list[int] = []
    copy_export.write_csv(out, base, qs, ticked.append)
    return out.getvalue(), sum(ticked)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("subset", SUBSETS)
def test_a_csv_through_copy_is_the_orm_csv_byte_for_byte(
    tricky: October, subset: str, language: str
) -> None:
    with translation.override(language):
        base, qs = _rows(subset, tricky.office)
        expected = _orm_csv(base, qs)
        actual, ticked = _copy_csv(base, qs)
    assert actual == expected
    assert ticked == qs.count() > 0


def test_the_tricky_values_are_there_and_formatted(tricky: October) -> None:
    base, qs = _rows("received", tricky.office)
    text, _ticked = _copy_csv(base, qs)
    lines = text.decode("utf-8")
    assert lines.startswith("\ufeff查询码,收到时间,渠道,")
    assert "\r\n" in lines and ",'=1+1," in lines and ",'\t=tab," in lines
    assert '"say ""hi"", then go"' in lines and '"line one\nline two"' in lines
    assert ",999999999.99," in lines and ",0.00," in lines and ",0.50," in lines
    assert "2026-11-01 00:30" in lines and "2026-10-01 23:59" in lines
    assert ",fax," in lines and ",'=fax," in lines
    assert "\r\nSJ6CZ-4STZC," in lines and "\r\nSJ6CZ-4STZD," in lines and "\r\nAB12," in lines


def test_a_csv_is_scoped_like_the_page(tricky: October) -> None:
    base, qs = _rows("accepted", tricky.official_b)
    text = _copy_csv(base, qs)[0].decode("utf-8")
    assert tricky.w.number and tricky.x.number
    assert tricky.w.number in text and tricky.x.number not in text
    assert text == _orm_csv(base, qs).decode("utf-8")


def test_an_empty_export_has_the_header_only(tricky: October) -> None:
    base, qs = _rows("received", tricky.office)
    qs = qs.filter(pk__in=[])
    assert _copy_csv(base, qs) == (_orm_csv(base, qs), 0)


def _cells(content: bytes) -> tuple[list[list[Any]], list[list[str]]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    formats = [
        [cell.number_format if cell.value is not None else "" for cell in row]
        for row in sheet.iter_rows()
    ]
    return values, formats


@pytest.mark.parametrize("subset", SUBSETS)
def test_an_xlsx_through_copy_reads_back_with_the_orm_cells(tricky: October, subset: str) -> None:
    base, qs = _rows(subset, tricky.office)
    orm, copied = io.BytesIO(), io.BytesIO()
    # One difference, on purpose: openpyxl writes a carriage return inside text as is, and
    # an XML reader turns it into a line feed ("carriage\rreturn" reads back with \n); the
    # COPY path writes &#13; and it reads back as typed (the next test).
    qs_orm = qs.exclude(**_cr_free(base))
    exports.write_rows_openpyxl(orm, base, qs_orm, "rows")
    ticked: list[int] = []
    copy_export.write_xlsx(copied, base, qs_orm, "rows", ticked.append)
    orm_values, orm_formats = _cells(orm.getvalue())
    values, formats = _cells(copied.getvalue())
    assert values == orm_values
    assert [[type(v) for v in row] for row in values] == [
        [type(v) for v in row] for row in orm_values
    ]
    assert formats == orm_formats
    assert sum(ticked) == qs_orm.count() > 0


def _cr_free(base: str) -> dict[str, Any]:
    return {"employer_name__contains": "\r"} if base == "complaint" else {"pk__in": []}


def test_an_xlsx_keeps_text_as_typed_and_types_as_the_orm_does(tricky: October) -> None:
    base, qs = _rows("received", tricky.office)
    out = io.BytesIO()
    copy_export.write_xlsx(out, base, qs, "收到的投诉", lambda n: None)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    sheet = book.active
    assert sheet.title == "收到的投诉"
    header = [cell.value for cell in sheet[1]]
    assert header[0] == "查询码" and sheet.cell(row=1, column=1).font.b
    employers = {row[header.index("被投诉单位")] for row in sheet.iter_rows(values_only=True)}
    # Formula-like text keeps its apostrophe and is a string, not a formula; a CR survives.
    assert {"'=1+1", "'\t=tab", "'\r=cr", "carriage\rreturn", "line one\nline two"} <= employers
    assert "<b>&amp; 'quoted'</b>" in employers and " leading and trailing " in employers
    received = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert dt.datetime(2026, 11, 1, 0, 30, 59) in received  # seconds kept, as openpyxl keeps
    column = header.index("欠薪金额（元）")
    amounts = [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert 999999999.99 in amounts and 0 in amounts


def test_the_job_writes_the_copy_csv_with_progress(
    tricky: October, django_capture_on_commit_callbacks: Any
) -> None:
    from arrears import services
    from arrears.models import Job, JobState
    from tests.reporting.test_pages import body, client

    services.config_set(key="jobs.inline_rows", value=0)
    c = client(tricky.office)
    with django_capture_on_commit_callbacks(execute=True):
        assert c.get(f"/reports/rows.csv?subset=received&{EVERYTHING}").status_code == 302
    job = Job.objects.latest("pk")
    assert job.state == JobState.DONE, job.error
    base, qs = _rows("received", tricky.office)
    assert job.done == job.total == qs.count() > len(TRICKY_TEXT)
    assert body(c.get(f"/jobs/{job.pk}/download/")) == _orm_csv(base, qs)


@pytest.mark.django_db(transaction=True, databases=["default", "stream"])
def test_a_copy_stopped_by_its_writer_stops_and_leaves_no_connection_in_the_middle() -> None:
    from django.db import connections

    from arrears.streaming import STREAM, copy_to

    seen: list[bytes] = []

    def write(data: bytes) -> None:
        seen.append(data)
        if len(seen) == 3:
            raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError, match="cancelled"):
        copy_to(STREAM, "COPY (SELECT g FROM generate_series(1, 100000) g) TO STDOUT", write)
    assert seen == [b"1\n", b"2\n", b"3\n"]
    # closed (a late cancel request must not hit the next statement), and usable again
    assert connections[STREAM].connection is None
    with connections[STREAM].cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)

"""Exports. A small export is answered in the request, written to a temporary file; a large one
runs as a background job (reporting/jobs.py) through the same writers into the job's file.
Amounts are in yuan to the fen.

On PostgreSQL the drill-down rows are written by the database: `COPY (SELECT …) TO STDOUT`
formats every cell and the rows go straight to the file (reporting/copy_export.py), CSV and
the XLSX sheet alike. Elsewhere (SQLite) they are streamed through the ORM
(arrears/streaming.py), CSV by Python's csv module and XLSX row by row in openpyxl's write-only
mode: the same files, which tests/reporting/test_copy_export.py checks. Memory stays flat
either way however many rows there are."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import IO, Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from arrears.spreadsheets import csv_response, neutralise, write_csv
from arrears.streaming import stream
from reporting import copy_export, drill, metrics
from reporting.selectors import Dashboard

CHUNK = 2000

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {
    drill.INT: "#,##0",
    drill.YUAN: "#,##0.00",
    drill.DATE: "yyyy-mm-dd",
    drill.DATETIME: "yyyy-mm-dd hh:mm",
    metrics.COUNT: "#,##0",
    metrics.RATE: "0.00%",
    metrics.YUAN: "#,##0.00",
    metrics.DAYS: "0.00",
    metrics.SCORE: "0.00",
}


Tick = Callable[[int], None]


def _no_tick(rows: int) -> None:
    return None


def rows_lines(base: str, qs: QuerySet[Any], tick: Tick = _no_tick) -> Iterator[list[str]]:
    """The header, then one line of text per row; `tick` counts the rows (job progress)."""
    columns = drill.COLUMNS[base]
    yield [str(c.label) for c in columns]
    for obj in stream(qs, chunk_size=CHUNK):
        yield [drill.text(c.kind, v) for c, v in zip(columns, drill.cells(base, obj), strict=True)]
        tick(1)


def write_rows_csv(out: IO[bytes], base: str, qs: QuerySet[Any], tick: Tick = _no_tick) -> None:
    """The rows as UTF-8 CSV with a byte-order mark (Excel reads the Chinese)."""
    if copy_export.supported(qs):
        copy_export.write_csv(out, base, qs, tick)
    else:
        write_csv(out, rows_lines(base, qs, tick))


def rows_csv(base: str, qs: QuerySet[Any], stem: str) -> StreamingHttpResponse | FileResponse:
    if not copy_export.supported(qs):
        return csv_response(rows_lines(base, qs), f"{stem}.csv")
    # COPY writes every row before it returns: into a temporary file, sent when complete.
    handle = tempfile.TemporaryFile(suffix=".csv")  # noqa: SIM115  (closed by the response)
    copy_export.write_csv(handle, base, qs, _no_tick)
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=f"{stem}.csv", content_type="text/csv; charset=utf-8"
    )


def _header(sheet: Any, labels: list[str]) -> list[Any]:
    bold = Font(bold=True)
    cells = []
    for label in labels:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        cells.append(cell)
    return cells


def _cell(sheet: Any, value: Any, kind: str) -> Any:
    if kind == drill.BOOL:
        value = None if value is None else str(_("是") if value else _("否"))
    if isinstance(value, str):
        value = neutralise(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever it starts with
    if kind in NUMBER_FORMATS and value is not None:
        cell.number_format = NUMBER_FORMATS[kind]
    return cell


def write_rows_xlsx(
    out: IO[bytes], base: str, qs: QuerySet[Any], title: str, tick: Tick = _no_tick
) -> None:
    if copy_export.supported(qs):
        copy_export.write_xlsx(out, base, qs, title, tick)
    else:
        write_rows_openpyxl(out, base, qs, title, tick)


def write_rows_openpyxl(
    out: IO[bytes], base: str, qs: QuerySet[Any], title: str, tick: Tick = _no_tick
) -> None:
    columns = drill.COLUMNS[base]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(_header(sheet, [str(c.label) for c in columns]))
    for obj in stream(qs, chunk_size=CHUNK):
        sheet.append(
            [_cell(sheet, v, c.kind) for c, v in zip(columns, drill.cells(base, obj), strict=True)]
        )
        tick(1)
    workbook.save(out)


def _file_response(workbook: Workbook, stem: str) -> FileResponse:
    # The temporary file goes away when the response closes it.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (closed by the response)
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=f"{stem}.xlsx", content_type=XLSX_TYPE)


def rows_xlsx(base: str, qs: QuerySet[Any], stem: str, title: str) -> FileResponse:
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (closed by the response)
    write_rows_xlsx(handle, base, qs, title)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=f"{stem}.xlsx", content_type=XLSX_TYPE)


def _table(board: Dashboard) -> tuple[list[str], list[list[Any]]]:
    unit_label = _("县（区）") if board.dim == "county" else _("部门")
    labels = [_("排名"), unit_label]
    for key in metrics.TABLE:
        metric = metrics.METRICS[key]
        suffix = _("（元）") if metric.unit == metrics.YUAN else ""
        labels.append(f"{metric.label}{suffix}")
    labels.append(_("平均办结用时较去年同期（工作日）"))
    rows = []
    for unit in [*board.units, board.total]:
        rows.append(
            [unit.rank, unit.name]
            + [unit.values[key] for key in metrics.TABLE]
            + [unit.avg_days_change]
        )
    return labels, rows


def table_lines(board: Dashboard) -> list[list[str]]:
    labels, rows = _table(board)
    kinds = ["", ""] + [metrics.METRICS[k].unit for k in metrics.TABLE] + [metrics.DAYS]

    def text(kind: str, value: Any) -> str:
        if value is None:
            return ""
        if kind == metrics.YUAN:
            return f"{Decimal(value):.2f}"
        return neutralise(value) if isinstance(value, str) else str(value)

    return [labels] + [[text(k, v) for k, v in zip(kinds, row, strict=True)] for row in rows]


def table_csv(board: Dashboard, stem: str) -> StreamingHttpResponse:
    return csv_response(table_lines(board), f"{stem}.csv")


def table_xlsx(board: Dashboard, stem: str) -> FileResponse:
    return _file_response(table_workbook(board), stem)


def table_workbook(board: Dashboard) -> Workbook:
    labels, rows = _table(board)
    kinds = ["int", "text"] + [metrics.METRICS[k].unit for k in metrics.TABLE] + [metrics.DAYS]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_("统计表")))
    period = board.filters.period
    sheet.append([str(_("期间")), period.label, period.start, period.end])
    sheet.append(_header(sheet, labels))
    for row in rows:
        sheet.append([_cell(sheet, v, k) for k, v in zip(kinds, row, strict=True)])
    notes = workbook.create_sheet(title=str(_("指标口径")))
    notes.append(_header(notes, [str(_("指标")), str(_("口径"))]))
    for metric in metrics.METRICS.values():
        notes.append([str(metric.label), str(metric.definition)])
    return workbook

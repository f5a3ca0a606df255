"""Benchmark: the drill-down row export of every complaint (issue 15, "exports at COPY speed"),
each variant beside PostgreSQL's own `COPY` of the table measured in the same run. Only reads:
run it on a seeded database others use too.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arrears_bench_city \\
        .venv/bin/python bench/bench_exports.py [--sample 100000] [--skip-orm]

The rows are those of a `reporting.rows` job for subset "received" over a custom period
covering every complaint, for a superuser (the same `jobs.drill_rows` queryset the job and the
page use). Variants, each into a temporary file on local disk:
  - copy:      `COPY complaints_complaint TO STDOUT (FORMAT csv)` read by the client into a sink
               that counts bytes: the floor for reading the rows out (no joins, no formatting);
  - csv copy:  reporting/copy_export.write_csv, what the job writes on PostgreSQL now;
  - csv orm:   spreadsheets.write_csv(exports.rows_lines(…)), the ORM path (SQLite's, and
               PostgreSQL's before);
  - xlsx copy: reporting/copy_export.write_xlsx at zlib levels 1 and 6 (the one used);
  - on the first --sample rows: the ORM path through openpyxl's write-only mode (what the job
    wrote before), and the two libraries alone, fed the same cells already in memory:
    openpyxl write-only and xlsxwriter's constant_memory mode — the library comparison.
Reports seconds, rows/s, the time against COPY's, the file size and the peak resident memory
(VmHWM, reset before each variant). Checks the CSV files are identical and have every row.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")

import django

django.setup()
# The project, once Django is set up (a script run by hand, not a module Django loads).
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.utils import translation  # noqa: E402

from arrears.models import User  # noqa: E402
from arrears.spreadsheets import write_csv  # noqa: E402
from complaints.models import Complaint  # noqa: E402
from reporting import copy_export, drill, exports, jobs  # noqa: E402


class _Sink(io.RawIOBase):
    """Counts what COPY writes and keeps nothing."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.size += len(data)
        return len(data)


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(field)


class Table:
    def __init__(self, rows: int) -> None:
        self.copy_s = 0.0
        self.rows = rows  # the rows COPY's baseline reads
        print(
            "| variant | rows | seconds | rows/s | × COPY's rows/s | × COPY's time | file MiB "
            "| peak RSS MiB |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|", flush=True)

    def line(self, name: str, rows: int, seconds: float, size: int, peak: str) -> None:
        ratio = seconds / self.copy_s if self.copy_s else 1.0
        speed = (rows / seconds) / (self.rows / self.copy_s) if self.copy_s else 1.0
        print(
            f"| {name} | {rows:,} | {seconds:.2f} | {rows / seconds:,.0f} | {speed:.2f} | "
            f"{ratio:.2f} | {size / 2**20:.0f} | {peak} |",
            flush=True,
        )


def _measured(run: Callable[[IO[bytes]], None]) -> tuple[float, int, str, str]:
    """Seconds, file size, peak RSS and the file's digest of one variant writing a file."""
    with tempfile.TemporaryFile(dir=os.environ.get("BENCH_TMP")) as out:
        Path("/proc/self/clear_refs").write_text("5")
        before = _status("VmRSS")
        start = time.perf_counter()
        run(out)
        seconds = time.perf_counter() - start
        peak = _status("VmHWM")
        size = out.tell()
        out.seek(0)
        digest = hashlib.sha256()
        while chunk := out.read(1 << 20):
            digest.update(chunk)
    return seconds, size, f"{peak:.0f} (from {before:.0f})", digest.hexdigest()


def _count_csv(run: Callable[[IO[bytes]], None]) -> int:
    with tempfile.TemporaryFile(dir=os.environ.get("BENCH_TMP")) as out:
        run(out)
        out.seek(0)
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        return sum(1 for _row in csv.reader(text)) - 1  # the header


def _sample_cells(base: str, qs: Any, rows: int) -> list[list[Any]]:
    """The first rows' cells as exports._cell gives openpyxl its values (before the cell)."""
    columns = drill.COLUMNS[base]
    out = []
    for obj in qs[:rows].iterator(chunk_size=2000):
        line = []
        for column, value in zip(columns, drill.cells(base, obj), strict=True):
            if column.kind == drill.BOOL and value is not None:
                value = "是" if value else "否"
            line.append(exports.neutralise(value) if isinstance(value, str) else value)
        out.append(line)
    return out


def _openpyxl_alone(cells: list[list[Any]], kinds: list[str], out: IO[bytes]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="rows")
    for line in cells:
        row = []
        for value, kind in zip(line, kinds, strict=True):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            if kind in exports.NUMBER_FORMATS and value is not None:
                cell.number_format = exports.NUMBER_FORMATS[kind]
            row.append(cell)
        sheet.append(row)
    workbook.save(out)


def _xlsxwriter_alone(cells: list[list[Any]], kinds: list[str], out: IO[bytes]) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet("rows")
    formats = {k: workbook.add_format({"num_format": f}) for k, f in exports.NUMBER_FORMATS.items()}
    writers: list[Callable[..., Any]] = []
    for kind in kinds:
        if kind in (drill.INT, drill.YUAN):
            writers.append(lambda r, c, v, f=formats[kind]: sheet.write_number(r, c, v, f))
        elif kind in (drill.DATE, drill.DATETIME):
            writers.append(lambda r, c, v, f=formats[kind]: sheet.write_datetime(r, c, v, f))
        else:
            writers.append(sheet.write_string)
    for r, line in enumerate(cells):
        for c, (value, write) in enumerate(zip(line, writers, strict=True)):
            if value is None or value == "":
                continue
            if isinstance(value, Decimal):
                value = float(value)
            elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                value = dt.datetime.combine(value, dt.time())
            write(r, c, value)
    workbook.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--skip-orm", action="store_true", help="no full ORM CSV")
    parser.add_argument("--levels", default="1,6", help="zlib levels of the XLSX through COPY")
    args = parser.parse_args()

    translation.activate("zh-hans")
    total = Complaint.objects.count()
    first = Complaint.objects.order_by("received_at").values_list("received_at", flat=True)[0]
    user = User.objects.filter(is_superuser=True).order_by("pk").first()
    assert user is not None
    query = f"subset=received&period=custom&start={first.date().isoformat()}&end=2026-12-31"
    _form, _name, _filters, qs, error = jobs.drill_rows(QueryDict(query), user)
    assert qs is not None, error
    rows = qs.count()
    base = "complaint"
    kinds = [c.kind for c in drill.COLUMNS[base]]
    version = connection.pg_version  # type: ignore[attr-defined]
    print(f"complaints: {total:,}; exported rows: {rows:,}; postgres: {version}")
    print(f"load: {os.getloadavg()}")
    print()
    table = Table(total)

    def copy_table() -> tuple[float, int]:
        sink = _Sink()
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.copy_expert("COPY complaints_complaint TO STDOUT (FORMAT csv)", sink)
        return time.perf_counter() - start, sink.size

    # Once to warm the cache (the first read of the table comes from disk), then measured.
    seconds, size = copy_table()
    print(f"(warm-up COPY: {seconds:.2f} s)", flush=True)
    table.copy_s, size = copy_table()
    table.line("`COPY complaints_complaint TO STDOUT` (baseline)", total, table.copy_s, size, "–")

    ticks: list[int] = []

    def copy_csv(out: IO[bytes]) -> None:
        copy_export.write_csv(out, base, qs, ticks.append)

    seconds, size, peak, copy_digest = _measured(copy_csv)
    assert sum(ticks) == rows, (sum(ticks), rows)
    table.line("CSV through COPY (`copy_export.write_csv`)", rows, seconds, size, peak)

    if not args.skip_orm:

        def orm_csv(out: IO[bytes]) -> None:
            write_csv(out, exports.rows_lines(base, qs))

        seconds, size, peak, orm_digest = _measured(orm_csv)
        table.line("CSV through the ORM (`rows_lines`, before)", rows, seconds, size, peak)
        assert orm_digest == copy_digest, "the two CSV files differ"

    for level in [int(x) for x in args.levels.split(",")]:
        copy_export.COMPRESSLEVEL = level
        seconds, size, peak, _digest = _measured(
            lambda out: copy_export.write_xlsx(out, base, qs, "rows", lambda n: None)
        )
        table.line(f"XLSX through COPY, zlib level {level}", rows, seconds, size, peak)
    copy_export.COMPRESSLEVEL = 6

    sample = qs[: args.sample]
    n = min(args.sample, rows)
    seconds, size, peak, _digest = _measured(
        lambda out: exports.write_rows_openpyxl(out, base, sample, "rows")
    )
    table.line(f"XLSX through the ORM + openpyxl (before), first {n:,}", n, seconds, size, peak)
    cells = _sample_cells(base, qs, args.sample)
    seconds, size, peak, _digest = _measured(lambda out: _openpyxl_alone(cells, kinds, out))
    table.line(f"openpyxl write-only alone, cells in memory, {n:,}", n, seconds, size, peak)
    seconds, size, peak, _digest = _measured(lambda out: _xlsxwriter_alone(cells, kinds, out))
    table.line(f"xlsxwriter constant_memory alone, cells in memory, {n:,}", n, seconds, size, peak)

    seconds, size = copy_table()
    table.line("`COPY complaints_complaint TO STDOUT` again, at the end", total, seconds, size, "–")
    lines = _count_csv(copy_csv)
    assert lines == rows, (lines, rows)
    same = "yes" if not args.skip_orm else "not compared"
    print(f"\nCSV through COPY: {lines:,} rows read back; identical to the ORM's: {same}")


if __name__ == "__main__":
    main()

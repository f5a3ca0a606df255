"""Benchmark: the export of every complaint of the seeded city as a background job, against
PostgreSQL's own `COPY` of the same table measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arrears_bench \\
        .venv/bin/python bench/bench_export_job.py --complaints 1000000

Seeds the database with `seed_demo --complaints N` if it holds fewer complaints. Then:
  - copy: `COPY complaints_complaint TO STDOUT (FORMAT csv)` read by the client (psycopg2's
          copy_expert into a sink that counts bytes): the floor for reading the rows out;
  - job:  `arrears.jobs.job_run` of a `reporting.rows` job (subset "received", a custom period
          over every complaint), exactly what the worker runs: the drill-down queryset with
          its joins and county/department names, CSV to the job's file (on PostgreSQL through
          COPY since issue 15: reporting/copy_export.py; bench/bench_exports.py compares it
          with the ORM path), progress written every 2,000 rows. Checks the file has every row.
Reports rows/s, the ratio to COPY, and the peak resident memory of the job (VmHWM, reset
before it), for CSV and (unless --skip-xlsx) XLSX.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")

import django

django.setup()
# The project, once Django is set up (a script run by hand, not a module Django loads).
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from arrears import jobs  # noqa: E402
from arrears.models import Job, User  # noqa: E402
from complaints.models import Complaint  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--skip-xlsx", action="store_true")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    have = Complaint.objects.count()
    if have < args.complaints:
        call_command("seed_demo", complaints=args.complaints - have, stdout=io.StringIO())
    total = Complaint.objects.count()
    first = Complaint.objects.order_by("received_at").values_list("received_at", flat=True)[0]
    user = User.objects.filter(is_superuser=True).first() or User.objects.get(username="admin")
    print(f"complaints: {total:,}; postgres: {connection.pg_version}")  # type: ignore[attr-defined]

    sink = _Sink()
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.copy_expert("COPY complaints_complaint TO STDOUT (FORMAT csv)", sink)
    copy_s = time.perf_counter() - start
    print()
    print("| variant | rows | seconds | rows/s | × COPY time | file MiB | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| `COPY complaints_complaint TO STDOUT` (baseline) | {total:,} | {copy_s:.2f} | "
        f"{total / copy_s:,.0f} | 1.0 | {sink.size / 2**20:.0f} | – |",
        flush=True,
    )
    query = f"subset=received&period=custom&start={first.date().isoformat()}&end=2026-12-31"
    for fmt in ("csv", "xlsx"):
        if fmt == "xlsx" and args.skip_xlsx:
            continue
        job = Job.objects.create(
            owner=user,
            kind="reporting.rows",
            params={"query": query, "fmt": fmt, "language": "zh-hans"},
            scope=jobs._scope_snapshot(user),
            summary="bench",
        )
        Path("/proc/self/clear_refs").write_text("5")
        before = _status("VmRSS")
        start = time.perf_counter()
        state = jobs.job_run(job_id=job.pk)
        seconds = time.perf_counter() - start
        peak = _status("VmHWM")
        job.refresh_from_db()
        assert state == "done", (state, job.error)
        size = Path(job.result.path).stat().st_size
        if fmt == "csv":
            with open(job.result.path, encoding="utf-8-sig", newline="") as handle:
                lines = sum(1 for _row in csv.reader(handle)) - 1  # the header
            assert lines == job.done == total, (lines, job.done, total)
        print(
            f"| job, {fmt.upper()} | {job.done:,} | {seconds:.2f} | {job.done / seconds:,.0f} | "
            f"{seconds / copy_s:.1f} | {size / 2**20:.0f} | {peak:.0f} (from {before:.0f}) |",
            flush=True,
        )
        job.result.delete(save=False)
        job.delete()


if __name__ == "__main__":
    main()

"""Benchmark: the dashboards on a seeded city of a million complaints, against hand-written SQL
of the same figures measured in the same run; and the row exports' memory at two sizes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arrears_bench \\
        .venv/bin/python bench/bench_reporting.py --complaints 1000000

Seeds the database with `seed_demo --complaints N` if it holds fewer complaints. For the city
overview (per county) and one county page (per department) it times, as the median of
--repeat runs:
  - sql:  hand-written SQL computing the period's figures (one statement per table);
  - orm:  the same figures through `reporting.selectors` (raw_rollup + snapshot_rollup), and
          checks that both give the same numbers;
  - page: the whole dashboard as served, computed (`?fresh=1`: the period, its comparisons,
          breakdowns, trend, 通报 list, template), and then as served from the cache.
Then it exports the rows of a figure (CSV streamed, XLSX write-only) for a small and a large
period and reports the peak resident memory of each (VmHWM, reset before each export).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")

import django

django.setup()
# The project, once Django is set up (a script run by hand, not a module Django loads).
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from arrears.models import County, User  # noqa: E402
from complaints.models import Case, Complaint  # noqa: E402
from projects.models import RectificationOrder  # noqa: E402
from projects.models.compliance import CORE_ITEMS, TWO_FUNDS_ONE_BOARD  # noqa: E402
from reporting import drill, exports, periods, selectors  # noqa: E402

CASE_SQL = """
SELECT {unit} AS unit,
  count(*) FILTER (WHERE accepted_at >= %(s)s AND accepted_at < %(e)s) AS accepted,
  count(*) FILTER (WHERE accepted_at >= %(s)s AND accepted_at < %(e)s AND state = 'closed')
    AS accepted_closed,
  sum(workers_owed) FILTER (WHERE accepted_at >= %(s)s AND accepted_at < %(e)s)
    AS workers_involved,
  sum(amount_owed) FILTER (WHERE accepted_at >= %(s)s AND accepted_at < %(e)s) AS owed_sum,
  count(*) FILTER (WHERE {closed}) AS closed,
  count(*) FILTER (WHERE {closed} AND closed_on_time IS NOT NULL) AS closed_timed,
  count(*) FILTER (WHERE {closed} AND closed_on_time) AS on_time,
  count(*) FILTER (WHERE {closed} AND closed_in_limit) AS closed_in_limit,
  sum(working_days_taken) FILTER (WHERE {closed}) AS days_sum,
  count(working_days_taken) FILTER (WHERE {closed}) AS days_n,
  sum(amount_owed) FILTER (WHERE {closed}) AS owed_closed,
  sum(recovered_amount) FILTER (WHERE {closed}) AS recovered_closed,
  sum(satisfaction) FILTER (WHERE {closed}) AS satisfaction_sum,
  count(satisfaction) FILTER (WHERE {closed}) AS rated
FROM complaints_case
WHERE ((accepted_at >= %(s)s AND accepted_at < %(e)s) OR ({closed})) {where}
GROUP BY 1
""".replace("{closed}", "state = 'closed' AND closed_at >= %(s)s AND closed_at < %(e)s")

SQL = {
    "complaints": """
        SELECT {unit} AS unit, count(*) AS received FROM complaints_complaint
        WHERE received_at >= %(s)s AND received_at < %(e)s {where} GROUP BY 1""",
    "cases": CASE_SQL,
    "payments": """
        SELECT c.{unit} AS unit, sum(p.amount) AS recovered, sum(p.workers_paid) AS paid_workers,
          sum(p.amount) FILTER (WHERE p.payer = 'employer') AS recovered_employer,
          sum(p.amount) FILTER (WHERE p.payer = 'general_contractor')
            AS recovered_general_contractor,
          sum(p.amount) FILTER (WHERE p.payer = 'construction_unit')
            AS recovered_construction_unit,
          sum(p.amount) FILTER (WHERE p.payer = 'emergency_fund') AS recovered_emergency_fund
        FROM complaints_casepayment p JOIN complaints_case c ON c.id = p.case_id
        WHERE p.paid_on BETWEEN %(d0)s AND %(d1)s {cwhere} GROUP BY 1""",
    "entries": """
        SELECT c.{unit} AS unit,
          count(*) FILTER (WHERE e.kind = 'arbitration') AS arbitration,
          count(*) FILTER (WHERE e.kind = 'police') AS police
        FROM complaints_caseentry e JOIN complaints_case c ON c.id = e.case_id
        WHERE e.kind IN ('arbitration', 'police') AND e.at >= %(s)s AND e.at < %(e)s {cwhere}
        GROUP BY 1""",
    "warnings": """
        SELECT {unit} AS unit,
          count(*) FILTER (WHERE opened_at >= %(s)s AND opened_at < %(e)s) AS warnings_raised,
          count(*) FILTER (WHERE state = 'resolved' AND resolved_at >= %(s)s
                           AND resolved_at < %(e)s) AS warnings_resolved
        FROM projects_warning
        WHERE ((opened_at >= %(s)s AND opened_at < %(e)s)
           OR (state = 'resolved' AND resolved_at >= %(s)s AND resolved_at < %(e)s)) {where}
        GROUP BY 1""",
    "inspections": """
        SELECT {unit} AS unit, count(*) AS inspections FROM projects_inspection
        WHERE inspected_on BETWEEN %(d0)s AND %(d1)s {where} GROUP BY 1""",
    "orders": """
        SELECT i.{unit} AS unit, count(*) AS orders,
          count(*) FILTER (WHERE EXISTS (SELECT 1 FROM arrears_deadline d
             WHERE d.content_type_id = %(order_ct)s AND d.object_id = o.id
               AND d.kind = 'rectification' AND d.state = 'met')) AS orders_on_time,
          count(*) FILTER (WHERE EXISTS (SELECT 1 FROM arrears_deadline d
             WHERE d.content_type_id = %(order_ct)s AND d.object_id = o.id
               AND d.kind = 'rectification'
               AND (d.state = 'missed' OR (d.state IN ('open', 'paused') AND d.due_at < %(now)s))))
             AS orders_overdue
        FROM projects_rectificationorder o
        JOIN projects_finding f ON f.id = o.finding_id
        JOIN projects_inspection i ON i.id = f.inspection_id
        WHERE o.issued_on BETWEEN %(d0)s AND %(d1)s {iwhere} GROUP BY 1""",
    "fines": """
        SELECT i.{unit} AS unit, count(*) AS fines, sum(x.amount) AS fine_amount
        FROM projects_fine x JOIN projects_inspection i ON i.id = x.inspection_id
        WHERE x.decided_on BETWEEN %(d0)s AND %(d1)s {iwhere} GROUP BY 1""",
    "open": """
        SELECT {unit} AS unit, count(*) AS open,
          count(*) FILTER (WHERE EXISTS (SELECT 1 FROM arrears_deadline d
             WHERE d.content_type_id = %(case_ct)s AND d.object_id = complaints_case.id
               AND d.state = 'open' AND d.due_at < %(now)s)) AS overdue
        FROM complaints_case
        WHERE state IN ('pending', 'accepted', 'filed') {where} GROUP BY 1""",
    "coverage": """
        SELECT {unit} AS unit, count(*) AS projects,
          count(*) FILTER (WHERE {core}) AS projects_core,
          count(*) FILTER (WHERE {two}) AS projects_two_funds
        FROM projects_project p
        WHERE status = 'in_construction' {where} GROUP BY 1""",
}


def _items(codes: list[str]) -> str:
    return " AND ".join(
        "EXISTS (SELECT 1 FROM projects_checklistitem c WHERE c.project_id = p.id"  # noqa: S608  (constant item codes)
        f" AND c.item = '{code}' AND c.state IN ('compliant', 'not_applicable'))"
        for code in codes
    )


def hand_sql(
    cursor: Any, params: dict[str, Any], dim: str, county_id: int | None
) -> dict[Any, dict[str, Any]]:
    unit = "county_id" if dim == "county" else "department_id"
    rows: dict[Any, dict[str, Any]] = {}
    for template in SQL.values():
        where = f"AND county_id = {int(county_id)}" if county_id else ""
        sql = template.format(
            unit=unit,
            where=where,
            cwhere=where.replace("county_id", "c.county_id"),
            iwhere=where.replace("county_id", "i.county_id"),
            core=_items(CORE_ITEMS),
            two=_items(TWO_FUNDS_ONE_BOARD),
        )
        cursor.execute(sql, params)
        columns = [c.name for c in cursor.description]
        for record in cursor.fetchall():
            values = dict(zip(columns, record, strict=True))
            row = rows.setdefault(values.pop("unit"), {})
            for key, value in values.items():
                if value is not None:
                    row[key] = row.get(key, 0) + value
    return rows


def median_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(field)


def peak_rss_mib(fn: Callable[[], Any]) -> tuple[float, float, float, Any]:
    """Run fn; return (resident MiB before, peak resident MiB during it, seconds, result).
    Linux: writing 5 to /proc/self/clear_refs resets the high-water mark."""
    Path("/proc/self/clear_refs").write_text("5")
    before = _status("VmRSS")
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    return before, _status("VmHWM"), elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-xlsx", action="store_true")
    parser.add_argument("--skip-exports", action="store_true")
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it will be filled with test rows).")
    call_command("migrate", verbosity=0)
    have = Complaint.objects.count()
    if have < args.complaints:
        print(f"seeding {args.complaints:,} complaints (have {have:,}) …", flush=True)
        call_command("seed_demo", complaints=args.complaints - have, stdout=io.StringIO())
    with connection.cursor() as cursor:
        # As autovacuum would have it on a live system: statistics and the visibility map
        # (which index-only scans need) are current.
        cursor.execute("VACUUM ANALYZE")
    total = Complaint.objects.count()
    cases = Case.objects.count()
    user = User.objects.filter(role="city_office").order_by("pk").first()
    assert user is not None
    now = timezone.now()
    year = periods.year(timezone.localdate().year)
    print(f"city: {total:,} complaints, {cases:,} cases; user {user.username}; now {now:%F %T}")
    print()
    print(
        "| page | period | hand SQL ms | ORM ms | ORM / SQL | whole page ms "
        "| page from cache ms | same figures |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---|")
    county = County.objects.order_by("code").first()
    assert county is not None
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    for period in (year, periods.month(year.start.year, timezone.localdate().month)):
        for dim, county_id in (("county", None), ("department", county.pk)):
            filters = selectors.Filters(period, county_id=county_id)
            s, e = period.bounds()
            params = {
                "s": s,
                "e": e,
                "d0": period.start,
                "d1": period.end,
                "now": now,
                "case_ct": ContentType.objects.get_for_model(Case).pk,
                "order_ct": ContentType.objects.get_for_model(RectificationOrder).pk,
            }

            def sql(params: dict[str, Any] = params, dim: str = dim, cid: Any = county_id) -> Any:
                with connection.cursor() as cursor:
                    return hand_sql(cursor, params, dim, cid)

            def orm(filters: selectors.Filters = filters, dim: str = dim) -> Any:
                rows = selectors.raw_rollup(user=user, filters=filters, dim=dim, now=now)
                for key, values in selectors.snapshot_rollup(
                    user=user, filters=filters, dim=dim, now=now
                ).items():
                    selectors.merge_rows(rows, key, values)
                return rows

            sql()  # warm the cache for both
            orm()
            sql_ms, by_sql = median_ms(sql, args.repeat)
            orm_ms, by_orm = median_ms(orm, args.repeat)
            same = _normalise(by_sql) == _normalise(by_orm, _keys(by_sql))
            url = (
                f"/reports/counties/{county.code}/" if county_id else "/reports/"
            ) + f"?period={period.code}"

            def page(url: str = url) -> Any:
                return client.get(url + "&fresh=1")  # computed, not from the cache

            def cached(url: str = url) -> Any:
                return client.get(url)

            page_ms, response = median_ms(page, max(3, args.repeat // 2))
            assert response.status_code == 200, response.status_code
            cached_ms, response = median_ms(cached, 3)
            label = "city overview" if dim == "county" else f"county page ({county.name})"
            print(
                f"| {label} | {period.label} | {sql_ms:.0f} | {orm_ms:.0f} | "
                f"{orm_ms / sql_ms:.2f} | {page_ms:.0f} | {cached_ms:.0f} | "
                f"{'yes' if same else 'NO'} |",
                flush=True,
            )
            if not same:
                print(
                    "  differences:", _diff(_normalise(by_sql), _normalise(by_orm, _keys(by_sql)))
                )

    if args.skip_exports:
        return
    print()
    print("| export | rows | seconds | RSS before MiB | peak RSS MiB | growth MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    small = periods.parse(
        "custom", year.start.isoformat(), (year.start + dt.timedelta(days=36)).isoformat()
    )
    # Every complaint (longer than the pages allow a custom period to be).
    everything = periods.Period("custom", dt.date(2000, 1, 1), year.end)
    for fmt in ("csv", "xlsx"):
        if fmt == "xlsx" and args.skip_xlsx:
            continue
        for period in (small, everything):
            filters = selectors.Filters(period)
            qs = selectors.subset_queryset("received", user=user, filters=filters)
            rows_qs = drill.rows_queryset("complaint", qs)
            n = rows_qs.count()

            def run(rows_qs: Any = rows_qs, fmt: str = fmt) -> int:
                if fmt == "csv":
                    streamed = exports.rows_csv("complaint", rows_qs, "bench")
                    return sum(len(chunk) for chunk in cast(Iterator[bytes], streamed))
                response = exports.rows_xlsx("complaint", rows_qs, "bench", title="bench")
                size = sum(len(chunk) for chunk in cast(Iterator[bytes], response))
                response.close()
                return size

            before, peak, seconds, size = peak_rss_mib(run)
            print(
                f"| {fmt.upper()} ({size / 2**20:.0f} MiB file) | {n:,} | {seconds:.1f} | "
                f"{before:.0f} | {peak:.0f} | {peak - before:.0f} |",
                flush=True,
            )


def _normalise(
    rows: dict[Any, dict[str, Any]], keys: set[str] | None = None
) -> dict[Any, dict[str, Any]]:
    """Zeros and None dropped, money to the fen; with `keys`, only those figures (the hand
    SQL's: the ORM also reads figures of projects and clocks it does not write)."""
    out = {}
    for key, row in rows.items():
        clean = {
            k: (Decimal(v).quantize(Decimal("0.01")) if isinstance(v, Decimal) else v)
            for k, v in row.items()
            if v not in (0, None) and (keys is None or k in keys)
        }
        if clean:
            out[key] = clean
    return out


def _keys(rows: dict[Any, dict[str, Any]]) -> set[str]:
    return set().union(*(row.keys() for row in rows.values()))


def _diff(a: dict[Any, Any], b: dict[Any, Any]) -> list[Any]:
    return [
        (k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b), key=str) if a.get(k) != b.get(k)
    ][:5]


if __name__ == "__main__":
    main()

"""Benchmark: what the audit trail costs a bulk UPDATE, and what recomputing deadlines after a
calendar change costs, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arrears_bench \\
        .venv/bin/python bench/bench_audit.py --deadlines 200000 --updated 10000

Each figure is a ratio against a baseline measured in the same run on the same rows:
- audited `QuerySet.update()` of U rows vs the same update with the trail suspended vs a
  hand-written SQL UPDATE (the baseline), and the audited update with the chained MAC
  replaced by a plain insert (what the trail cost before the chain);
- `audit_verify`'s walk over the trail's rows (µs per row);
- `deadlines_recompute()` over all running deadlines vs a plain SQL UPDATE touching the same
  rows (the floor for rewriting N rows).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()
# The project, once Django is set up (a script run by hand, not a module Django loads).
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import F  # noqa: E402

from arrears import audit, deadlines  # noqa: E402
from arrears.audit import chain  # noqa: E402
from arrears.models import AuditEvent, City, County, Deadline  # noqa: E402


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deadlines", type=int, default=200_000)
    parser.add_argument("--updated", type=int, default=10_000)
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it will be filled with test rows).")
    call_command("migrate", verbosity=0)
    call_command("load_calendar", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    with audit.suspended(), transaction.atomic():
        Deadline.objects.all().delete()
        # The append-only trigger's one exception (this is the bench's own database).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL arrears.audit_archive = 'on'")
        AuditEvent.objects.all().delete()
        city, _ = City.objects.get_or_create(code="369900", defaults={"name": "江城市"})
        county, _ = County.objects.get_or_create(
            code="369902", defaults={"name": "东湖区", "city": city}
        )
        ct = ContentType.objects.get_for_model(County)
        start = dt.date(2026, 1, 5)
        due = dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC)
        batch = []
        for i in range(args.deadlines):
            batch.append(
                Deadline(
                    content_type=ct,
                    object_id=i + 1,
                    kind="bench",
                    county=county,
                    started_on=start,
                    working_days=60,
                    due_date=due.date(),
                    due_at=due,
                )
            )
            if len(batch) == 10_000:
                Deadline.objects.bulk_create(batch)
                batch = []
        Deadline.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE arrears_deadline")
    first = Deadline.objects.order_by("pk").values_list("pk", flat=True).first()
    assert first is not None
    low, high = first, first + args.updated - 1

    def orm_audited() -> None:
        with transaction.atomic():
            Deadline.objects.filter(pk__gte=low, pk__lte=high).update(
                escalation_level=F("escalation_level") + 1
            )

    def orm_plain() -> None:
        with audit.suspended(), transaction.atomic():
            Deadline.objects.filter(pk__gte=low, pk__lte=high).update(
                escalation_level=F("escalation_level") + 1
            )

    def sql() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE arrears_deadline SET escalation_level = escalation_level + 1 "
                "WHERE id BETWEEN %s AND %s",
                [low, high],
            )

    chained_append = chain.append
    unchained_seq = [10**12]

    def unchained_append(model: Any, rows: Any, *, need_ids: bool = False) -> None:
        # The trail as it was before the chain: no lock, no head lookup, no MAC. Rows may
        # come as plain dicts (the bulk paths) or as instances.
        objs = [model(**row) if isinstance(row, dict) else row for row in rows]
        for row in objs:
            unchained_seq[0] += 1
            row.seq, row.mac = unchained_seq[0], ""
        model._default_manager.bulk_create(objs, batch_size=chain.BATCH)

    t_sql, t_plain, t_audited = timed(sql), timed(orm_plain), timed(orm_audited)
    chain.append = unchained_append
    try:
        t_unchained = timed(orm_audited)
    finally:
        chain.append = chained_append
    rows = [
        ("hand-written SQL UPDATE (baseline)", t_sql),
        ("ORM update(), trail suspended", t_plain),
        ("ORM update(), audited, without the MAC chain (as before)", t_unchained),
        ("ORM update(), audited, chained MAC (row per change)", t_audited),
    ]
    # The verifier's walk over the chained rows just written (the unchained ones are not in
    # the chain: drop them first).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL arrears.audit_archive = 'on'")
        cursor.execute("DELETE FROM arrears_auditevent WHERE seq > %s", [10**12])
    report = chain.verify()
    assert report.ok, report.problems[:5]

    def recompute() -> None:
        with audit.suspended():
            deadlines.deadlines_recompute()

    def sql_touch() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            # The same four columns rewritten on every running row: the floor for this work.
            cursor.execute(
                "UPDATE arrears_deadline SET due_date = due_date + 1, "
                "due_at = due_at + interval '1 day', remind_at = due_at, "
                "provisional = NOT provisional WHERE state IN ('open', 'paused')"
            )

    # The seeded due dates are all wrong, so the first recompute rewrites every row; the
    # second finds nothing to change (the common case: an edit that moves no deadline).
    with audit.suspended():
        t_touch = timed(sql_touch, 1)
        t_recompute = timed(recompute, 1)
        t_idle = timed(recompute, 1)
    print(f"# audit overhead: UPDATE of {args.updated:,} of {args.deadlines:,} deadlines")
    print("| variant | seconds | × baseline |\n|---|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.3f} | {seconds / t_sql:.1f} |")
    print(
        f"\n# audit_verify: {report.checked:,} rows in {report.seconds:.2f} s, "
        f"{report.seconds / max(report.checked, 1) * 1e6:.1f} µs per row ({chain.algorithm()})"
    )
    print(f"\n# deadlines_recompute over {args.deadlines:,} running deadlines")
    print("| variant | seconds | × baseline |\n|---|---:|---:|")
    print(f"| one SQL UPDATE of the same columns and rows (baseline) | {t_touch:.3f} | 1.0 |")
    print(
        f"| deadlines_recompute(), every row changes | {t_recompute:.3f} "
        f"| {t_recompute / t_touch:.2f} |"
    )
    print(
        f"| deadlines_recompute() again, nothing changes | {t_idle:.3f} | {t_idle / t_touch:.2f} |"
    )


if __name__ == "__main__":
    main()

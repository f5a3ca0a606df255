"""Benchmark: one escalation sweep over a city with 1,000,000 open cases of which 10,000 are
overdue, next to a hand-written SQL UPDATE of the same rows, measured in the same run; and
the same sweep with a tenth of the open cases, to show its cost follows the due rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arrears_bench \\
        .venv/bin/python bench/bench_sweep.py --open 1000000 --due 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")

import django

django.setup()
# The project, once Django is set up (a script run by hand, not a module Django loads).
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from arrears import audit, deadlines  # noqa: E402
from arrears.models import County, Deadline, Department, Notification, User  # noqa: E402
from complaints.models import Case  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it will be filled with test rows).")
    call_command("migrate", verbosity=0)
    call_command("seed_demo", complaints=0, stdout=io.StringIO())
    now = timezone.now()
    county = County.objects.order_by("code").first()
    department = Department.objects.filter(county=county, kind="hrss").first()
    owner = User.objects.filter(role="inspector", department=department).first()
    assert county and department and owner
    ct = ContentType.objects.get_for_model(Case)

    def seed(total: int, due: int) -> None:
        """Open cases with their closing clock; `due` of them overdue since yesterday."""
        with audit.suspended():
            Notification.objects.all().delete()
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE arrears_deadline, complaints_case CASCADE")
            far = now + dt.timedelta(days=60)
            past = now - dt.timedelta(days=1)
            made = 0
            while made < total:
                size = min(10_000, total - made)
                cases = Case.objects.bulk_create(
                    [
                        Case(
                            county=county,
                            department=department,
                            owner=owner,
                            state="filed",
                            employer_name=f"单位{(made + i) % 5000}",
                            workers_owed=5,
                            amount_owed=30000,
                        )
                        for i in range(size)
                    ]
                )
                Deadline.objects.bulk_create(
                    [
                        Deadline(
                            content_type=ct,
                            object_id=c.pk,
                            kind="case.close",
                            county=county,
                            department=department,
                            owner=owner,
                            started_on=dt.date(2026, 9, 1),
                            working_days=15,
                            due_date=(past if made + i < due else far).date(),
                            due_at=past if made + i < due else far,
                            remind_at=far,
                            reminded_at=now,
                            next_escalation_at=past if made + i < due else far,
                        )
                        for i, c in enumerate(cases)
                    ]
                )
                made += size
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE arrears_deadline")

    def timed(fn) -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    def sql_update() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE arrears_deadline SET escalation_level = escalation_level + 1 "
                "WHERE state = 'open' AND next_escalation_at <= %s",
                [now],
            )
            assert cursor.rowcount == args.due, cursor.rowcount
            transaction.set_rollback(True)

    results = []
    for total in (args.open // 10, args.open):
        seed(total, args.due)
        baseline = timed(sql_update)
        # The steps of the ladder are a day apart, so one sweep takes level 1 only.
        sweep = timed(lambda: deadlines.sweep_escalations(now=now))
        escalated = Deadline.objects.filter(escalation_level=1).count()
        idle = timed(lambda: deadlines.sweep_escalations(now=now))
        results.append((total, baseline, sweep, idle, escalated))

    print(f"# one escalation sweep, {args.due:,} overdue cases")
    print(
        "| open cases | SQL UPDATE of the due rows (baseline), s | sweep, s | × baseline "
        "| rows escalated | idle sweep afterwards, ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for total, baseline, sweep, idle, escalated in results:
        print(
            f"| {total:,} | {baseline:.3f} | {sweep:.2f} | {sweep / baseline:.0f} "
            f"| {escalated:,} | {idle * 1000:.1f} |"
        )


if __name__ == "__main__":
    main()

"""Benchmark: one escalation sweep over a city with 1,000,000 open cases of which 10,000 are
overdue, next to hand-written SQL making the same writes, measured in the same run; and the
same with a tenth of the open cases, to show the cost follows the due rows.

Two references: the bare UPDATE of the due rows (what the clock itself costs), and the
hand-written statement set that makes every write the sweep makes — the deadline UPDATE, the
notification rows (INSERT … SELECT), the audit rows (their chained MACs computed in Python,
as only the application holds the key; one INSERT … SELECT FROM unnest). Its rows are
compared with the sweep's, row by row, before the figures are printed. The set is written
for this bench's data: a first escalation step, recipients who read Chinese and have no
e-mail address or phone (so, as for the sweep, no outbox rows).

Each figure is the median of `--repeat` runs rolled back, every run from vacuumed and analysed
tables (autovacuum may be off, and a rolled-back run leaves its row versions behind), the
hand-written set and the sweep alternating after one warm-up sweep; then the sweep runs once
for real and its rows are compared.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arrears_bench \\
        .venv/bin/python bench/bench_sweep.py --open 1000000 --due 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
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
from django.apps import apps  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from arrears import audit, deadlines, workdays  # noqa: E402
from arrears.audit import chain  # noqa: E402
from arrears.models import County, Deadline, Department, Notification, User  # noqa: E402
from arrears.notifications import digest_roles  # noqa: E402
from complaints.models import Case  # noqa: E402
from reporting import facts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each; medians")
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
                if made == size:
                    # Statistics of the emptied tables, once they hold rows: the fact
                    # triggers' plans for the inserts that follow read them (where autovacuum
                    # is off, as on the bench machine, each chunk otherwise costs more).
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE arrears_deadline, complaints_case")
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

    deadline_ct = ContentType.objects.get_for_model(Deadline)

    def hand_sql() -> None:
        """Every write of the sweep, by hand: the deadline UPDATE (old values kept for the
        trail), the notification rows, the audit rows."""
        calendar = workdays.get_calendar()
        steps = deadlines.ladder(county.city_id)
        user_id, label = audit.current_actor()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT due_date FROM arrears_deadline "
                "WHERE state = 'open' AND next_escalation_at <= %s",
                [now],
            )
            days = [row[0] for row in cursor.fetchall()]
            following = [
                calendar.end_of_working_day(calendar.add_working_days(day, steps[1]))
                if len(steps) > 1
                else None
                for day in days
            ]
            cursor.execute(
                """
                UPDATE arrears_deadline d
                SET escalation_level = d.escalation_level + 1, next_escalation_at = f.next_at
                FROM (SELECT id, escalation_level, next_escalation_at FROM arrears_deadline
                      WHERE state = 'open' AND next_escalation_at <= %s
                      ORDER BY id FOR UPDATE) o,
                     unnest(%s::date[], %s::timestamptz[]) AS f(due_date, next_at)
                WHERE d.id = o.id AND f.due_date = d.due_date
                RETURNING d.id, o.escalation_level, o.next_escalation_at, d.due_date
                """,
                [now, days, following],
            )
            updated = cursor.fetchall()
            cursor.execute(
                """
                INSERT INTO arrears_notification (recipient_id, kind, title, body, url,
                    subject_type, subject_id, urgent, digest_channels, dedupe_key, created_at)
                SELECT u.id, 'deadline.escalation',
                    left('已逾期（第' || d.escalation_level || '级督办）：'
                         || coalesce(nullif(c.number, ''), '—') || ' ' || c.employer_name, 200),
                    '到期时间：' || to_char(d.due_at AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI'),
                    '/cases/' || c.id || '/', 'complaints.case', d.object_id::text,
                    c.triage_class = 'major',
                    CASE WHEN c.triage_class = 'major' OR NOT u.role = ANY(%s) THEN ''
                         ELSE 'email,sms' END,
                    'deadline:' || d.id || ':' || d.due_date || ':escalate:'
                        || d.escalation_level,
                    now()
                FROM arrears_deadline d
                JOIN complaints_case c ON c.id = d.object_id
                JOIN arrears_user u ON u.is_active AND u.role = 'county_official'
                    AND u.county_id = d.county_id
                WHERE d.id = ANY(%s)
                ON CONFLICT DO NOTHING
                """,
                ["Asia/Shanghai", sorted(digest_roles()), [row[0] for row in updated]],
            )
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [chain.LOCK_KEY])
            cursor.execute("SELECT seq, mac FROM arrears_auditevent ORDER BY seq DESC LIMIT 1")
            seq, prev = cursor.fetchone() or chain.anchor(
                apps.get_model("arrears", "AuditEvent"), "default"
            )
            at = timezone.now()
            repr_of = str(Deadline._meta.verbose_name)
            columns: list[list] = [[] for _ in range(11)]
            next_of = dict(zip(days, following, strict=True))
            for pk, old_level, old_next, due_date in updated:
                new_next = next_of[due_date]  # as the sweep records it, in local time
                changes = {"escalation_level": [old_level, old_level + 1]}
                if old_next != new_next:
                    changes["next_escalation_at"] = [
                        old_next.isoformat() if old_next else None,
                        new_next.isoformat() if new_next else None,
                    ]
                values = [
                    at,
                    user_id,
                    label,
                    "update",
                    deadline_ct.pk,
                    str(pk),
                    f"{repr_of} #{pk}",
                    changes,
                    True,
                ]
                seq += 1
                prev = chain.row_mac("arrears_auditevent", seq, values, prev)
                row = [*values[:7], json.dumps(changes, ensure_ascii=False), True, seq, prev]
                for column, value in zip(columns, row, strict=True):
                    column.append(value)
            cursor.execute(
                """
                INSERT INTO arrears_auditevent (occurred_at, actor_id, actor_label, action,
                    content_type_id, object_id, object_repr, changes, bulk, seq, mac)
                SELECT * FROM unnest(%s::timestamptz[], %s::int[], %s::varchar[], %s::varchar[],
                    %s::int[], %s::varchar[], %s::varchar[], %s::jsonb[], %s::bool[],
                    %s::bigint[], %s::varchar[])
                """,
                columns,
            )

    def writes(since: dt.datetime) -> dict[str, list]:
        """What was written since `since`, without ids, times and MACs, for comparison."""
        queries = {
            "deadlines": "SELECT id, escalation_level, next_escalation_at, state "
            "FROM arrears_deadline WHERE due_at < %s ORDER BY id",
            "notifications": "SELECT recipient_id, kind, title, body, url, subject_type, "
            "subject_id, urgent, digest_channels, dedupe_key FROM arrears_notification "
            "WHERE created_at >= %s ORDER BY dedupe_key, recipient_id",
            "deliveries": "SELECT n.dedupe_key, m.channel, m.subject, m.body "
            "FROM arrears_messagedelivery m JOIN arrears_notification n "
            "ON n.id = m.notification_id WHERE m.created_at >= %s ORDER BY 1, 2",
            "audit": "SELECT actor_id, actor_label, action, content_type_id, object_id, "
            "object_repr, changes::text, bulk FROM arrears_auditevent "
            "WHERE occurred_at >= %s ORDER BY object_id",
        }
        found = {}
        with connection.cursor() as cursor:
            for name, sql in queries.items():
                cursor.execute(sql, [now if name == "deadlines" else since])
                found[name] = cursor.fetchall()
        return found

    def by_hand() -> tuple[float, dict[str, list]]:
        """The hand-written set, timed, its rows read, then rolled back."""
        since = timezone.now()
        with transaction.atomic():
            spent = timed(hand_sql)
            rows = writes(since)
            transaction.set_rollback(True)
        return spent, rows

    def settle() -> None:
        """Every measurement starts from the same tables: a rolled-back run leaves its row
        versions behind, and where autovacuum is off (the bench machine) the next run would
        wade through them — the earlier runs of this bench timed the sweep after two
        rolled-back sweeps and the hand-written set after none."""
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM ANALYZE arrears_deadline, arrears_notification, arrears_auditevent, "
                "complaints_case, reporting_factdelta"
            )

    def rolled_back(fn) -> float:
        settle()
        with transaction.atomic():
            spent = timed(fn)
            transaction.set_rollback(True)
        return spent

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    results = []
    runs = []
    for total in (args.open // 10, args.open):
        seed(total, args.due)
        baseline = median([rolled_back(sql_update) for _ in range(args.repeat)])
        settle()
        _, expected = by_hand()  # the rows the sweep must write
        # A first sweep, rolled back, warms the process (translations, caches, plans).
        rolled_back(lambda: deadlines.sweep_escalations(now=now))
        # Hand-written set and sweep alternate, each rolled back, from settled tables.
        hands, sweeps = [], []
        for _ in range(args.repeat):
            hands.append(rolled_back(hand_sql))
            sweeps.append(rolled_back(lambda: deadlines.sweep_escalations(now=now)))
        hand, sweep = median(hands), median(sweeps)

        def untriggered_sweep() -> None:
            # What the dashboards' fact triggers (reporting/facts.py) cost the sweep.
            facts.set_triggers(False)
            deadlines.sweep_escalations(now=now)

        untriggered = median([rolled_back(untriggered_sweep) for _ in range(args.repeat)])
        # Then once for real, its rows compared with the hand-written set's. The steps of the
        # ladder are a day apart, so one sweep takes level 1 only.
        settle()
        since = timezone.now()
        deadlines.sweep_escalations(now=now)
        made = writes(since)
        for name, rows in expected.items():
            assert made[name] == rows, (name, len(made[name]), len(rows), made[name][:2], rows[:2])
        escalated = Deadline.objects.filter(escalation_level=1).count()
        idle = min(timed(lambda: deadlines.sweep_escalations(now=now)) for _ in range(5))
        sizes = {name: len(rows) for name, rows in made.items()}
        results.append((total, baseline, hand, sweep, idle, escalated, sizes, untriggered))
        runs.append((total, hands, sweeps))
    report = chain.verify()
    assert report.ok, report.problems[:5]

    print(
        f"# one escalation sweep, {args.due:,} overdue cases; medians of {args.repeat} runs "
        "each, rolled back, from vacuumed tables, hand-written set and sweep alternating"
    )
    print(
        "| open cases | bare UPDATE of the due rows, s | hand-written SQL of the same writes "
        "(baseline), s | sweep, s | × baseline | rows escalated | rows written (notifications "
        "/ outbox / audit) | idle sweep afterwards, ms | sweep without the fact triggers, s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for total, baseline, hand, sweep, idle, escalated, sizes, untriggered in results:
        print(
            f"| {total:,} | {baseline:.3f} | {hand:.3f} | {sweep:.3f} | {sweep / hand:.2f} "
            f"| {escalated:,} | {sizes['notifications']:,} / {sizes['deliveries']:,} / "
            f"{sizes['audit']:,} | {idle * 1000:.1f} | {untriggered:.3f} |"
        )
    for total, hands, sweeps in runs:
        print(
            f"Runs at {total:,}: hand-written "
            + ", ".join(f"{t:.3f}" for t in hands)
            + "; sweep "
            + ", ".join(f"{t:.3f}" for t in sweeps)
            + " s."
        )
    print(
        f"The rows of the hand-written set and of the sweep were compared and are equal; the "
        f"audit chain verifies ({report.checked:,} rows)."
    )


if __name__ == "__main__":
    main()

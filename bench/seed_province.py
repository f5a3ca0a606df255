"""Seed a demo province with millions of complaints, server-side in PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arrears_bench_prov \\
        .venv/bin/python manage.py seed_demo --cities 10 --complaints 0 --projects-per-county 2
    DATABASE_URL=… .venv/bin/python bench/seed_province.py --complaints 10000000

`seed_demo` builds the organisation (cities, counties, departments, users, projects); its ORM
seeder of complaints takes ~28 minutes per million, so this script generates the complaints
and everything that follows from them in SQL: each batch is one `INSERT … SELECT … FROM
generate_series` per table, from a temporary table of the batch's random draws. The same
distributions as `complaints/demo.py`: received over the two years up to --until (later ones
more numerous), 2 % unrouted, the rest signed when older than a week, each signed complaint
one case (closed when old enough, with outcome, working days taken, amount recovered within
the amount owed, satisfaction; else open with its running clock — many of them overdue), the
outcome's timeline step and the payment, and the complaint's "received" and "routed" events.

What is not per row, to keep it fast (a benchmark's data, not a demo to read):
  - phone numbers: a pool of --phones numbers encrypted once each in Python (AES-GCM draws a
    nonce per value; a million encryptions would cost minutes for nothing the benchmarks read)
    and repeated, with their blind index; the tracking check (a keyed hash of the tracking
    number and the phone's last four digits) is per row, computed by pgcrypto's hmac() with
    the same key, so the public tracking page works for every row;
  - names of complainants and employers: pools (2,000 and 400 per city);
  - no audit rows (demo data, as seed_demo suspends the trail).

Secondary indexes and foreign keys of the tables filled are dropped for the load and created
again afterwards, as pg_restore does: PostgreSQL validates every foreign key when it is added
back (one join per key), and CHECK and unique constraints stay in place throughout.
`--compare N` instead times the two ways of generating rows (INSERT … SELECT vs COPY from a
Python generator) for N complaints into a scratch table, and exits.
"""

# The statements are built from numbers, dates and this file's constants, never from input.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import hashlib
import hmac
import io
import os
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")

import django

django.setup()
# The project, once Django is set up (a script run by hand, not a module Django loads).
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from arrears import config, deadlines, encryption, workdays  # noqa: E402
from arrears.demo import person_name  # noqa: E402
from arrears.fields import index_value  # noqa: E402
from arrears.models import City  # noqa: E402
from complaints.demo import BRANDS, CHANNEL_WEIGHTS, CLASS_DAYS, EMPLOYERS, OUTCOME_WEIGHTS  # noqa: E402
from complaints.models import Case, Complaint  # noqa: E402
from complaints.tracking import TRACKING_ALPHABET, TRACKING_LENGTH  # noqa: E402
from reporting import facts  # noqa: E402

TABLES = [
    "complaints_complaint",
    "complaints_case",
    "complaints_caseentry",
    "complaints_casepayment",
    "complaints_complaintevent",
    "arrears_deadline",
]
# Tracking numbers: n ↦ (n · MULT + ADD) mod 31^10 is a bijection (MULT is prime to 31), so
# distinct n give distinct numbers that look random; n · MULT stays within bigint.
SPACE = len(TRACKING_ALPHABET) ** TRACKING_LENGTH
MULT = 91_138_233_583
ADD = 271_828_182_845

SHARE_SQL = """CASE outcome WHEN 'paid_in_full' THEN 1 WHEN 'partly_paid' THEN 0.3 + 0.6 * r_share
  WHEN 'mediated' THEN 0.6 + 0.4 * r_share ELSE 0 END"""


def _sql_weighted(weights: dict[str, int], var: str) -> str:
    """A CASE choosing a key with probability proportional to its weight from uniform `var`."""
    total, acc, parts = sum(weights.values()), 0, []
    for key, weight in weights.items():
        acc += weight
        parts.append(f"WHEN {var} < {acc / total!r} THEN '{key}'")
    return "CASE " + " ".join(parts[:-1]) + f" ELSE '{list(weights)[-1]}' END"


def tracking_sql(n: str) -> str:
    """The tracking number of complaint number `n`, in SQL (base-31 digits of the bijection)."""
    x = f"(({n})::bigint * {MULT} + {ADD}) % {SPACE}"
    digits = [
        f"substr('{TRACKING_ALPHABET}', (({x} / {31**i}) % 31)::int + 1, 1)"
        for i in range(TRACKING_LENGTH)
    ]
    return " || ".join(digits)


def tracking_py(n: int) -> str:
    x = (n * MULT + ADD) % SPACE
    out = []
    for _ in range(TRACKING_LENGTH):
        out.append(TRACKING_ALPHABET[x % 31])
        x //= 31
    return "".join(out)


def build_lookups(cur: Any, rng: random.Random, phones: int, until: dt.datetime) -> None:
    """Temporary tables the batches join: where complaints land, who signs them, the pools,
    the working-day calendar and the clocks of every (start, length)."""
    cur.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
    cities = list(City.objects.order_by("sort_order", "code").values_list("pk", "short_name"))
    # Cities differ in size (the first, the capital, the largest); counties within a city too.
    city_weight = {pk: 1.0 / (1 + 0.25 * i) for i, (pk, _s) in enumerate(cities)}
    cur.execute(
        """SELECT k.id, k.city_id, d.id FROM arrears_county k
           JOIN arrears_department d ON d.county_id = k.id AND d.kind = 'hrss' ORDER BY k.id"""
    )
    counties = cur.fetchall()
    raw = [
        (cid, city, dept, city_weight[city] * rng.uniform(0.4, 1.6)) for cid, city, dept in counties
    ]
    by_city: dict[int, float] = {}
    for _c, city, _d, w in raw:
        by_city[city] = by_city.get(city, 0) + w
    slots = []
    total = sum(city_weight.values())
    for cid, city, dept, w in raw:
        slots.append((cid, city, dept, w / by_city[city] * city_weight[city] / total))
    cur.execute(
        "CREATE TEMP TABLE b_county (county_id bigint, city_id bigint, hrss_id bigint, "
        "lo float8, hi float8)"
    )
    acc = 0.0
    rows = []
    for cid, city, dept, p in slots:
        rows.append((cid, city, dept, acc, acc + p))
        acc += p
    rows[-1] = (*rows[-1][:4], 1.0000001)
    cur.executemany("INSERT INTO b_county VALUES (%s, %s, %s, %s, %s)", rows)
    cur.execute(
        """CREATE TEMP TABLE b_insp AS SELECT county_id, (row_number() OVER w - 1)::int AS j,
             count(*) OVER (PARTITION BY county_id)::int AS cnt, id AS user_id
           FROM arrears_user WHERE role = 'inspector' AND county_id IS NOT NULL
           WINDOW w AS (PARTITION BY county_id ORDER BY id)"""
    )
    # A project's complaints go to the department of its industry, as routing sends them.
    cur.execute(
        """CREATE TEMP TABLE b_proj AS SELECT p.county_id, (row_number() OVER w - 1)::int AS j,
             count(*) OVER (PARTITION BY p.county_id)::int AS cnt, p.id AS project_id,
             p.industry_id, p.name, p.address,
             (SELECT d.id FROM arrears_department d
                JOIN arrears_department_industries di ON di.department_id = d.id
               WHERE d.county_id = p.county_id AND di.industry_id = p.industry_id
               ORDER BY d.id LIMIT 1) AS dept_id
           FROM projects_project p WINDOW w AS (PARTITION BY p.county_id ORDER BY p.id)"""
    )
    cur.execute("CREATE TEMP TABLE b_name (j int, name text)")
    cur.executemany(
        "INSERT INTO b_name VALUES (%s, %s)", [(j, person_name(rng)) for j in range(2000)]
    )
    cur.execute("CREATE TEMP TABLE b_emp (city_id bigint, j int, name text)")
    cur.executemany(
        "INSERT INTO b_emp VALUES (%s, %s, %s)",
        [
            (pk, j, f"{short}{rng.choice(BRANDS)}{rng.choice(EMPLOYERS)}")
            for pk, short in cities
            for j in range(400)
        ],
    )
    cur.execute("CREATE TEMP TABLE b_phone (j int, ct text, idx text, last4 text)")
    pool = [f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}" for _ in range(phones)]
    cur.executemany(
        "INSERT INTO b_phone VALUES (%s, %s, %s, %s)",
        [(j, encryption.encrypt(p), index_value("phone", p), p[-4:]) for j, p in enumerate(pool)],
    )
    # Working days: add_working_days(d, k) for k >= 1 is the (le(d) + k)-th working day, where
    # le(d) counts the working days up to d (arrears.workdays.WorkCalendar.add_working_days).
    calendar = workdays.get_calendar()
    first = (until - dt.timedelta(days=740)).date()
    last = until.date() + dt.timedelta(days=200)
    cur.execute("CREATE TEMP TABLE b_wd (i int PRIMARY KEY, day date)")
    cur.execute("CREATE TEMP TABLE b_day (day date PRIMARY KEY, le int)")
    wd, days, i, day = [], [], 0, first
    while day <= last:
        if calendar.is_working_day(day):
            wd.append((i, day))
            i += 1
        days.append((day, i))
        day += dt.timedelta(days=1)
    cur.executemany("INSERT INTO b_wd VALUES (%s, %s)", wd)
    cur.executemany("INSERT INTO b_day VALUES (%s, %s)", days)
    # The running clocks: deadlines.clock of every start and length the open cases can have.
    steps = deadlines.ladder()
    remind = int(config.get("deadline.reminder_working_days"))
    cur.execute(
        "CREATE TEMP TABLE b_clock (started_on date, days int, due_date date, "
        "due_at timestamptz, remind_at timestamptz, next_escalation_at timestamptz, "
        "provisional bool, PRIMARY KEY (started_on, days))"
    )
    clocks = []
    day = (until - dt.timedelta(days=120)).date()
    while day <= until.date() + dt.timedelta(days=10):
        for length in sorted({5, *CLASS_DAYS.values()}):
            v = deadlines.clock(calendar, day, length, remind, 0, steps)
            clocks.append(
                (
                    day,
                    length,
                    v["due_date"],
                    v["due_at"],
                    v["remind_at"],
                    v["next_escalation_at"],
                    v["provisional"],
                )
            )
        day += dt.timedelta(days=1)
    cur.executemany("INSERT INTO b_clock VALUES (%s, %s, %s, %s, %s, %s, %s)", clocks)
    for table in ("b_county", "b_insp", "b_proj", "b_name", "b_emp", "b_phone", "b_wd", "b_day"):
        cur.execute(f"ANALYZE {table}")


def _index_key_hex() -> str:
    return encryption._index_key().hex()


def draws_sql(
    lo: int, hi: int, start: dt.datetime, until: dt.datetime, now: dt.datetime, client: Any
) -> str:
    """The batch's random draws and everything derived from them, one row per complaint:
    received between start and until, ages (what is closed, what still open) as of now."""
    span = (until - start).total_seconds()
    channel = _sql_weighted({str(k): v for k, v in CHANNEL_WEIGHTS.items()}, "r_chan")
    outcome = _sql_weighted(OUTCOME_WEIGHTS, "r_outcome")
    client = str(int(client)) if client else "NULL"
    return f"""
CREATE TEMP TABLE g1 AS
SELECT n, r.*,
  timestamptz '{start.isoformat()}' + make_interval(secs => {span} * power(r_time, 0.8))
    AS received_at
FROM generate_series({lo}, {hi - 1}) n
CROSS JOIN LATERAL (SELECT random() r_time, random() r_slot, random() r_proj,
  random() r_unrouted, random() r_sign, random() r_work, random() r_amt, random() r_chan,
  random() r_insp, random() r_file, random() r_close, random() r_g1, random() r_g2,
  random() r_outcome, random() r_share, random() r_sat, random() r_open, random() r_hours,
  random() r_period, random() r_emp, random() r_name, random() r_city, n AS _n) r;

ANALYZE g1;

CREATE TEMP TABLE g AS
SELECT g1.n, g1.received_at, c.city_id AS home_city, c.county_id AS home_county,
  p.project_id, p.industry_id, coalesce(p.name, '') AS project_name,
  coalesce(p.address, '') AS project_address,
  coalesce(p.dept_id, c.hrss_id) AS dept_id, i.user_id AS inspector_id,
  (r_unrouted < 0.02) AS unrouted,
  ({channel}) AS channel,
  greatest(1, least(2000, floor(power(1 - r_work, -1 / 1.6))))::int AS workers,
  floor(3000 + r_amt * 21001)::int AS per_worker,
  extract(epoch FROM timestamptz '{now.isoformat()}' - g1.received_at) / 86400 AS age,
  r_sign, r_file, r_close, r_g1, r_g2, r_share, r_sat, r_open, r_hours, r_period, r_city,
  ({outcome}) AS outcome, e.name AS employer_name, m.name AS complainant_name,
  {client}::bigint AS client_id
FROM g1
JOIN b_county c ON g1.r_slot >= c.lo AND g1.r_slot < c.hi
JOIN b_emp e ON e.city_id = c.city_id AND e.j = floor(g1.r_emp * 400)::int
JOIN b_name m ON m.j = floor(g1.r_name * 2000)::int
LEFT JOIN b_proj p ON p.county_id = c.county_id AND g1.r_proj < 0.7
  AND p.j = floor(g1.r_proj / 0.7 * p.cnt)::int
JOIN b_insp i ON i.county_id = c.county_id AND i.j = floor(g1.r_insp * i.cnt)::int;

ANALYZE g;

CREATE TEMP TABLE h AS
SELECT g.*, localdate AS received_on,
  workers * per_worker AS amount,
  CASE WHEN unrouted THEN 'pending_dispatch'
       WHEN age > 7 OR r_sign < 0.7 THEN 'signed' ELSE 'pending_signature' END AS intake,
  CASE WHEN workers >= 30 THEN 'major' WHEN workers <= 3 THEN 'simple' ELSE 'ordinary' END
    AS cls,
  w.day AS filed,
  (age > 45 OR (age > 10 AND r_close < 0.6)) AS closes
FROM g
CROSS JOIN LATERAL (SELECT (g.received_at AT TIME ZONE 'Asia/Shanghai')::date AS localdate) ld
JOIN b_day d ON d.day = ld.localdate
-- Filed 1 to 5 working days after it was received.
JOIN b_wd w ON w.i = d.le + floor(r_file * 5)::int;

CREATE TEMP TABLE k AS
SELECT h.*,
  CASE cls WHEN 'major' THEN 30 WHEN 'simple' THEN 3 ELSE 15 END AS class_days,
  greatest(1, floor(-(CASE cls WHEN 'major' THEN 30 WHEN 'simple' THEN 3 ELSE 15 END) / 2.2
    * (ln(1 - r_g1) + ln(1 - r_g2))))::int AS taken0
FROM h;

CREATE TEMP TABLE cs AS
SELECT k.*, w.day AS closed_on0,
  -- Beyond the calendar table is beyond now too.
  coalesce((w.day + time '16:00') AT TIME ZONE 'Asia/Shanghai'
    > timestamptz '{now.isoformat()}', true) AS too_late
FROM k
LEFT JOIN b_day fd ON fd.day = k.filed AND k.closes
LEFT JOIN b_wd w ON w.i = fd.le + k.taken0 - 1;

ANALYZE cs;
"""


def insert_sql(
    case_base: int, entry_base: int, complaint_base: int, case_ct: int, one_city: bool = False
) -> list[str]:
    """The batch's rows, table by table, from the draws (temporary table cs)."""
    now_expr = "now()"
    key = _index_key_hex()
    return [
        # Cases: one per signed complaint.
        f"""
CREATE TEMP TABLE cases AS
SELECT {case_base} + n AS id,
  CASE WHEN closes THEN 'closed'
       ELSE (ARRAY['pending','accepted','filed','filed','filed'])[1 + floor(r_open * 5)::int]
  END AS state,
  CASE WHEN closes AND too_late THEN received_on ELSE closed_on0 END AS closed_on,
  CASE WHEN closes AND too_late THEN 0 ELSE taken0 END AS taken,
  CASE WHEN closes THEN outcome ELSE '' END AS final_outcome,
  CASE WHEN closes THEN round(amount * ({SHARE_SQL})::numeric, 2) ELSE 0 END AS recovered,
  CASE WHEN closes THEN floor(workers * ({SHARE_SQL}))::int ELSE 0 END AS workers_paid,
  cs.*
FROM cs WHERE intake = 'signed'
""",
        # Temporary tables have no statistics until analysed: without them the joins below
        # are planned as nested loops.
        "ANALYZE cases",
        """
INSERT INTO complaints_case (id, number, state, employer_name, employer_credit_code,
  project_name, workers_owed, amount_owed, risk_of_mass_incident, triage_class,
  suggested_class, triage_reason, plan, accepted_at, refusal_reason, filed_on, closed_at,
  outcome, closure_note, working_days_taken, closed_on_time, reopened_count, recovered_amount,
  workers_paid, criminal_flag, satisfaction, created_at, county_id, department_id, leader_id,
  owner_id, project_id, channel, industry_id, owed_adjustment, workers_adjustment,
  closed_in_limit)
SELECT id, 'AJ' || extract(year FROM received_at AT TIME ZONE 'Asia/Shanghai')::int
    || lpad(id::text, greatest(8, length(id::text)), '0'),
  state, employer_name, '', project_name, workers, amount, false, cls, cls, '', '',
  CASE WHEN state = 'pending' THEN NULL ELSE received_at + interval '1 day' END, '',
  CASE WHEN state IN ('filed', 'closed') THEN filed END,
  CASE WHEN state = 'closed' THEN (closed_on + time '16:00') AT TIME ZONE 'Asia/Shanghai' END,
  final_outcome, '', CASE WHEN state = 'closed' THEN taken END,
  CASE WHEN state = 'closed' THEN taken <= class_days END, 0, recovered, workers_paid, false,
  CASE WHEN state = 'closed' THEN CASE WHEN r_sat < 0.60 THEN 5 WHEN r_sat < 0.85 THEN 4
    WHEN r_sat < 0.93 THEN 3 WHEN r_sat < 0.97 THEN 2 ELSE 1 END END,
  received_at, home_county, dept_id, NULL, inspector_id, project_id, channel, industry_id, 0, 0,
  -- The statutory limit's default (case.close_days.statutory): seeded cities keep it.
  CASE WHEN state = 'closed' THEN taken <= 60 END
FROM cases
""",
        # Complaints, each signed one with its case; the status follows the case.
        f"""
INSERT INTO complaints_complaint (id, tracking_no, channel, external_id, payload_hash,
  received_at, complainant_name, complainant_phone, complainant_id_number, complainant_address,
  employer_name, employer_credit_code, employer_address, employer_contact, employer_phone,
  project_name, project_address, workers_owed, amount_owed, period_start, period_end, facts,
  request, status, routed_at, signed_at, created_at, county_id, department_id, industry_id,
  merged_into_id, project_id, received_by_id, responsible_department_id, signed_by_id,
  client_id, case_id, employer_id, form_token, complainant_phone_index, complainant_id_index,
  tracking_check, city_id, work_order_type)
SELECT {complaint_base} + cs.n, t.tracking_no, cs.channel,
  CASE WHEN cs.channel = 'hotline_12345' AND cs.client_id IS NOT NULL
    THEN '12345-' || to_char(cs.received_at, 'YYYYMMDD') || '-' || lpad(cs.n::text, 8, '0') END,
  '', cs.received_at, cs.complainant_name, ph.ct, '', '', cs.employer_name, '', '', '', '',
  cs.project_name, cs.project_address, cs.workers, cs.amount,
  cs.received_on - (30 + floor(cs.r_period * 151)::int),
  cs.received_on - floor(cs.r_hours * 30)::int, '工资未按约定支付。', '',
  CASE WHEN cs.intake <> 'signed' THEN cs.intake
       WHEN c.state = 'pending' THEN 'signed' ELSE c.state END,
  CASE WHEN cs.unrouted THEN NULL ELSE cs.received_at END,
  CASE WHEN cs.intake = 'signed'
    THEN cs.received_at + make_interval(hours => 1 + floor(cs.r_hours * 48)::int) END,
  cs.received_at,
  CASE WHEN cs.unrouted THEN NULL ELSE cs.home_county END,
  CASE WHEN cs.unrouted THEN NULL ELSE cs.dept_id END, cs.industry_id, NULL, cs.project_id,
  NULL, CASE WHEN cs.unrouted THEN NULL ELSE cs.dept_id END,
  CASE WHEN cs.intake = 'signed' THEN cs.inspector_id END,
  CASE WHEN cs.channel = 'hotline_12345' THEN cs.client_id END, c.id, NULL, NULL,
  ph.idx, '',
  substr(encode(hmac('last4'::bytea || '\\x00'::bytea
    || convert_to(t.tracking_no || chr(31) || ph.last4, 'UTF8'),
    decode('{key}', 'hex'), 'sha256'), 'hex'), 1, 32),
  -- Unrouted: half name their city (that office dispatches), half wait for the province;
  -- with one city, every complaint is that city's (Complaint.save).
  CASE WHEN NOT cs.unrouted OR cs.r_city < 0.5 OR {one_city} THEN cs.home_city END,
  -- No work-order type: the channel's default clocks (complaints/integration/work_orders.py).
  ''
FROM cs
CROSS JOIN LATERAL (SELECT {tracking_sql("cs.n")} AS tracking_no) t
JOIN b_phone ph ON ph.j = cs.n % (SELECT count(*) FROM b_phone)
LEFT JOIN cases c ON c.n = cs.n
""",
        # Timeline: received (public), routed (public, when routed).
        f"""
INSERT INTO complaints_complaintevent (kind, at, actor_label, note, public, public_text,
  actor_id, complaint_id, department_id)
SELECT 'received', received_at, '', '', true, '已收到您的投诉', NULL::bigint, {complaint_base} + n,
  NULL::bigint FROM cs
UNION ALL
SELECT 'routed', received_at, '', '', true, '已转交承办单位', NULL::bigint, {complaint_base} + n,
  dept_id FROM cs WHERE NOT unrouted
""",
        # Closed cases: the step their outcome's rule requires, then the payment.
        f"""
INSERT INTO complaints_caseentry (id, kind, at, text, due_date, data, actor_id, case_id)
SELECT {entry_base} + 3 * n + s.k, s.kind,
  (closed_on + time '16:00') AT TIME ZONE 'Asia/Shanghai' - make_interval(hours => s.h),
  s.text, NULL, '{{}}'::jsonb, inspector_id, id
FROM cases
JOIN (VALUES ('mediated', 0, 'mediation', '双方达成调解协议', 2),
             ('arbitration', 0, 'arbitration', '告知申请劳动仲裁', 2),
             ('order', 0, 'order', '下达劳动保障监察限期改正指令书', 2),
             ('fined', 0, 'visit', '现场检查核实欠薪事实', 2),
             ('fined', 1, 'order', '责令限期支付', 2),
             ('police', 0, 'police', '涉嫌拒不支付劳动报酬罪，移送公安机关', 2),
             ('*', 2, 'payment', '工资已支付', 1)) s(outcome, k, kind, text, h)
  ON (s.outcome = cases.final_outcome OR (s.outcome = '*' AND cases.recovered > 0))
WHERE state = 'closed'
""",
        f"""
INSERT INTO complaints_casepayment (paid_on, amount, workers_paid, case_id, entry_id)
SELECT closed_on, recovered, workers_paid, id, {entry_base} + 3 * n + 2
FROM cases WHERE state = 'closed' AND recovered > 0
""",
        # Open cases: their running clock (acceptance for pending ones, closing once filed).
        f"""
INSERT INTO arrears_deadline (object_id, kind, started_on, working_days, extended_days,
  due_date, due_at, remind_at, provisional, state, reminded_at, escalation_level, closed_at,
  created_at, content_type_id, county_id, department_id, next_escalation_at, owner_id,
  paused_at)
SELECT c.id, CASE WHEN c.state = 'filed' THEN 'case.close' ELSE 'case.accept' END,
  cl.started_on, cl.days, 0, cl.due_date, cl.due_at, cl.remind_at, cl.provisional, 'open',
  NULL, 0, NULL, {now_expr}, {case_ct}, c.home_county, c.dept_id, cl.next_escalation_at,
  c.inspector_id, NULL
FROM cases c
JOIN b_clock cl ON cl.started_on = CASE WHEN c.state = 'filed' THEN c.filed ELSE c.received_on END
  AND cl.days = CASE WHEN c.state = 'filed' THEN c.class_days ELSE 5 END
WHERE c.state <> 'closed'
""",
    ]


def saved_ddl(cur: Any) -> tuple[list[str], list[str]]:
    """Secondary indexes (not behind a constraint) and foreign keys of the tables filled."""
    cur.execute(
        """SELECT format('DROP INDEX %%I', i.indexname), i.indexdef FROM pg_indexes i
           WHERE i.tablename = ANY(%s) AND NOT EXISTS (
             SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
        [TABLES],
    )
    indexes = cur.fetchall()
    cur.execute(
        """SELECT format('ALTER TABLE %%I DROP CONSTRAINT %%I', t.relname, c.conname),
                  format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', t.relname, c.conname,
                         pg_get_constraintdef(c.oid))
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
           WHERE c.contype = 'f' AND t.relname = ANY(%s)""",
        [TABLES],
    )
    fks = cur.fetchall()
    return [d for d, _c in indexes + fks], [c for _d, c in indexes] + [c for _d, c in fks]


def timed(label: str, cur: Any, sql: str, times: dict[str, float]) -> None:
    start = time.perf_counter()
    cur.execute(sql)
    times[label] = times.get(label, 0.0) + time.perf_counter() - start


def compare(n: int, rng: random.Random, until: dt.datetime) -> None:
    """INSERT … SELECT from generate_series against COPY from a Python generator, for the
    complaints table alone (the largest row), into a scratch copy without indexes."""
    start = until - dt.timedelta(days=730)
    with connection.cursor() as cur:
        build_lookups(cur, rng, 1000, until)
        cur.execute("SELECT id FROM complaints_integrationclient ORDER BY id LIMIT 1")
        client = (cur.fetchone() or [None])[0]
        cur.execute("CREATE TEMP TABLE scratch (LIKE complaints_complaint INCLUDING DEFAULTS)")
        t0 = time.perf_counter()
        for sql in draws_sql(0, n, start, until, until, client).split(";\n\n"):
            cur.execute(sql)
        statements = insert_sql(10**9, 10**9, 10**9, 0)
        cur.execute(statements[0])  # the temporary table of cases (no rows inserted)
        cur.execute(statements[1])
        (sql,) = [s for s in statements if "INSERT INTO complaints_complaint (" in s]
        cur.execute(sql.replace("INSERT INTO complaints_complaint", "INSERT INTO scratch"))
        insert_s = time.perf_counter() - t0
        cur.execute("SELECT county_id, city_id, hrss_id, lo, hi FROM b_county ORDER BY lo")
        counties = cur.fetchall()
        cur.execute("SELECT ct, idx FROM b_phone ORDER BY j")
        phones = cur.fetchall()
        cur.execute("SELECT name FROM b_name ORDER BY j")
        names = [r[0] for r in cur.fetchall()]
        cur.execute("TRUNCATE scratch")
        key = encryption._index_key()
        columns = (
            "id, tracking_no, channel, payload_hash, received_at, complainant_name, "
            "complainant_phone, complainant_id_number, complainant_address, employer_name, "
            "employer_credit_code, employer_address, employer_contact, employer_phone, "
            "project_name, project_address, workers_owed, amount_owed, facts, request, status, "
            "created_at, county_id, department_id, complainant_phone_index, "
            "complainant_id_index, tracking_check, city_id, work_order_type"
        )
        span = (until - start).total_seconds()
        bounds = [c[4] for c in counties]

        def rows() -> Iterator[str]:
            for i in range(n):
                received = start + dt.timedelta(seconds=span * rng.random() ** 0.8)
                county, city, dept, _lo, _hi = counties[bisect.bisect_right(bounds, rng.random())]
                workers = max(1, min(2000, int((1 - rng.random()) ** (-1 / 1.6))))
                amount = workers * rng.randint(3000, 24000)
                tracking = tracking_py(10**9 + i)
                ct, idx = phones[i % len(phones)]
                check = hmac.new(
                    key, b"last4\x00" + f"{tracking}\x1f{i % 10000:04d}".encode(), hashlib.sha256
                ).hexdigest()[:32]
                yield (
                    f"{10**9 + i}\t{tracking}\thotline_12345\t\t{received.isoformat()}\t"
                    f"{names[i % len(names)]}\t{ct}\t\t\t江城宏达建工集团有限公司\t\t\t\t\t\t\t"
                    f"{workers}\t{amount}\t工资未按约定支付。\t\tsigned\t{received.isoformat()}\t"
                    f"{county}\t{dept}\t{idx}\t\t{check}\t{city}\t\n"
                )

        class Reader(io.TextIOBase):
            def __init__(self) -> None:
                self.it, self.buf = rows(), ""

            def read(self, size: int | None = -1) -> str:
                while size is None or size < 0 or len(self.buf) < size:
                    try:
                        self.buf += next(self.it)
                    except StopIteration:
                        break
                out, self.buf = (
                    (self.buf, "")
                    if size is None or size < 0
                    else (
                        self.buf[:size],
                        self.buf[size:],
                    )
                )
                return out

        t0 = time.perf_counter()
        cur.copy_expert(f"COPY scratch ({columns}) FROM STDIN", Reader(), size=1 << 16)
        copy_s = time.perf_counter() - t0
        cur.execute("SELECT count(*) FROM scratch")
        assert cur.fetchone()[0] == n
    print(f"# generating {n:,} complaints into an unindexed scratch table")
    print("| method | seconds | rows/s |\n|---|---:|---:|")
    print(f"| INSERT … SELECT (server-side) | {insert_s:.1f} | {n / insert_s:,.0f} |")
    print(f"| COPY FROM STDIN, rows from a Python generator | {copy_s:.1f} | {n / copy_s:,.0f} |")


def load(
    args: Any,
    bases: dict[str, int],
    start: dt.datetime,
    now: dt.datetime,
    client: int | None,
    case_ct: int,
    times: dict[str, float],
    wall: float,
) -> None:
    """The batches, one transaction each."""
    made = 0
    while made < args.complaints:
        size = min(args.batch, args.complaints - made)
        with connection.cursor() as c:
            c.execute("BEGIN")
            for sql in draws_sql(made, made + size, start, args.until_at, now, client).split(
                ";\n\n"
            ):
                timed("draws", c, sql, times)
            names = [
                "cases (draw)",
                "analyze",
                "cases",
                "complaints",
                "events",
                "entries",
                "payments",
                "clocks",
            ]
            for name, sql in zip(
                names,
                insert_sql(
                    bases["complaints_case"],
                    bases["complaints_caseentry"],
                    bases["complaints_complaint"],
                    case_ct,
                    one_city=City.objects.count() == 1,
                ),
                strict=True,
            ):
                timed(name, c, sql, times)
            c.execute("DROP TABLE g1, g, h, k, cs, cases")
            c.execute("COMMIT")
        made += size
        print(
            f"{made:,} / {args.complaints:,} complaints, {time.perf_counter() - wall:.0f} s",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=1_000_000)
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--seed", type=float, default=0.2026)
    parser.add_argument("--until", default="2026-11-30T23:59:59+08:00")
    parser.add_argument("--compare", type=int, default=0, help="only time INSERT vs COPY")
    parser.add_argument("--reset", action="store_true", help="delete earlier complaints first")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database seeded by seed_demo.")
    if not City.objects.exists():
        sys.exit("Run `manage.py seed_demo --cities N --complaints 0` first.")
    until = args.until_at = dt.datetime.fromisoformat(args.until)
    rng = random.Random(20261130)  # noqa: S311 - benchmark data, not secrets
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [args.seed])
    if args.compare:
        compare(args.compare, rng, until)
        return
    if args.reset:
        with connection.cursor() as cur:
            cur.execute("TRUNCATE " + ", ".join(TABLES) + " CASCADE")
    if Complaint.objects.exists():
        sys.exit("The database already has complaints: seed a fresh one.")
    now = timezone.now()
    start = until - dt.timedelta(days=730)
    times: dict[str, float] = {}
    wall = time.perf_counter()
    case_ct = ContentType.objects.get_for_model(Case).pk
    with connection.cursor() as cur:
        build_lookups(cur, rng, args.phones, until)
        cur.execute("SELECT id FROM complaints_integrationclient ORDER BY id LIMIT 1")
        client = (cur.fetchone() or [None])[0]
        # Above whatever seed_demo left (nothing, with --complaints 0), ids assigned here.
        bases = {}
        for table in ("complaints_complaint", "complaints_case", "complaints_caseentry"):
            cur.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
            bases[table] = cur.fetchone()[0]
        drops, creates = saved_ddl(cur)
        # The dashboards' fact triggers (reporting.facts) are suspended for the load and the
        # facts built once at the end: a delta row per cell per batch would be folded anyway.
        cur.execute("SET session_replication_role = replica")
        for sql in drops:
            cur.execute(sql)
        print(f"dropped {len(drops)} secondary indexes and foreign keys for the load", flush=True)
        try:
            load(args, bases, start, now, client, case_ct, times, wall)
        finally:
            # Also after a failed batch: the tables must not be left without their keys.
            cur.execute("ROLLBACK")  # of a failed batch's transaction (a no-op otherwise)
            start_ddl = time.perf_counter()
            for sql in creates:
                cur.execute(sql)
            times["indexes + foreign keys"] = time.perf_counter() - start_ddl
            cur.execute("SET session_replication_role = DEFAULT")

        for table in TABLES:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        start_vac = time.perf_counter()
        cur.execute("VACUUM ANALYZE")
        times["VACUUM ANALYZE"] = time.perf_counter() - start_vac
        if facts.enabled():
            start_facts = time.perf_counter()
            facts.rebuild()
            cur.execute("VACUUM ANALYZE reporting_fact")
            times["dashboard facts"] = time.perf_counter() - start_facts
        counts = {}
        for table in TABLES:
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
    total = time.perf_counter() - wall
    print(f"# seeded {args.complaints:,} complaints in {total / 60:.1f} min")
    print("| step | seconds |\n|---|---:|")
    for label, seconds in times.items():
        print(f"| {label} | {seconds:.0f} |")
    print("| table | rows |\n|---|---:|")
    for table, count in counts.items():
        print(f"| {table} | {count:,} |")


if __name__ == "__main__":
    main()

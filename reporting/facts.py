"""The dashboards' pre-aggregated figures (reporting.models.Fact): how PostgreSQL keeps them
current, how beat folds them, how they are rebuilt and checked, and how the selectors read them.

Kept current by the database itself. Every statement that inserts, updates or deletes
complaints, cases, payments or case entries (and the rare change of a project's investment
type or a county's city) fires a statement-level trigger that computes, from the statement's
old and new rows, each row's *contribution* — the figures it adds to which cell — and writes
the difference (new minus old, grouped by cell, zeros dropped) as delta rows in the same
transaction. So nothing that writes can forget them: services, bulk updates, the admin, a data
migration or a hand-written UPDATE all keep the figures exact, and a rolled-back write rolls
its delta back with it. The triggers only insert (no row of the facts is locked by a writer):
beat's `fold` moves the deltas into the facts once a minute, under an advisory lock.

Read exactly. A figure is the sum of the facts of its cells plus the deltas not folded yet,
in one statement (one snapshot), so it equals the live computation at every moment; the
property test (tests/reporting/test_facts.py) and `manage.py facts --check` hold the two
against each other.

A contribution is a pure function of the row (and its case, county, project): the SQL below
writes the same conditions as reporting.selectors.subsets (the live definitions), and
`CONTRIBUTIONS` lists them side by side.

On SQLite (the embedded defaults) there are no triggers: the selectors compute live."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction

from complaints.cases.services import RESPOND
from complaints.models import OPEN_STATES, Channel, Outcome, Payer, TriageClass
from projects.models import InvestmentType
from reporting.models import (
    CHANNEL_COLUMNS,
    COUNT_COLUMNS,
    FEN_COLUMNS,
    INVESTMENT_COLUMNS,
    KEY_COLUMNS,
    MEASURES,
    NOW_DAY,
    OUTCOME_COLUMNS,
    PAYER_COLUMNS,
    TRIAGE_COLUMNS,
    Fact,
    FactDelta,
    Grain,
)

# The statements are built from this module's constants and settings.TIME_ZONE, never from
# input; values from requests are always parameters.
# ruff: noqa: S608

FACT = Fact._meta.db_table
DELTA = FactDelta._meta.db_table
# Folds and rebuilds exclude each other (never two folds moving the same deltas).
LOCK_KEY = 0x46414354  # "FACT"
NOW = f"DATE '{NOW_DAY.isoformat()}'"


def enabled(alias: str | None = None) -> bool:
    """Whether the figures come from the facts (PostgreSQL, and not switched off)."""
    if not getattr(settings, "REPORTING_FACTS", True):
        return False
    alias = alias or router.db_for_read(Fact)
    return connections[alias].vendor == "postgresql"


# --- Contributions ---------------------------------------------------------------------------


def _local_day(column: str) -> str:
    tz = settings.TIME_ZONE.replace("'", "")
    return f"({column} AT TIME ZONE '{tz}')::date"


def _fen(column: str) -> str:
    return f"round(coalesce({column}, 0) * 100)::bigint"


def _flag(condition: str) -> str:
    return f"(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _pivots(columns: list[str], values: Iterable[str], expr: str) -> dict[str, str]:
    out = {}
    values = list(values)
    for column, value in zip(columns, values, strict=False):
        out[column] = _flag(f"{expr} = '{value}'")
    quoted = ", ".join(f"'{v}'" for v in values)
    out[columns[-1]] = _flag(f"coalesce({expr}, '') NOT IN ({quoted})")
    return out


def _select(day: str, keys: dict[str, str], measures: dict[str, str], rest: str) -> str:
    """One contribution: a row per source row with its cell and the figures it adds."""
    cols = [f"{day} AS day"] + [f"{expr} AS {name}" for name, expr in keys.items()]
    cols += [
        f"({measures[m]})::bigint AS {m}" if m in measures else f"0::bigint AS {m}"
        for m in MEASURES
    ]
    return f"SELECT {', '.join(cols)} {rest}"


def _case_keys(case: str, county: str) -> dict[str, str]:
    return {
        "city": f"coalesce({county}.city_id, 0)",
        "county": f"coalesce({case}.county_id, 0)",
        "department": f"coalesce({case}.department_id, 0)",
        "industry": f"coalesce({case}.industry_id, 0)",
        "channel": f"coalesce({case}.channel, '')",
    }


def complaint_rows(source: str) -> list[str]:
    """subsets "received" (and the channel breakdown): by the local day received."""
    keys = {
        "city": "coalesce(c.city_id, 0)",
        "county": "coalesce(c.county_id, 0)",
        "department": "coalesce(c.department_id, 0)",
        "industry": "coalesce(c.industry_id, 0)",
        "channel": "coalesce(c.channel, '')",
    }
    measures = {"received": "1", **_pivots(CHANNEL_COLUMNS, Channel.values, "c.channel")}
    return [_select(_local_day("c.received_at"), keys, measures, f"FROM {source} c")]


def case_rows(
    source: str, county: str = "arrears_county", project: str = "projects_project"
) -> list[str]:
    """subsets "accepted", "accepted_closed" (by the day accepted), "closed", "closed_timed",
    "on_time", "rated" (by the day closed, closed cases only) and "open" (now)."""
    joins = (
        f"FROM {source} c LEFT JOIN {county} co ON co.id = c.county_id "
        f"LEFT JOIN {project} p ON p.id = c.project_id"
    )
    keys = _case_keys("c", "co")
    accepted = {
        "accepted": "1",
        "accepted_closed": _flag("c.state = 'closed'"),
        "workers_involved": "c.workers_owed",
        "owed_fen": _fen("c.amount_owed"),
        **_pivots(TRIAGE_COLUMNS, TriageClass.values, "c.triage_class"),
        **_pivots(INVESTMENT_COLUMNS, InvestmentType.values, "p.investment_type"),
    }
    closed = {
        "closed": "1",
        "closed_timed": _flag("c.closed_on_time IS NOT NULL"),
        "on_time": _flag("c.closed_on_time IS TRUE"),
        "closed_in_limit": _flag("c.closed_in_limit IS TRUE"),
        "days_sum": "coalesce(c.working_days_taken, 0)",
        "days_n": _flag("c.working_days_taken IS NOT NULL"),
        "owed_closed_fen": _fen("c.amount_owed"),
        "recovered_closed_fen": _fen("c.recovered_amount"),
        "satisfaction_sum": "coalesce(c.satisfaction, 0)",
        "rated": _flag("c.satisfaction IS NOT NULL"),
        **_pivots(OUTCOME_COLUMNS, Outcome.values, "c.outcome"),
    }
    return [
        _select(
            _local_day("c.accepted_at"), keys, accepted, f"{joins} WHERE c.accepted_at IS NOT NULL"
        ),
        _select(
            _local_day("c.closed_at"),
            keys,
            closed,
            f"{joins} WHERE c.state = 'closed' AND c.closed_at IS NOT NULL",
        ),
        _select(NOW, keys, {"open": "1"}, f"{joins} WHERE c.state IN ({_OPEN_STATES})"),
        late_rows(source, county=county),
    ]


_OPEN_STATES = ", ".join(f"'{s}'" for s in OPEN_STATES)
# The case's content type, looked up by the statement (ids differ between databases).
_CASE_TYPE = (
    "(SELECT id FROM django_content_type WHERE app_label = 'complaints' AND model = 'case')"
)


def earliest_due(deadlines: str = "arrears_deadline", cases: str | None = None) -> str:
    """Per case, the due time of its earliest open clock (a paused clock is not late: the
    case waits for a decision) — of the cases in `cases` only, when given."""
    among = f" AND d.object_id IN (SELECT id FROM {cases} s)" if cases else ""
    return (
        f"(SELECT d.object_id, min(d.due_at) AS due_at FROM {deadlines} d "
        f"WHERE d.content_type_id = {_CASE_TYPE} AND d.state = 'open'{among} "
        "GROUP BY d.object_id)"
    )


def late_rows(source: str, county: str = "arrears_county", due: str | None = None) -> str:
    """subset "overdue", by day: an open case counts once, on the local day its earliest open
    clock falls due (the day it falls due at the end of). A case is overdue now when that time
    has passed, so the days before today add up to the overdue cases and only today's are
    read live
    (reporting.selectors.aggregates.late_rollup). `due`: the earliest due times to use
    (by default the deadlines table's, for the cases of `source`)."""
    # (Of every case, for a rebuild: no semi-join with the whole table.)
    due = due or earliest_due(cases=None if source == "complaints_case" else source)
    rest = (
        f"FROM {source} c JOIN {due} dd ON dd.object_id = c.id "
        f"LEFT JOIN {county} co ON co.id = c.county_id WHERE c.state IN ({_OPEN_STATES})"
    )
    # A clock falls due at the end of its day, i.e. at the next local midnight: counted on the
    # day that ends then (the instant before it), so it is late from the day after, not live
    # all of the next day.
    day = _local_day("(dd.due_at - interval '1 microsecond')")
    return _select(day, _case_keys("c", "co"), {"open_due": "1"}, rest)


def respond_rows(
    source: str, case: str = "complaints_case", county: str = "arrears_county"
) -> list[str]:
    """subsets "responded" and "responded_on_time": a case's response clock that has ended
    (met or missed; a cancelled one was no response), by the local day it ended, in its
    case's unit. `source`: clocks (of any subject; only cases' response clocks count)."""
    rest = (
        f"FROM {source} d JOIN {case} c ON c.id = d.object_id "
        f"LEFT JOIN {county} co ON co.id = c.county_id "
        f"WHERE d.content_type_id = {_CASE_TYPE} AND d.kind = '{RESPOND}' "
        "AND d.state IN ('met', 'missed') AND d.closed_at IS NOT NULL"
    )
    measures = {"responded": "1", "responded_on_time": _flag("d.state = 'met'")}
    return [_select(_local_day("d.closed_at"), _case_keys("c", "co"), measures, rest)]


def payment_rows(
    source: str, case: str = "complaints_case", county: str = "arrears_county"
) -> list[str]:
    """subset "payments": by the date paid, in the unit of its case."""
    rest = (
        f"FROM {source} y JOIN {case} c ON c.id = y.case_id "
        f"LEFT JOIN {county} co ON co.id = c.county_id"
    )
    measures = {
        "recovered_fen": _fen("y.amount"),
        "paid_workers": "y.workers_paid",
        **{
            column: f"CASE WHEN y.payer = '{payer}' THEN {_fen('y.amount')} ELSE 0 END"
            for column, payer in zip(PAYER_COLUMNS, Payer.values, strict=True)
        },
    }
    return [_select("y.paid_on", _case_keys("c", "co"), measures, rest)]


def entry_rows(
    source: str, case: str = "complaints_case", county: str = "arrears_county"
) -> list[str]:
    """subsets "arbitration" and "police": by the local day of the entry, in its case's unit."""
    rest = (
        f"FROM {source} e JOIN {case} c ON c.id = e.case_id "
        f"LEFT JOIN {county} co ON co.id = c.county_id "
        "WHERE e.kind IN ('arbitration', 'police')"
    )
    measures = {
        "arbitration": _flag("e.kind = 'arbitration'"),
        "police": _flag("e.kind = 'police'"),
    }
    return [_select(_local_day("e.at"), _case_keys("c", "co"), measures, rest)]


def _signed(parts: Sequence[tuple[int, list[str]]]) -> str:
    """The deltas of contributions taken with a sign (+1 new rows, −1 old rows): grouped by
    cell, zeros dropped — an update that changes nothing the figures count writes nothing."""
    union = " UNION ALL ".join(
        f"SELECT {sign} AS sign, x.* FROM ({q}) x" for sign, queries in parts for q in queries
    )
    cells = ["day", *KEY_COLUMNS]
    sums = ", ".join(f"sum(sign * {m})" for m in MEASURES)
    nonzero = " OR ".join(f"sum(sign * {m}) <> 0" for m in MEASURES)
    columns = ", ".join(cells + MEASURES)
    return (
        f"INSERT INTO {DELTA} ({columns}) SELECT {', '.join(cells)}, {sums} FROM ({union}) u "
        f"GROUP BY {', '.join(cells)} HAVING {nonzero}"
    )


# --- Triggers --------------------------------------------------------------------------------

# Cases whose unit, industry or channel changed carry their payments and entries along.
_MOVED_CASES = (
    "SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE "
    "(n.county_id, n.department_id, n.industry_id, n.channel) IS DISTINCT FROM "
    "(o.county_id, o.department_id, o.industry_id, o.channel)"
)


def _trigger_bodies() -> dict[str, dict[str, str]]:
    """table → {operation → the statement the trigger runs}."""

    def three(rows: Any) -> dict[str, str]:
        return {
            "INSERT": _signed([(1, rows("new_rows"))]),
            "DELETE": _signed([(-1, rows("old_rows"))]),
            "UPDATE": _signed([(-1, rows("old_rows")), (1, rows("new_rows"))]),
        }

    case = three(case_rows)

    def case_clocks(ids: str) -> str:
        return (
            f"(SELECT * FROM arrears_deadline WHERE content_type_id = {_CASE_TYPE} "
            f"AND object_id IN ({ids}))"
        )

    # A case written or deleted after its clocks (a fixture, a data fix) brings or takes the
    # response clocks' figures, which are counted in the case's unit.
    case["INSERT"] += ";\n" + _signed(
        [(1, respond_rows(case_clocks("SELECT id FROM new_rows"), case="new_rows"))]
    )
    case["DELETE"] += ";\n" + _signed(
        [(-1, respond_rows(case_clocks("SELECT id FROM old_rows"), case="old_rows"))]
    )
    moved_payments = f"(SELECT * FROM complaints_casepayment WHERE case_id IN ({_MOVED_CASES}))"
    moved_entries = f"(SELECT * FROM complaints_caseentry WHERE case_id IN ({_MOVED_CASES}))"
    moved_clocks = case_clocks(_MOVED_CASES)
    case["UPDATE"] += ";\n" + _signed(
        [
            (
                -1,
                payment_rows(moved_payments, case="old_rows")
                + entry_rows(moved_entries, case="old_rows")
                + respond_rows(moved_clocks, case="old_rows"),
            ),
            (
                1,
                payment_rows(moved_payments, case="new_rows")
                + entry_rows(moved_entries, case="new_rows")
                + respond_rows(moved_clocks, case="new_rows"),
            ),
        ]
    )
    changed_projects = (
        "SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id "
        "WHERE n.investment_type IS DISTINCT FROM o.investment_type"
    )
    project_cases = f"(SELECT * FROM complaints_case WHERE project_id IN ({changed_projects}))"
    changed_counties = (
        "SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id "
        "WHERE n.city_id IS DISTINCT FROM o.city_id"
    )
    county_cases = f"(SELECT * FROM complaints_case WHERE county_id IN ({changed_counties}))"
    county_payments = (
        "(SELECT y.* FROM complaints_casepayment y JOIN complaints_case c ON c.id = y.case_id "
        f"WHERE c.county_id IN ({changed_counties}))"
    )
    county_entries = (
        "(SELECT e.* FROM complaints_caseentry e JOIN complaints_case c ON c.id = e.case_id "
        f"WHERE c.county_id IN ({changed_counties}))"
    )

    county_clocks = case_clocks(
        f"SELECT id FROM complaints_case WHERE county_id IN ({changed_counties})"
    )

    def by_county(county: str) -> list[str]:
        return (
            case_rows(county_cases, county=county)
            + payment_rows(county_payments, county=county)
            + entry_rows(county_entries, county=county)
            + respond_rows(county_clocks, county=county)
        )

    # A clock's start, pause, resume, close, extension or recomputed due time moves its case's
    # earliest due time: the late rows of the cases touched, before and after. Only rows whose
    # subject, state or due time changed count (the sweep's bookkeeping of reminders and
    # escalations writes thousands of rows and no figure).
    def clocks(changed_new: str, changed_old: str) -> str:
        cases = (
            "(SELECT * FROM complaints_case WHERE id IN ("
            f"SELECT object_id FROM {changed_new} x WHERE x.content_type_id = {_CASE_TYPE} UNION "
            f"SELECT object_id FROM {changed_old} x WHERE x.content_type_id = {_CASE_TYPE}))"
        )
        before = (
            "(SELECT d.* FROM arrears_deadline d WHERE d.content_type_id = "
            f"{_CASE_TYPE} AND d.object_id IN (SELECT id FROM {cases} cc) "
            f"AND d.id NOT IN (SELECT id FROM {changed_new} x) "
            f"UNION ALL SELECT * FROM {changed_old} o)"
        )
        return _signed(
            [
                (-1, [late_rows(cases, due=earliest_due(before))]),
                (1, [late_rows(cases)]),
            ]
        )

    none = "(SELECT * FROM arrears_deadline WHERE FALSE)"
    moved = (
        "(SELECT {side}.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE "
        "(n.content_type_id, n.object_id, n.state, n.due_at) IS DISTINCT FROM "
        "(o.content_type_id, o.object_id, o.state, o.due_at))"
    )
    # A response clock counts once it has ended: its ending (or reopening, a moved end, a
    # change of subject) moves the figures; reminders and escalations do not.
    ended = (
        "(SELECT {side}.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE "
        "(n.content_type_id, n.object_id, n.kind, n.state, n.closed_at) IS DISTINCT FROM "
        "(o.content_type_id, o.object_id, o.kind, o.state, o.closed_at))"
    )
    return {
        "arrears_deadline": {
            "INSERT": clocks("new_rows", none) + ";\n" + _signed([(1, respond_rows("new_rows"))]),
            "DELETE": clocks(none, "old_rows") + ";\n" + _signed([(-1, respond_rows("old_rows"))]),
            "UPDATE": clocks(moved.format(side="n"), moved.format(side="o"))
            + ";\n"
            + _signed(
                [
                    (-1, respond_rows(ended.format(side="o"))),
                    (1, respond_rows(ended.format(side="n"))),
                ]
            ),
        },
        "complaints_complaint": three(complaint_rows),
        "complaints_case": case,
        "complaints_casepayment": three(payment_rows),
        "complaints_caseentry": three(entry_rows),
        "projects_project": {
            "UPDATE": _signed(
                [
                    (-1, case_rows(project_cases, project="old_rows")),
                    (1, case_rows(project_cases, project="new_rows")),
                ]
            )
        },
        "arrears_county": {
            "UPDATE": _signed([(-1, by_county("old_rows")), (1, by_county("new_rows"))])
        },
    }


_REFERENCING = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}


def trigger_sql() -> list[str]:
    """The functions and triggers, created or replaced (idempotent; `install` runs them)."""
    out = []
    for table, operations in _trigger_bodies().items():
        for operation, body in operations.items():
            name = f"reporting_facts_{table}_{operation.lower()}"
            out.append(
                # No JIT: the planner's cost of these statements (transition tables it knows
                # little of) passes jit_above_cost, and compiling the ~60 sums took 1.9 s of a
                # 10,000-row UPDATE whose statement itself runs in milliseconds.
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                "SET jit = off AS $f$\n"
                f"BEGIN\n{body};\nRETURN NULL;\nEND\n$f$"
            )
            out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            out.append(
                f"CREATE TRIGGER {name} AFTER {operation} ON {table} {_REFERENCING[operation]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    return out


def install(alias: str = "default") -> None:
    """Create (or replace) the triggers; run by the migration and by `manage.py facts --install`
    (after a change of TIME_ZONE or of a choice list, with `--rebuild`)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        for statement in trigger_sql():
            cursor.execute(statement)


def backfill(alias: str = "default") -> None:
    """After the measures of migration 0004 were added (open_due; wages recovered by payer):
    the facts of a database whose facts were never built are built whole; where they were
    (every other measure exact), only what the new measures add: the open cases' rows of
    open_due, as deltas folded at once, and the payer split of wages recovered — every
    payment until then was the employer's (the column's default). Writers wait (SHARE locks)
    so that nothing changes between these reads and the triggers taking over."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {FACT})")
        if not cursor.fetchone()[0]:
            rebuild(alias=alias)
            return
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute(
            "LOCK TABLE complaints_case, complaints_casepayment, arrears_deadline, "
            "arrears_county IN SHARE MODE"
        )
        for table in (FACT, DELTA):
            cursor.execute(
                f"UPDATE {table} SET recovered_employer_fen = recovered_fen "
                "WHERE recovered_fen <> 0"
            )
        cursor.execute(_signed([(1, [late_rows("complaints_case")])]))
        _fold(cursor)


def backfill_responses(alias: str = "default") -> None:
    """After the response measures were added (responded, responded_on_time): their figures
    recomputed from the clocks already there — the columns zeroed in the facts and the deltas,
    then every ended response clock's row added as a delta and folded — so it is right
    whether the facts were built before (without them) or with them; facts never built are
    built whole. Writers wait (SHARE locks), as in `backfill`."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {FACT})")
        if not cursor.fetchone()[0]:
            rebuild(alias=alias)  # never built (a fresh database): built whole
            return
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute("LOCK TABLE complaints_case, arrears_deadline, arrears_county IN SHARE MODE")
        for table in (FACT, DELTA):
            cursor.execute(
                f"UPDATE {table} SET responded = 0, responded_on_time = 0 "
                "WHERE responded <> 0 OR responded_on_time <> 0"
            )
        cursor.execute(_signed([(1, respond_rows("arrears_deadline"))]))
        _fold(cursor)


def triggers() -> list[tuple[str, str]]:
    """(table, trigger name) of every trigger `install` creates."""
    return [
        (table, f"reporting_facts_{table}_{operation.lower()}")
        for table, operations in _trigger_bodies().items()
        for operation in operations
    ]


def uninstall(alias: str = "default") -> None:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        for table, name in triggers():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def set_triggers(enabled: bool, alias: str = "default") -> None:
    """Enable or disable the triggers (benchmarks measure what they cost a write; the figures
    are wrong while they are off — `rebuild` afterwards)."""
    with connections[alias].cursor() as cursor:
        for table, name in triggers():
            cursor.execute(
                f"ALTER TABLE {table} {'ENABLE' if enabled else 'DISABLE'} TRIGGER {name}"
            )


# --- Fold ------------------------------------------------------------------------------------

# Each delta goes to its day, its month and both levels; a snapshot delta to "now".
_CELLS = (
    f"(VALUES ('{Grain.DAY}', 0), ('{Grain.DAY}', 1), ('{Grain.MONTH}', 0), "
    f"('{Grain.MONTH}', 1), ('{Grain.NOW}', 0), ('{Grain.NOW}', 1)) k(grain, level)"
)


def _into_facts(source: str, prefix: str = "") -> str:
    """INSERT … ON CONFLICT adding the rows of `source` (delta-shaped) into their cells;
    `prefix` may be a WITH clause that defines `source`."""
    day = f"CASE k.grain WHEN '{Grain.MONTH}' THEN date_trunc('month', m.day)::date ELSE m.day END"
    columns = ["grain", "level", "day", *KEY_COLUMNS, *MEASURES]
    select = [
        "k.grain",
        "k.level",
        day,
        "m.city",
        "m.county",
        "m.department",
        "CASE WHEN k.level = 1 THEN m.industry ELSE 0 END",
        "CASE WHEN k.level = 1 THEN m.channel ELSE '' END",
        *(f"sum(m.{c})" for c in MEASURES),
    ]
    key = ", ".join(["grain", "level", "day", *KEY_COLUMNS])
    update = ", ".join(f"{c} = {FACT}.{c} + EXCLUDED.{c}" for c in MEASURES)
    return (
        f"{prefix} INSERT INTO {FACT} ({', '.join(columns)}) SELECT {', '.join(select)} "
        f"FROM {source} m JOIN {_CELLS} ON (m.day = {NOW}) = (k.grain = '{Grain.NOW}') "
        f"GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ON CONFLICT ({key}) DO UPDATE SET {update}"
    )


def fold(alias: str = "default") -> int:
    """Move the deltas into the facts (beat, every minute; idempotent: a delta is deleted in
    the statement that adds it). Returns how many deltas were folded; 0 if another fold holds
    the lock."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            return 0
        return _fold(cursor)


def _fold(cursor: Any) -> int:
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {DELTA})")
    if not cursor.fetchone()[0]:
        return 0  # the idle fold: one probe, no write
    # One statement: the deltas it deletes are exactly those it adds.
    cursor.execute(
        _into_facts("moved", f"WITH moved AS (DELETE FROM {DELTA} RETURNING *)")
        + " RETURNING (SELECT count(*) FROM moved)"
    )
    counts = cursor.fetchall()
    return int(counts[0][0]) if counts else 0


# --- Rebuild and check -----------------------------------------------------------------------


def _months(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    start = first.replace(day=1)
    end = (last.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return start, end


def _all_contributions() -> list[str]:
    return (
        complaint_rows("complaints_complaint")
        + case_rows("complaints_case")
        + payment_rows("complaints_casepayment")
        + entry_rows("complaints_caseentry")
        + respond_rows("arrears_deadline")
    )


@dataclass
class Difference:
    grain: str
    level: int
    day: dt.date
    cell: tuple[Any, ...]
    column: str
    stored: int
    computed: int


def rebuild(
    first: dt.date | None = None,
    last: dt.date | None = None,
    *,
    alias: str = "default",
    write: bool = True,
) -> list[Difference]:
    """Recompute the facts of whole months from first to last (every month when not given)
    and the snapshot from the records themselves; report each cell that differed from what
    was stored and, with `write`, replace them. One REPEATABLE READ transaction: the records
    and the deltas are read in one snapshot, so deltas that writers commit meanwhile stay for
    the next fold and nothing is counted twice."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return []
    if first is None or last is None:
        first, last = dt.date(1971, 1, 1), dt.date(2999, 12, 31)
    start, end = _months(first, last)
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if outermost:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        # The grouping of every record by cell: in memory rather than spilled to disk.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # The deltas this snapshot sees first (every day: a fold moves them all), so that
        # what was stored and what is computed describe the same records.
        _fold(cursor)
        stored = f"(grain = '{Grain.NOW}' OR day BETWEEN %s AND %s)"
        cursor.execute(
            f"CREATE TEMPORARY TABLE fact_old ON COMMIT DROP AS SELECT * FROM {FACT} "
            f"WHERE {stored}",
            [start, end],
        )
        # Summed to the finest cell first (a day, a unit, an industry, a channel): the grains
        # and levels are then made from a few hundred thousand rows, not from every record.
        union = " UNION ALL ".join(f"({q})" for q in _all_contributions())
        cells = ", ".join(["day", *KEY_COLUMNS])
        sums = ", ".join(f"sum({m}) AS {m}" for m in MEASURES)
        cursor.execute(
            f"CREATE TEMPORARY TABLE fact_fresh ON COMMIT DROP AS SELECT {cells}, {sums} "
            f"FROM ({union}) x WHERE day BETWEEN %s AND %s OR day = {NOW} GROUP BY {cells}",
            [start, end],
        )
        cursor.execute(f"DELETE FROM {FACT} WHERE {stored}", [start, end])
        cursor.execute(_into_facts("fact_fresh"))
        differences = _compare(cursor, start, end)
        cursor.execute("DROP TABLE fact_old, fact_fresh")
        if not write:
            transaction.set_rollback(True, using=alias)
        return differences


def _compare(cursor: Any, start: dt.date, end: dt.date) -> list[Difference]:
    key = ["grain", "level", "day", *KEY_COLUMNS]
    join = " AND ".join(f"o.{k} = n.{k}" for k in key)
    diff = " OR ".join(f"coalesce(o.{m}, 0) <> coalesce(n.{m}, 0)" for m in MEASURES)
    cols = ", ".join(f"coalesce(o.{k}, n.{k})" for k in key)
    values = ", ".join(f"coalesce(o.{m}, 0), coalesce(n.{m}, 0)" for m in MEASURES)
    cursor.execute(
        f"SELECT {cols}, {values} FROM fact_old o FULL JOIN "
        f"(SELECT * FROM {FACT} WHERE grain = '{Grain.NOW}' OR day BETWEEN %s AND %s) n "
        f"ON {join} WHERE {diff} ORDER BY 1, 2, 3 LIMIT 1000",
        [start, end],
    )
    out = []
    for row in cursor.fetchall():
        grain, level, day, *rest = row
        cell, values_ = tuple(rest[: len(KEY_COLUMNS)]), rest[len(KEY_COLUMNS) :]
        for i, m in enumerate(MEASURES):
            stored, computed = values_[2 * i], values_[2 * i + 1]
            if stored != computed:
                out.append(Difference(grain, level, day, cell, m, stored, computed))
    return out


# --- Reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """The cells a read adds up: scope and filters as conditions on the key columns."""

    sql: str
    params: tuple[Any, ...]
    level: int


def segments(first: dt.date, last: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """[first, last] as whole months (month grain) and the days around them (day grain)."""
    out: list[tuple[str, dt.date, dt.date]] = []
    day = first
    while day <= last:
        month_end = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(
            days=1
        )
        if day.day == 1 and month_end <= last:
            out.append((Grain.MONTH, day, day))
            day = month_end + dt.timedelta(days=1)
            continue
        stop = min(month_end, last)
        out.append((Grain.DAY, day, stop))
        day = stop + dt.timedelta(days=1)
    # Neighbouring month cells in one range each (a year is one condition, not twelve).
    merged: list[tuple[str, dt.date, dt.date]] = []
    for grain, a, b in out:
        if merged and merged[-1][0] == grain == Grain.MONTH:
            merged[-1] = (grain, merged[-1][1], b)
        else:
            merged.append((grain, a, b))
    return merged


def _period_sql(first: dt.date, last: dt.date) -> tuple[str, list[Any], str, list[Any]]:
    """Conditions on the facts and on the deltas for the days first..last."""
    parts, params = [], []
    for grain, a, b in segments(first, last):
        parts.append("(grain = %s AND day BETWEEN %s AND %s)")
        params += [str(grain), a, b]
    return (
        "(" + " OR ".join(parts or ["FALSE"]) + ")",
        params,
        "day BETWEEN %s AND %s",
        [first, last],
    )


def _cells(
    where: Where, first: dt.date | None, last: dt.date | None, columns: list[str]
) -> tuple[str, list[Any]]:
    """A subquery of the cells (facts and unfolded deltas) with the columns named."""
    cols = ", ".join(["city", "county", "department", "industry", "channel", "day", *columns])
    fact_params: list[Any]
    delta_params: list[Any]
    if first is None or last is None:
        fact_when, fact_params = f"(grain = '{Grain.NOW}' AND day = {NOW})", []
        delta_when, delta_params = f"day = {NOW}", []
    else:
        fact_when, fact_params, delta_when, delta_params = _period_sql(first, last)
    sql = (
        f"SELECT {cols} FROM {FACT} WHERE level = %s AND {fact_when} AND {where.sql} "
        f"UNION ALL SELECT {cols} FROM {DELTA} WHERE {delta_when} AND {where.sql}"
    )
    return sql, [where.level, *fact_params, *where.params, *delta_params, *where.params]


def sums(
    where: Where,
    first: dt.date | None,
    last: dt.date | None,
    columns: list[str],
    *,
    group: str | tuple[str, ...] | None = None,
    alias: str | None = None,
) -> list[dict[str, Any]]:
    """Sums of `columns` over the cells, grouped by `group` (a key column, "month", a tuple
    of key columns — then each row's "group" is a tuple — or None); rows whose sums are all
    zero are left out (the live queries have no such row)."""
    alias = alias or router.db_for_read(Fact)
    inner, params = _cells(where, first, last, columns)
    if isinstance(group, tuple):
        if not set(group) <= set(KEY_COLUMNS):
            raise ValueError(group)  # names from the selectors, never from input
        group_sql = ", ".join(group)
    else:
        group_sql = "date_trunc('month', day)::date" if group == "month" else group or "0"
    width = len(group) if isinstance(group, tuple) else 1
    by = ", ".join(str(i) for i in range(1, width + 1))
    select = ", ".join(f"sum({c})" for c in columns)
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT {group_sql}, {select} FROM ({inner}) f GROUP BY {by}", params)
        rows = cursor.fetchall()
    out = []
    for row in rows:
        keys, values = row[:width], row[width:]
        if not any(values):
            continue
        g = tuple(keys) if isinstance(group, tuple) else keys[0]
        out.append({"group": g, **dict(zip(columns, (int(v) for v in values), strict=True))})
    return out


def yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


__all__ = [
    "COUNT_COLUMNS",
    "FEN_COLUMNS",
    "Difference",
    "Where",
    "backfill",
    "backfill_responses",
    "enabled",
    "fold",
    "install",
    "rebuild",
    "segments",
    "set_triggers",
    "sums",
    "trigger_sql",
    "triggers",
    "uninstall",
    "yuan",
]

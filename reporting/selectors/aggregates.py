"""The dashboards' figures read from the pre-aggregated facts (reporting/facts.py): the same
raw figures, breakdowns and trend as the live queries of rollups.py and breakdowns.py, scoped
and filtered by conditions on the facts' unit columns that say what `for_user` and the
filters say of the records (tests/reporting/test_facts.py holds the two equal)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, OuterRef
from django.utils import timezone

from arrears.models import County, Deadline, DeadlineState, Department, User
from arrears.scoping import scope_of
from complaints.models import OPEN_STATES, Case, Payer
from reporting import facts
from reporting.models import (
    CHANNEL_COLUMNS,
    INVESTMENT_COLUMNS,
    NOW_DAY,
    OUTCOME_COLUMNS,
    TRIAGE_COLUMNS,
)
from reporting.selectors.subsets import BASES, Filters

# Fact column → the raw figure of rollups._aggregates (money from fen to yuan).
PERIOD_FIGURES = {
    "received": "received",
    "accepted": "accepted",
    "accepted_closed": "accepted_closed",
    "workers_involved": "workers_involved",
    "owed_fen": "owed_sum",
    "closed": "closed",
    "closed_timed": "closed_timed",
    "on_time": "on_time",
    "closed_in_limit": "closed_in_limit",
    "days_sum": "days_sum",
    "days_n": "days_n",
    "owed_closed_fen": "owed_closed",
    "recovered_closed_fen": "recovered_closed",
    "satisfaction_sum": "satisfaction_sum",
    "rated": "rated",
    "responded": "responded",
    "responded_on_time": "responded_on_time",
    "recovered_fen": "recovered",
    **{f"recovered_{payer}_fen": f"recovered_{payer}" for payer in Payer.values},
    "paid_workers": "paid_workers",
    "arbitration": "arbitration",
    "police": "police",
}
# The dimensions of the ranking table: the fact column each groups by.
GROUPS = {"city": "city", "county": "county", "department": "department"}


def where(user: User, filters: Filters, *, level: int | None = None) -> facts.Where:
    """The user's scope and the filters as conditions on the facts' unit columns (the facts
    keep each record's city, county, department, industry and channel as `for_user` and
    `Base.queryset` read them). Industry and channel are known at level 1 only."""
    scope = scope_of(user)
    parts: list[str] = []
    params: list[Any] = []
    if not scope.everything:
        if scope.nothing:
            parts.append("FALSE")
        if scope.city_id is not None:
            parts.append("city = %s")
            params.append(scope.city_id)
        if scope.county_id is not None:
            parts.append("county = %s")
            params.append(scope.county_id)
        if scope.department_id is not None:
            parts.append("department = %s")
            params.append(scope.department_id)
        if scope.department_kind is not None:
            parts.append("department IN (SELECT id FROM arrears_department WHERE kind = %s)")
            params.append(scope.department_kind)
    for column, value in (
        ("city", filters.city_id),
        ("county", filters.county_id),
        ("department", filters.department_id),
        ("industry", filters.industry_id),
    ):
        if value:
            parts.append(f"{column} = %s")
            params.append(value)
    if filters.channel:
        parts.append("channel = %s")
        params.append(filters.channel)
    if level is None:
        level = 1 if (filters.industry_id or filters.channel) else 0
    return facts.Where(" AND ".join(parts) or "TRUE", tuple(params), level)


def _unit(value: Any) -> int | None:
    return int(value) if value else None


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column, name in PERIOD_FIGURES.items():
        if column in row:
            value = row[column]
            out[name] = facts.yuan(value) if column.endswith("_fen") else value
    return out


def period_rollup(*, user: User, filters: Filters, dim: str) -> dict[Any, dict[str, Any]]:
    """rollups.raw_rollup's figures of complaints, cases, payments and case entries."""
    p = filters.period
    rows = facts.sums(where(user, filters), p.start, p.end, list(PERIOD_FIGURES), group=GROUPS[dim])
    return {_unit(r["group"]): _figures(r) for r in rows}


def open_rollup(*, user: User, filters: Filters, dim: str) -> dict[Any, dict[str, Any]]:
    """Cases being handled now, per unit."""
    rows = facts.sums(where(user, filters), None, None, ["open"], group=GROUPS[dim])
    return {_unit(r["group"]): {"open": r["open"]} for r in rows}


def late_rollup(*, user: User, filters: Filters, now: dt.datetime) -> list[dict[str, Any]]:
    """breakdowns.overdue_cases from the facts. The facts count each open case on the local
    day its earliest open clock falls due (at the end of: a clock due at midnight counts on
    the day that ends then), so the days before today are overdue cases. Today's cell is
    overdue whole when none of today's clocks is still to fall due (after the end of the
    working day), and not at all when none has fallen due yet (before it): two probes of
    deadline_open_due_idx tell which. Only when today's clocks lie on both sides of `now` are
    today's cases read live. Rows per county and department, as the live query gives them."""
    tz = timezone.get_default_timezone()
    today = timezone.localtime(now, tz).date()
    split = timezone.make_aware(dt.datetime.combine(today, dt.time.min), tz)
    if split >= now:  # at midnight itself, what falls due then is not late yet
        today -= dt.timedelta(days=1)
        split = timezone.make_aware(dt.datetime.combine(today, dt.time.min), tz)
    day_end = timezone.make_aware(
        dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min), tz
    )
    case_type = ContentType.objects.get_for_model(Case)
    clocks = Deadline.objects.filter(content_type=case_type, state=DeadlineState.OPEN)
    fallen = clocks.filter(due_at__gt=split, due_at__lt=now).exists()
    pending = fallen and clocks.filter(due_at__gte=now, due_at__lte=day_end).exists()
    # The last day of the facts that is overdue whole.
    last_day = today if fallen and not pending else today - dt.timedelta(days=1)
    found: dict[tuple[int | None, int | None], dict[str, Any]] = {}

    def add(city: Any, county: Any, department: Any, n: int) -> None:
        row = found.setdefault(
            (_unit(county), _unit(department)),
            {"unit_city": _unit(city), "unit_county": _unit(county)},
        )
        row["unit_department"] = _unit(department)
        row["found"] = row.get("found", 0) + n

    for r in facts.sums(
        where(user, filters),
        NOW_DAY + dt.timedelta(days=1),
        last_day,
        ["open_due"],
        group=("city", "county", "department"),
    ):
        city, county, department = r["group"]
        add(city, county, department, r["open_due"])
    if pending:
        running = Deadline.objects.filter(
            content_type=case_type, object_id=OuterRef("pk"), state=DeadlineState.OPEN
        )
        live = (
            BASES["case"]
            .queryset(user, filters)
            .filter(state__in=OPEN_STATES)
            .filter(Exists(running.filter(due_at__gt=split, due_at__lt=now)))
            .exclude(Exists(running.filter(due_at__lte=split)))
            .values("county_id", "department_id", city=F("county__city_id"))
            .annotate(n=Count("pk"))
            .order_by()
        )
        for r in live:
            add(r["city"], r["county_id"], r["department_id"], r["n"])
    counties = dict(County.objects.filter(pk__in={k[0] for k in found}).values_list("pk", "name"))
    departments = dict(
        Department.objects.filter(pk__in={k[1] for k in found}).values_list("pk", "name")
    )
    for (county, department), row in found.items():
        row["unit_county_name"] = counties.get(county) if county else None
        row["unit_department_name"] = departments.get(department) if department else None
    return list(found.values())


def _pivot(row: dict[str, Any], columns: list[str], prefix: str) -> list[tuple[str, int]]:
    out = []
    for column in columns:
        n = row.get(column, 0)
        if n:
            out.append((column[len(prefix) + 1 :], n))
    return out


def breakdown_counts(*, user: User, filters: Filters) -> dict[str, list[tuple[str, int]]]:
    """Per breakdown of breakdowns.BREAKDOWNS: (value, count) with "none" for not set."""
    p = filters.period
    columns = CHANNEL_COLUMNS + TRIAGE_COLUMNS + INVESTMENT_COLUMNS + OUTCOME_COLUMNS
    found = facts.sums(where(user, filters), p.start, p.end, columns)
    row = found[0] if found else {}
    by_industry = facts.sums(
        where(user, filters, level=1), p.start, p.end, ["accepted"], group="industry"
    )
    return {
        "channel": _pivot(row, CHANNEL_COLUMNS, "received_ch"),
        "industry": [
            (str(r["group"]) if r["group"] else "none", r["accepted"])
            for r in by_industry
            if r["accepted"]
        ],
        "investment": _pivot(row, INVESTMENT_COLUMNS, "accepted_inv"),
        "triage": _pivot(row, TRIAGE_COLUMNS, "accepted_tr"),
        "outcome": _pivot(row, OUTCOME_COLUMNS, "closed_out"),
    }


def trend_rows(
    *, user: User, filters: Filters, first: dt.date, last: dt.date
) -> dict[dt.date, dict[str, Any]]:
    """Per month from first to last: received, closed, on time, recovered (yuan)."""
    rows = facts.sums(
        where(user, filters),
        first,
        last,
        ["received", "closed", "on_time", "recovered_fen"],
        group="month",
    )
    return {
        r["group"]: {
            "received": r["received"],
            "closed": r["closed"],
            "on_time": r["on_time"],
            "recovered": facts.yuan(r["recovered_fen"]) if r["recovered_fen"] else Decimal("0"),
        }
        for r in rows
    }

"""Roll-ups per county or department: one query per model and period with conditional
aggregates; the dashboard puts them together with comparisons, breakdowns and the trend."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.models import City, County, Department, User
from arrears.scoping import for_user, scope_of
from complaints.models import Payer
from projects.models import ItemState
from reporting import facts, metrics
from reporting.periods import Period
from reporting.selectors import aggregates
from reporting.selectors.breakdowns import breakdowns, overdue_cases, overdue_units, trend
from reporting.selectors.subsets import (
    BASES,
    GUARANTEE_WORD,
    SUBSETS,
    Base,
    Filters,
    close_limits,
    core_satisfied,
    late_case_clock,
    two_funds_satisfied,
)

# --- Roll-ups -------------------------------------------------------------------------------


# Per model: the raw figures (name → aggregate over the subsets) one query computes.
def _aggregates(base: str, p: Period, now: dt.datetime) -> dict[str, Any]:
    def c(name: str) -> Q:
        return SUBSETS[name].condition(p, now)

    if base == "complaint":
        return {"received": Count("pk", filter=c("received"))}
    if base == "case":
        accepted, closed = c("accepted"), c("closed")
        return {
            "accepted": Count("pk", filter=accepted),
            "accepted_closed": Count("pk", filter=c("accepted_closed")),
            "workers_involved": Sum("workers_owed", filter=accepted),
            "owed_sum": Sum("amount_owed", filter=accepted),
            "closed": Count("pk", filter=closed),
            "closed_timed": Count("pk", filter=c("closed_timed")),
            "on_time": Count("pk", filter=c("on_time")),
            "closed_in_limit": Count("pk", filter=c("closed_in_limit")),
            "days_sum": Sum("working_days_taken", filter=closed),
            "days_n": Count("working_days_taken", filter=closed),
            "owed_closed": Sum("amount_owed", filter=closed),
            "recovered_closed": Sum("recovered_amount", filter=closed),
            "satisfaction_sum": Sum("satisfaction", filter=closed),
            "rated": Count("satisfaction", filter=closed),
            "responded": Count("pk", filter=c("responded")),
            "responded_on_time": Count("pk", filter=c("responded_on_time")),
        }
    if base == "payment":
        return {
            "recovered": Sum("amount", filter=c("payments")),
            "paid_workers": Sum("workers_paid", filter=c("payments")),
            **{
                f"recovered_{payer}": Sum("amount", filter=c(f"payments_{payer}"))
                for payer in Payer.values
            },
        }
    if base == "entry":
        return {
            "arbitration": Count("pk", filter=c("arbitration")),
            "police": Count("pk", filter=c("police")),
        }
    if base == "warning":
        return {
            "warnings_raised": Count("pk", filter=c("warnings_raised")),
            "warnings_resolved": Count("pk", filter=c("warnings_resolved")),
        }
    if base == "inspection":
        return {"inspections": Count("pk", filter=c("inspections"))}
    if base == "order":
        return {
            "orders": Count("pk", filter=c("orders")),
            "orders_on_time": Count("pk", filter=c("orders_on_time")),
            "orders_overdue": Count("pk", filter=c("orders_overdue")),
        }
    if base == "fine":
        return {
            "fines": Count("pk", filter=c("fines")),
            "fine_amount": Sum("amount", filter=c("fines")),
        }
    raise KeyError(base)


# Which rows a roll-up needs to read at all: the union of its subsets (so indexes serve it).
_WHERE = {
    "complaint": ["received"],
    "case": ["accepted", "closed", "responded"],
    "payment": ["payments"],
    "entry": ["arbitration", "police"],
    "warning": ["warnings_raised", "warnings_resolved"],
    "inspection": ["inspections"],
    "order": ["orders"],
    "fine": ["fines"],
}

DIMENSIONS = ("city", "county", "department")

Rows = dict[Any, dict[str, Any]]


def _group(base: Base, dim: str) -> str:
    if dim == "city":
        return base.city
    return base.county if dim == "county" else base.department


def merge_rows(into: Rows, key: Any, values: dict[str, Any]) -> None:
    row = into.setdefault(key, {})
    for name, value in values.items():
        if value is not None:
            row[name] = row.get(name, 0) + value


# The models whose figures the facts keep (reporting/facts.py); the project side (warnings,
# inspections, orders, fines: thousands of rows where cases are millions, and orders whose
# lateness changes with the clock) is read live.
FACT_BASES = ("complaint", "case", "payment", "entry")


def raw_rollup(*, user: User, filters: Filters, dim: str, now: dt.datetime) -> Rows:
    """The raw figures of the period per unit (county or department id; None for records no
    unit holds yet, e.g. complaints waiting for dispatch): from the facts where PostgreSQL
    keeps them, otherwise one query per model."""
    rows: Rows = {}
    p = filters.period
    from_facts = facts.enabled()
    if from_facts:
        for key, values in aggregates.period_rollup(user=user, filters=filters, dim=dim).items():
            merge_rows(rows, key, values)
    for name, where in _WHERE.items():
        if from_facts and name in FACT_BASES:
            continue
        base = BASES[name]
        condition = Q()
        for subset in where:
            condition |= SUBSETS[subset].condition(p, now)
        qs = (
            base.queryset(user, filters)
            .filter(condition)
            .values(unit=F(_group(base, dim)))
            .annotate(**_aggregates(name, p, now))
            .order_by()
        )
        for row in qs:
            merge_rows(rows, row.pop("unit"), row)
    for key, values in _bank_paid_rollup(user=user, filters=filters, dim=dim, now=now).items():
        merge_rows(rows, key, values)
    return rows


def _bank_paid_rollup(*, user: User, filters: Filters, dim: str, now: dt.datetime) -> Rows:
    """Wages paid through the bank in the months of the period (the projects' monthly wage
    records, thousands of rows: one grouped query)."""
    project = BASES["project"]
    p = filters.period
    qs = (
        project.queryset(user, filters)
        .filter(wage_records__month__gte=p.start, wage_records__month__lte=p.end)
        .values(unit=F(_group(project, dim)))
        .annotate(bank_paid=Sum("wage_records__amount_paid"))
        .order_by()
    )
    return {row.pop("unit"): row for row in qs}


def snapshot_rollup(
    *,
    user: User,
    filters: Filters,
    dim: str,
    now: dt.datetime,
    late_cases: list[dict[str, Any]] | None = None,
) -> Rows:
    """What is true now: open and overdue cases, and 5+3 coverage of projects in construction.
    `late_cases`: the overdue cases as `overdue_cases` read them, if read already."""
    rows: Rows = {}
    p = filters.period
    case = BASES["case"]
    if facts.enabled():
        for key, values in aggregates.open_rollup(user=user, filters=filters, dim=dim).items():
            merge_rows(rows, key, values)
        # Overdue: the facts count open cases by the day their earliest clock falls due, so
        # the days before today are read from them and only today's clocks live.
        if late_cases is None:
            late_cases = overdue_cases(user=user, filters=filters, now=now)
        column = {"city": "unit_city", "county": "unit_county", "department": "unit_department"}
        for row in late_cases:
            merge_rows(rows, row[column[dim]], {"overdue": row["found"]})
    else:
        cases = (
            case.queryset(user, filters)
            .filter(SUBSETS["open"].condition(p, now))
            .annotate(late=late_case_clock(now))
            .values(unit=F(_group(case, dim)))
            .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(late=True)))
            .order_by()
        )
        for row in cases:
            merge_rows(rows, row.pop("unit"), row)
    project = BASES["project"]
    projects = (
        project.queryset(user, filters)
        .filter(SUBSETS["projects"].condition(p, now))
        .annotate(core=_core_flag(), two_funds=_two_funds_flag())
        .values(unit=F(_group(project, dim)))
        .annotate(
            projects=Count("pk"),
            projects_core=Count("pk", filter=Q(core=True)),
            projects_two_funds=Count("pk", filter=Q(two_funds=True)),
        )
        .order_by()
    )
    for row in projects:
        merge_rows(rows, row.pop("unit"), row)
    for key, values in _funds_rollup(user=user, filters=filters, dim=dim, now=now).items():
        merge_rows(rows, key, values)
    return rows


def _funds_rollup(*, user: User, filters: Filters, dim: str, now: dt.datetime) -> Rows:
    """Wage accounts opened and wage deposits lodged (cash or guarantee letter) among the
    projects in construction, from their 5+3 checklist: one grouped query over the join of
    projects and their items (one row per project and item: the unique constraint), each
    figure a filtered aggregate."""
    project = BASES["project"]
    compliant = Q(checklist__state=ItemState.COMPLIANT)
    deposit = compliant & Q(checklist__item="deposit")
    guarantee = deposit & Q(checklist__facts__form__icontains=GUARANTEE_WORD)
    qs = (
        project.queryset(user, filters)
        .filter(SUBSETS["projects"].condition(filters.period, now))
        .filter(checklist__item__in=["wage_account", "deposit"])
        .values(unit=F(_group(project, dim)))
        .annotate(
            wage_accounts=Count("pk", filter=compliant & Q(checklist__item="wage_account")),
            deposits=Sum("checklist__amount", filter=deposit),
            deposits_guarantee=Sum("checklist__amount", filter=guarantee),
        )
        .order_by()
    )
    return {row.pop("unit"): row for row in qs}


def _core_flag() -> Any:
    return ExpressionWrapper(core_satisfied(), output_field=BooleanField())


def _two_funds_flag() -> Any:
    return ExpressionWrapper(two_funds_satisfied(), output_field=BooleanField())


def _total(rows: Rows) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for row in rows.values():
        for name, value in row.items():
            total[name] = total.get(name, 0) + value
    return total


def _change(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    if now is None or before is None:
        return None
    return now - before


@dataclass
class Unit:
    id: int | None
    code: str
    name: str
    values: dict[str, Any]
    previous: dict[str, Any]
    last_year: dict[str, Any]
    avg_days_change: Decimal | None = None
    rank: int | None = None


@dataclass
class Dashboard:
    filters: Filters
    dim: str
    units: list[Unit]
    total: Unit
    breakdowns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    trend: dict[str, Any] = field(default_factory=dict)
    overdue_units: list[dict[str, Any]] = field(default_factory=list)
    computed_at: dt.datetime | None = None
    rank_by: str = "on_time_rate"
    # The statutory limit to close a filed case (working days) the average is set against:
    # None when the cities shown have limits of their own that differ.
    close_limit: int | None = None


def _units(user: User, filters: Filters, dim: str) -> list[tuple[int, str, str]]:
    if dim == "city":
        cities = for_user(City.objects.all(), user)
        if filters.city_id:
            cities = cities.filter(pk=filters.city_id)
        return [(c.pk, c.code, c.name) for c in cities.order_by("code")]
    if dim == "county":
        counties = for_user(County.objects.all(), user)
        if filters.city_id:
            counties = counties.filter(city_id=filters.city_id)
        if filters.county_id:
            counties = counties.filter(pk=filters.county_id)
        return [(c.pk, c.code, c.name) for c in counties.order_by("code")]
    departments = for_user(Department.objects.select_related("county"), user)
    if filters.city_id:
        departments = departments.filter(city_id=filters.city_id)
    if filters.county_id:
        departments = departments.filter(county_id=filters.county_id)
    if filters.department_id:
        departments = departments.filter(pk=filters.department_id)
    return [(d.pk, d.kind, d.name) for d in departments.order_by("county__code", "kind", "pk")]


def dashboard(
    *,
    user: User,
    filters: Filters,
    dim: str = "county",
    rank_by: str = "on_time_rate",
    now: dt.datetime | None = None,
) -> Dashboard:
    """The figures of a dashboard page: one row per county (the city overview) or per
    department (a county page), the total, comparisons with the previous period and the same
    period last year, breakdowns, the monthly trend and the units with overdue work."""
    if dim not in DIMENSIONS:
        raise ValueError(dim)
    now = now or timezone.now()
    # Read once for the overdue figure and the units for 通报.
    late_cases = overdue_cases(user=user, filters=filters, now=now) if facts.enabled() else None
    current, previous, last_year = _rollups(
        user=user, filters=filters, dim=dim, now=now, late_cases=late_cases
    )
    listed = _units(user, filters, dim)
    known = {id_ for id_, _code, _name in listed}
    for rows in (current, previous, last_year):
        # Records no listed unit holds (complaints waiting for city dispatch) add up to one row.
        for key in [k for k in rows if k not in known and k is not None]:
            merge_rows(rows, None, rows.pop(key))

    def unit(id_: int | None, code: str, name: str) -> Unit:
        return _unit(
            id_, code, name, current.get(id_, {}), previous.get(id_, {}), last_year.get(id_, {})
        )

    units = [unit(*u) for u in listed]
    if None in current:
        units.append(unit(None, "", str(_("待分派/未归属"))))
    _rank(units, rank_by)
    total = _unit(None, "", str(_("合计")), _total(current), _total(previous), _total(last_year))
    return Dashboard(
        filters=filters,
        dim=dim,
        units=units,
        total=total,
        breakdowns=breakdowns(user=user, filters=filters, now=now),
        trend=trend(user=user, filters=filters),
        overdue_units=overdue_units(user=user, filters=filters, now=now, late_cases=late_cases),
        computed_at=now,
        rank_by=rank_by,
        close_limit=close_limit(user=user, filters=filters),
    )


def close_limit(*, user: User, filters: Filters) -> int | None:
    """The statutory limit in force for the cities a dashboard shows (one city: its own)."""
    default, own = close_limits()
    city = filters.city_id or scope_of(user).city_id
    if city is not None:
        return own.get(city, default)
    cities = set(for_user(City.objects.all(), user).values_list("pk", flat=True))
    limits = {own.get(c, default) for c in cities} or {default}
    return limits.pop() if len(limits) == 1 else None


def _rollups(
    *,
    user: User,
    filters: Filters,
    dim: str,
    now: dt.datetime,
    late_cases: list[dict[str, Any]] | None = None,
) -> tuple[Rows, Rows, Rows]:
    """The raw figures per unit of the period (with what is true now), of the previous period
    and of the same period last year."""
    p = filters.period
    current = raw_rollup(user=user, filters=filters, dim=dim, now=now)
    snapshot = snapshot_rollup(user=user, filters=filters, dim=dim, now=now, late_cases=late_cases)
    for key, values in snapshot.items():
        merge_rows(current, key, values)
    previous = raw_rollup(user=user, filters=filters.with_period(p.previous()), dim=dim, now=now)
    # For a year the previous period is the same period last year: computed once.
    last_year = (
        previous
        if p.previous() == p.last_year()
        else raw_rollup(user=user, filters=filters.with_period(p.last_year()), dim=dim, now=now)
    )
    return current, previous, last_year


def _unit(
    id_: int | None,
    code: str,
    name: str,
    current: dict[str, Any],
    previous: dict[str, Any],
    last_year: dict[str, Any],
) -> Unit:
    """A row of the table from its raw figures: the metrics, the comparisons, and the change
    of the average working days against last year."""
    values = metrics.derive(current)
    before = metrics.derive(last_year)
    return Unit(
        id_,
        code,
        name,
        values,
        metrics.derive(previous),
        before,
        _change(values["avg_days"], before["avg_days"]),
    )


def _rank(units: list[Unit], rank_by: str) -> None:
    """Order units by the chosen figure (best first); units without the figure go last."""
    more_is_better = not metrics.METRICS[rank_by].lower_is_better
    ranked = [u for u in units if u.id is not None and u.values.get(rank_by) is not None]
    ranked.sort(key=lambda u: u.values[rank_by], reverse=more_is_better)
    previous_value, previous_rank = None, 0
    for position, u in enumerate(ranked, start=1):
        # Equal figures share a rank (1, 2, 2, 4).
        if u.values[rank_by] != previous_value:
            previous_rank, previous_value = position, u.values[rank_by]
        u.rank = previous_rank
    rest = [u for u in units if u not in ranked]
    units[:] = ranked + rest

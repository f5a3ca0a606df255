"""The dashboards' figures, computed from the records themselves (never typed in, never cached
across requests), each through `arrears.scoping.for_user`.

Every figure counts rows of a *subset*: a named condition over one model (cases accepted in the
period, rectification orders overdue, …). The roll-ups aggregate subsets with conditional
aggregates, one query per model and period, grouped by county or by department; the drill-down
lists the very same subset, so a number and the list behind it cannot disagree."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, Model, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.scoping import for_user
from projects.selectors import clock_overdue
from reporting import metrics
from reporting.periods import Period

if TYPE_CHECKING:
    from arrears.models import User

OPEN_STATES = ["pending", "accepted", "filed"]


@dataclass(frozen=True)
class Filters:
    period: Period
    county_id: int | None = None
    department_id: int | None = None
    industry_id: int | None = None
    channel: str = ""

    def with_period(self, period: Period) -> Filters:
        return Filters(period, self.county_id, self.department_id, self.industry_id, self.channel)

    def params(self) -> dict[str, str]:
        """Query parameters that select these filters again (for links and exports)."""
        out = dict(self.period.params())
        if self.county_id:
            out["county"] = str(self.county_id)
        if self.department_id:
            out["department"] = str(self.department_id)
        if self.industry_id:
            out["industry"] = str(self.industry_id)
        if self.channel:
            out["channel"] = self.channel
        return out


@dataclass(frozen=True)
class Base:
    """A model the figures count, and where it keeps what the filters narrow by."""

    model: str
    county: str
    department: str
    industry: str
    channel: str | None = None  # None: the channel filter does not apply

    def queryset(self, user: User, filters: Filters) -> QuerySet[Any]:
        model: type[Model] = apps.get_model(self.model)
        qs = for_user(model._default_manager.all(), user)
        if filters.county_id:
            qs = qs.filter(**{self.county: filters.county_id})
        if filters.department_id:
            qs = qs.filter(**{self.department: filters.department_id})
        if filters.industry_id:
            qs = qs.filter(**{self.industry: filters.industry_id})
        if filters.channel and self.channel:
            qs = qs.filter(**{self.channel: filters.channel})
        return qs


BASES = {
    "complaint": Base("complaints.Complaint", "county", "department", "industry", "channel"),
    "case": Base("complaints.Case", "county", "department", "industry", "channel"),
    "payment": Base(
        "complaints.CasePayment",
        "case__county",
        "case__department",
        "case__industry",
        "case__channel",
    ),
    "entry": Base(
        "complaints.CaseEntry",
        "case__county",
        "case__department",
        "case__industry",
        "case__channel",
    ),
    "warning": Base("projects.Warning", "county", "department", "project__industry"),
    "inspection": Base("projects.Inspection", "county", "department", "project__industry"),
    "order": Base(
        "projects.RectificationOrder",
        "finding__inspection__county",
        "finding__inspection__department",
        "finding__inspection__project__industry",
    ),
    "fine": Base(
        "projects.Fine",
        "inspection__county",
        "inspection__department",
        "inspection__project__industry",
    ),
    "project": Base("projects.Project", "county", "department", "industry"),
}


# --- Subsets --------------------------------------------------------------------------------


def _between(column: str, period: Period) -> Q:
    start, end = period.bounds()
    return Q(**{f"{column}__gte": start, f"{column}__lt": end})


def _dates(column: str, period: Period) -> Q:
    return Q(**{f"{column}__gte": period.start, f"{column}__lte": period.end})


def _late_case_clock(now: dt.datetime) -> Exists:
    from arrears.models import Deadline
    from complaints.models import Case

    return Exists(
        Deadline.objects.filter(
            content_type=ContentType.objects.get_for_model(Case),
            object_id=OuterRef("pk"),
            state="open",
            due_at__lt=now,
        )
    )


def _order_clock(condition: Q) -> Exists:
    from arrears.models import Deadline
    from projects.models import RectificationOrder

    return Exists(
        Deadline.objects.filter(
            condition,
            content_type=ContentType.objects.get_for_model(RectificationOrder),
            object_id=OuterRef("pk"),
            kind="rectification",
        )
    )


def _has_items(items: Iterable[str]) -> Q:
    from projects.models import ChecklistItem
    from projects.selectors import SATISFIED

    condition = Q()
    for code in items:
        condition &= Q(
            Exists(
                ChecklistItem.objects.filter(project=OuterRef("pk"), item=code, state__in=SATISFIED)
            )
        )
    return condition


def _core() -> Q:
    from projects.models.compliance import CORE_ITEMS

    return _has_items(CORE_ITEMS)


def _two_funds() -> Q:
    from projects.models.compliance import TWO_FUNDS_ONE_BOARD

    return _has_items(TWO_FUNDS_ONE_BOARD)


@dataclass(frozen=True)
class Subset:
    base: str
    label: Any
    condition: Callable[[Period, dt.datetime], Q]
    snapshot: bool = False


def _accepted(p: Period, now: dt.datetime) -> Q:
    return _between("accepted_at", p)


def _closed(p: Period, now: dt.datetime) -> Q:
    return Q(state="closed") & _between("closed_at", p)


def _open(p: Period, now: dt.datetime) -> Q:
    return Q(state__in=OPEN_STATES)


def _orders(p: Period, now: dt.datetime) -> Q:
    return _dates("issued_on", p)


def _in_construction(p: Period, now: dt.datetime) -> Q:
    return Q(status="in_construction")


SUBSETS: dict[str, Subset] = {
    "received": Subset("complaint", _("收到的投诉"), lambda p, n: _between("received_at", p)),
    "accepted": Subset("case", _("受理的案件"), _accepted),
    "accepted_closed": Subset(
        "case", _("受理且已办结的案件"), lambda p, n: _accepted(p, n) & Q(state="closed")
    ),
    "closed": Subset("case", _("办结的案件"), _closed),
    "closed_timed": Subset(
        "case",
        _("办结且有时限的案件"),
        lambda p, n: _closed(p, n) & Q(closed_on_time__isnull=False),
    ),
    "on_time": Subset(
        "case", _("按期办结的案件"), lambda p, n: _closed(p, n) & Q(closed_on_time=True)
    ),
    "rated": Subset(
        "case", _("已评价的办结案件"), lambda p, n: _closed(p, n) & Q(satisfaction__isnull=False)
    ),
    "open": Subset("case", _("在办案件"), _open, snapshot=True),
    "overdue": Subset(
        "case", _("逾期案件"), lambda p, n: _open(p, n) & Q(_late_case_clock(n)), snapshot=True
    ),
    "payments": Subset("payment", _("工资支付记录"), lambda p, n: _dates("paid_on", p)),
    "arbitration": Subset(
        "entry", _("转仲裁记录"), lambda p, n: Q(kind="arbitration") & _between("at", p)
    ),
    "police": Subset("entry", _("移送公安记录"), lambda p, n: Q(kind="police") & _between("at", p)),
    "warnings_raised": Subset("warning", _("发出的预警"), lambda p, n: _between("opened_at", p)),
    "warnings_resolved": Subset(
        "warning",
        _("处置的预警"),
        lambda p, n: Q(state="resolved") & _between("resolved_at", p),
    ),
    "inspections": Subset("inspection", _("项目检查"), lambda p, n: _dates("inspected_on", p)),
    "orders": Subset("order", _("责令整改"), _orders),
    "orders_on_time": Subset(
        "order",
        _("按期整改"),
        lambda p, n: _orders(p, n) & Q(_order_clock(Q(state="met"))),
    ),
    "orders_overdue": Subset(
        "order",
        _("逾期整改"),
        lambda p, n: _orders(p, n) & Q(_order_clock(clock_overdue(n))),
    ),
    "fines": Subset("fine", _("罚款决定"), lambda p, n: _dates("decided_on", p)),
    "projects": Subset("project", _("在建项目"), _in_construction, snapshot=True),
    "projects_core": Subset(
        "project",
        _("5项制度全部落实的在建项目"),
        lambda p, n: _in_construction(p, n) & _core(),
        snapshot=True,
    ),
    "projects_two_funds": Subset(
        "project",
        _("两金一牌全部落实的在建项目"),
        lambda p, n: _in_construction(p, n) & _two_funds(),
        snapshot=True,
    ),
}


def subset_queryset(
    name: str, *, user: User, filters: Filters, now: dt.datetime | None = None
) -> QuerySet[Any]:
    """The rows a figure counts: the drill-down list and the row export."""
    subset = SUBSETS[name]
    now = now or timezone.now()
    return BASES[subset.base].queryset(user, filters).filter(subset.condition(filters.period, now))


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
            "accepted_closed": Count("pk", filter=accepted & Q(state="closed")),
            "workers_involved": Sum("workers_owed", filter=accepted),
            "owed_sum": Sum("amount_owed", filter=accepted),
            "closed": Count("pk", filter=closed),
            "closed_timed": Count("pk", filter=closed & Q(closed_on_time__isnull=False)),
            "on_time": Count("pk", filter=closed & Q(closed_on_time=True)),
            "days_sum": Sum("working_days_taken", filter=closed),
            "days_n": Count("working_days_taken", filter=closed),
            "owed_closed": Sum("amount_owed", filter=closed),
            "recovered_closed": Sum("recovered_amount", filter=closed),
            "satisfaction_sum": Sum("satisfaction", filter=closed),
            "rated": Count("satisfaction", filter=closed),
        }
    if base == "payment":
        return {
            "recovered": Sum("amount", filter=c("payments")),
            "paid_workers": Sum("workers_paid", filter=c("payments")),
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
    "case": ["accepted", "closed"],
    "payment": ["payments"],
    "entry": ["arbitration", "police"],
    "warning": ["warnings_raised", "warnings_resolved"],
    "inspection": ["inspections"],
    "order": ["orders"],
    "fine": ["fines"],
}

DIMENSIONS = ("county", "department")

Rows = dict[Any, dict[str, Any]]


def _group(base: Base, dim: str) -> str:
    return base.county if dim == "county" else base.department


def _merge(into: Rows, key: Any, values: dict[str, Any]) -> None:
    row = into.setdefault(key, {})
    for name, value in values.items():
        if value is not None:
            row[name] = row.get(name, 0) + value


def raw_rollup(*, user: User, filters: Filters, dim: str, now: dt.datetime) -> Rows:
    """The raw figures of the period per unit (county or department id; None for records no
    unit holds yet, e.g. complaints waiting for dispatch): one query per model."""
    rows: Rows = {}
    p = filters.period
    for name, where in _WHERE.items():
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
            _merge(rows, row.pop("unit"), row)
    return rows


def snapshot_rollup(*, user: User, filters: Filters, dim: str, now: dt.datetime) -> Rows:
    """What is true now: open and overdue cases, and 5+3 coverage of projects in construction."""
    rows: Rows = {}
    case = BASES["case"]
    cases = (
        case.queryset(user, filters)
        .filter(state__in=OPEN_STATES)
        .annotate(late=_late_case_clock(now))
        .values(unit=F(_group(case, dim)))
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(late=True)))
        .order_by()
    )
    for row in cases:
        _merge(rows, row.pop("unit"), row)
    project = BASES["project"]
    projects = (
        project.queryset(user, filters)
        .filter(status="in_construction")
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
        _merge(rows, row.pop("unit"), row)
    return rows


def _core_flag() -> Any:
    from django.db.models import BooleanField, ExpressionWrapper

    return ExpressionWrapper(_core(), output_field=BooleanField())


def _two_funds_flag() -> Any:
    from django.db.models import BooleanField, ExpressionWrapper

    return ExpressionWrapper(_two_funds(), output_field=BooleanField())


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


def _units(user: User, filters: Filters, dim: str) -> list[tuple[int, str, str]]:
    from arrears.models import County, Department

    if dim == "county":
        counties = for_user(County.objects.all(), user)
        if filters.county_id:
            counties = counties.filter(pk=filters.county_id)
        return [(c.pk, c.code, c.name) for c in counties.order_by("code")]
    departments = for_user(Department.objects.select_related("county"), user)
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
    p = filters.period
    current = raw_rollup(user=user, filters=filters, dim=dim, now=now)
    snapshot = snapshot_rollup(user=user, filters=filters, dim=dim, now=now)
    for key, values in snapshot.items():
        _merge(current, key, values)
    previous = raw_rollup(user=user, filters=filters.with_period(p.previous()), dim=dim, now=now)
    last_year = raw_rollup(user=user, filters=filters.with_period(p.last_year()), dim=dim, now=now)

    def unit(id_: int | None, code: str, name: str) -> Unit:
        values = metrics.derive(current.get(id_, {}))
        before = metrics.derive(last_year.get(id_, {}))
        return Unit(
            id_,
            code,
            name,
            values,
            metrics.derive(previous.get(id_, {})),
            before,
            _change(values["avg_days"], before["avg_days"]),
        )

    listed = _units(user, filters, dim)
    known = {id_ for id_, _code, _name in listed}
    for rows in (current, previous, last_year):
        # Records no listed unit holds (complaints waiting for city dispatch) add up to one row.
        for key in [k for k in rows if k not in known and k is not None]:
            _merge(rows, None, rows.pop(key))
    units = [unit(*u) for u in listed]
    if None in current:
        units.append(unit(None, "", str(_("待分派/未归属"))))
    _rank(units, rank_by)
    total_values = metrics.derive(_total(current))
    total_before = metrics.derive(_total(last_year))
    total = Unit(
        None,
        "",
        str(_("合计")),
        total_values,
        metrics.derive(_total(previous)),
        total_before,
        _change(total_values["avg_days"], total_before["avg_days"]),
    )
    return Dashboard(
        filters=filters,
        dim=dim,
        units=units,
        total=total,
        breakdowns=breakdowns(user=user, filters=filters, now=now),
        trend=trend(user=user, filters=filters),
        overdue_units=overdue_units(user=user, filters=filters, now=now),
        computed_at=now,
        rank_by=rank_by,
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


# --- Breakdowns, trend, overdue units -------------------------------------------------------

# name → (subset, column grouped by, choices or a model giving the labels)
BREAKDOWNS: dict[str, tuple[str, str]] = {
    "channel": ("received", "channel"),
    "industry": ("accepted", "industry"),
    "investment": ("accepted", "project__investment_type"),
    "triage": ("accepted", "triage_class"),
    "outcome": ("closed", "outcome"),
}


def _labels(name: str) -> dict[Any, str]:
    from arrears.models import Industry
    from complaints.models import Channel, Outcome, TriageClass
    from projects.models.registry import InvestmentType

    if name == "industry":
        return {i.pk: i.name for i in Industry.objects.all()}
    choices = {
        "channel": Channel.choices,
        "investment": InvestmentType.choices,
        "triage": TriageClass.choices,
        "outcome": Outcome.choices,
    }[name]
    return {value: str(label) for value, label in choices}


def breakdown_valid(subset: str, name: str, value: str) -> bool:
    """Whether ?part=name:value names a slice of a breakdown of `subset`."""
    if name not in BREAKDOWNS or BREAKDOWNS[name][0] != subset:
        return False
    if value == "none":
        return True
    if name == "industry":
        return value.isdigit() and len(value) < 10
    return value in _labels(name)


def breakdown_condition(name: str, value: str) -> Q:
    """The drill-down's extra condition for one slice of a breakdown ("none" = not set)."""
    _subset, column = BREAKDOWNS[name]
    if value != "none":
        return Q(**{column: value})
    unset = Q(**{f"{column}__isnull": True})
    return unset if name in ("industry", "investment") else unset | Q(**{column: ""})


def breakdowns(
    *, user: User, filters: Filters, now: dt.datetime
) -> dict[str, list[dict[str, Any]]]:
    """Totals of the period split by channel, industry, investment type, triage class and
    outcome; each slice with the drill-down value that lists it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, (subset, column) in BREAKDOWNS.items():
        labels = _labels(name)
        rows = (
            subset_queryset(subset, user=user, filters=filters, now=now)
            .values(value=F(column))
            .annotate(n=Count("pk"))
            .order_by("-n")
        )
        out[name] = [
            {
                "value": "none" if row["value"] in (None, "") else str(row["value"]),
                "label": labels.get(row["value"], str(_("未登记"))),
                "count": row["n"],
                "subset": subset,
            }
            for row in rows
        ]
    return out


def _month_key(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def trend_months(period: Period) -> list[dt.date]:
    """The twelve months up to the period's last month (or the period's months if longer)."""
    months = period.months()
    if len(months) >= 12:
        return months
    last = period.end.replace(day=1)
    out = []
    for back in range(11, -1, -1):
        y, m = divmod(last.year * 12 + last.month - 1 - back, 12)
        out.append(dt.date(y, m + 1, 1))
    return out


def trend(*, user: User, filters: Filters) -> dict[str, Any]:
    """Per month: complaints received, cases closed (and on time), wages recovered."""
    months = trend_months(filters.period)
    # A long period shows its own months, and may start mid-month: its first bar then counts
    # from its first day only. A shorter one shows the twelve months up to its end.
    own = len(filters.period.months()) >= 12
    span = Period("custom", filters.period.start if own else months[0], filters.period.end)
    start, end = span.bounds()
    received: dict[dt.date, int] = defaultdict(int)
    for row in (
        BASES["complaint"]
        .queryset(user, filters)
        .filter(received_at__gte=start, received_at__lt=end)
        .annotate(m=TruncMonth("received_at"))
        .values("m")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        received[_month_key(row["m"])] += row["n"]
    closed: dict[dt.date, int] = defaultdict(int)
    on_time: dict[dt.date, int] = defaultdict(int)
    for row in (
        BASES["case"]
        .queryset(user, filters)
        .filter(state="closed", closed_at__gte=start, closed_at__lt=end)
        .annotate(m=TruncMonth("closed_at"))
        .values("m")
        .annotate(n=Count("pk"), t=Count("pk", filter=Q(closed_on_time=True)))
        .order_by()
    ):
        closed[_month_key(row["m"])] += row["n"]
        on_time[_month_key(row["m"])] += row["t"]
    recovered: dict[dt.date, Decimal] = defaultdict(Decimal)
    for row in (
        BASES["payment"]
        .queryset(user, filters)
        .filter(paid_on__gte=span.start, paid_on__lte=span.end)
        .annotate(m=TruncMonth("paid_on"))
        .values("m")
        .annotate(a=Sum("amount"))
        .order_by()
    ):
        recovered[_month_key(row["m"])] += row["a"] or Decimal("0")
    return {
        "months": months,
        "received": [received[m] for m in months],
        "closed": [closed[m] for m in months],
        "on_time": [on_time[m] for m in months],
        "recovered": [recovered[m].quantize(Decimal("0.01")) for m in months],
    }


def overdue_units(*, user: User, filters: Filters, now: dt.datetime) -> list[dict[str, Any]]:
    """Units with overdue cases now, most first: the list for 通报."""
    rows = (
        subset_queryset("overdue", user=user, filters=filters, now=now)
        .values(
            "county_id",
            "department_id",
            county_name=F("county__name"),
            department_name=F("department__name"),
        )
        .annotate(n=Count("pk"))
        .order_by("-n", "county_name", "department_name")
    )
    return list(rows)

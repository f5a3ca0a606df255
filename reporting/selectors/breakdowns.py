"""Breakdowns of the period's totals, the monthly trend and the units with overdue work."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.models import Industry, User
from complaints.models import Channel, Outcome, TriageClass
from projects.models import InvestmentType
from reporting import facts
from reporting.periods import Period
from reporting.selectors import aggregates
from reporting.selectors.subsets import BASES, Filters, subset_queryset

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
    counts = aggregates.breakdown_counts(user=user, filters=filters) if facts.enabled() else None
    out: dict[str, list[dict[str, Any]]] = {}
    for name, (subset, column) in BREAKDOWNS.items():
        labels = {str(k): v for k, v in _labels(name).items()}
        if counts is not None:
            slices = counts[name]
        else:
            slices = [
                ("none" if row["value"] in (None, "") else str(row["value"]), row["n"])
                for row in subset_queryset(subset, user=user, filters=filters, now=now)
                .values(value=F(column))
                .annotate(n=Count("pk"))
                .order_by()
            ]
        # Largest first; equal counts by value, so that the order does not depend on the plan.
        slices.sort(key=lambda s: (-s[1], s[0]))
        out[name] = [
            {
                "value": value,
                "label": labels.get(value, str(_("未登记"))),
                "count": n,
                "subset": subset,
            }
            for value, n in slices
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
    if facts.enabled():
        by_month = aggregates.trend_rows(
            user=user, filters=filters, first=span.start, last=span.end
        )
        empty = {"received": 0, "closed": 0, "on_time": 0, "recovered": Decimal("0")}
        return {
            "months": months,
            "received": [by_month.get(m, empty)["received"] for m in months],
            "closed": [by_month.get(m, empty)["closed"] for m in months],
            "on_time": [by_month.get(m, empty)["on_time"] for m in months],
            "recovered": [
                Decimal(by_month.get(m, empty)["recovered"]).quantize(Decimal("0.01"))
                for m in months
            ],
        }
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


def _late_rows(subset: str, county: str, department: str, **kw: Any) -> list[dict[str, Any]]:
    return list(
        subset_queryset(subset, **kw)
        .values(
            # Aliases: "county_id" would clash with the case's own column.
            unit_county=F(county),
            unit_department=F(department),
            unit_city=F(f"{county}__city"),
            unit_county_name=F(f"{county}__name"),
            unit_department_name=F(f"{department}__name"),
        )
        .annotate(found=Count("pk"))
        .order_by()
    )


def overdue_cases(*, user: User, filters: Filters, now: dt.datetime) -> list[dict[str, Any]]:
    """Overdue cases now per county and department (with the county's city and the names):
    read once by a dashboard for both its overdue figure and its units for 通报 (the costliest
    of its live reads over a large province: from the facts where PostgreSQL keeps them)."""
    if facts.enabled():
        return aggregates.late_rollup(user=user, filters=filters, now=now)
    return _late_rows("overdue", "county", "department", user=user, filters=filters, now=now)


def overdue_units(
    *,
    user: User,
    filters: Filters,
    now: dt.datetime,
    late_cases: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Units with overdue work now — cases past a deadline and rectification orders past
    theirs — most first: the list for 通报. Two grouped queries (the first may be given, as
    `overdue_cases` read it), merged by unit."""
    units: dict[tuple[Any, Any], dict[str, Any]] = {}
    if late_cases is None:
        late_cases = overdue_cases(user=user, filters=filters, now=now)
    late_orders = _late_rows(
        "orders_late",
        "finding__inspection__county",
        "finding__inspection__department",
        user=user,
        filters=filters,
        now=now,
    )
    for count, rows in (("n", late_cases), ("orders", late_orders)):
        for row in rows:
            key = (row["unit_county"], row["unit_department"])
            unit = units.setdefault(
                key,
                {
                    "county_id": key[0],
                    "department_id": key[1],
                    "county_name": row["unit_county_name"],
                    "department_name": row["unit_department_name"],
                    "n": 0,
                    "orders": 0,
                },
            )
            unit[count] += row["found"]
    return sorted(
        units.values(),
        key=lambda u: (-(u["n"] + u["orders"]), u["county_name"] or "", u["department_name"] or ""),
    )

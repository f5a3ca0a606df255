"""The assessment's indicators: a registry of named functions that give, for the units of an
assessment (the counties of a city, or the cities of the province) and a period, each unit's
value and the rows behind it.

Where a dashboard already has the figure (closure, on-time and recovery rates, coverage,
satisfaction, overdue cases and orders) the indicator *is* the dashboard's metric: the same
raw roll-up (`reporting.selectors.raw_rollup` / `snapshot_rollup`), the same derivation
(`reporting.metrics`) and the same subset for its rows, so an assessment and a dashboard
cannot disagree. The few figures no dashboard shows (warnings of the period resolved, the old
backlog) are defined here, over the dashboards' own subsets.

Another app (or the lead at merge: 通报 received) adds one with `register(Indicator(...))`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from arrears.models import User
from reporting import metrics
from reporting.periods import Period
from reporting.selectors import (
    BASES,
    SUBSETS,
    Base,
    Filters,
    merge_rows,
    raw_rollup,
    snapshot_rollup,
    subset_queryset,
)

Values = dict[int, Any]


class Context:
    """What every indicator function is given: who looks (their scope bounds every query),
    the period, the units' dimension ("county": the counties of `city_id`; "city": the
    province's cities) and the moment "now" for what is true at present. The dashboards' raw
    roll-up is read once and shared by the indicators taken from it."""

    def __init__(
        self, *, user: User, period: Period, dim: str, city_id: int | None, now: dt.datetime
    ) -> None:
        if dim not in ("county", "city"):
            raise ValueError(dim)
        self.user, self.period, self.dim, self.city_id, self.now = user, period, dim, city_id, now
        self._raw: dict[Any, dict[str, Any]] | None = None

    def filters(self, unit: int | None = None) -> Filters:
        """The dashboards' filters for the whole assessment, or for one of its units."""
        if unit is None:
            return Filters(self.period, city_id=self.city_id)
        if self.dim == "county":
            return Filters(self.period, county_id=unit)
        return Filters(self.period, city_id=unit)

    def raw(self) -> dict[Any, dict[str, Any]]:
        """The dashboard's raw figures per unit: the period's and what is true now."""
        if self._raw is None:
            filters, dim, now = self.filters(), self.dim, self.now
            rows = raw_rollup(user=self.user, filters=filters, dim=dim, now=now)
            for key, values in snapshot_rollup(
                user=self.user, filters=filters, dim=dim, now=now
            ).items():
                merge_rows(rows, key, values)
            self._raw = rows
        return self._raw

    def unit_path(self, base: Base) -> str:
        return base.county if self.dim == "county" else base.city


@dataclass(frozen=True)
class Indicator:
    key: str
    label: Any
    unit: str  # a reporting.metrics unit: RATE, SCORE or COUNT
    definition: Any
    # The units' values (a unit without records gets the indicator's value for none).
    values: Callable[[Context, list[int]], Values]
    # The rows behind one unit's value: a queryset of the drill-down base `base`.
    rows: Callable[[Context, int], QuerySet[Any]]
    base: str
    rows_label: Any
    # True when the value describes now rather than the period (overdue, coverage).
    snapshot: bool = False


INDICATORS: dict[str, Indicator] = {}


def register(indicator: Indicator) -> None:
    INDICATORS[indicator.key] = indicator


def choices() -> list[tuple[str, str]]:
    return [(key, str(ind.label)) for key, ind in INDICATORS.items()]


# --- The dashboards' figures ------------------------------------------------------------------


def from_metric(metric_key: str) -> Indicator:
    """An indicator that is a dashboard metric: its value, label, definition and rows."""
    metric = metrics.METRICS[metric_key]
    subset = metric.subset
    assert subset is not None, metric_key

    def values(ctx: Context, units: list[int]) -> Values:
        raw = ctx.raw()
        return {unit: metric.derive(raw.get(unit, {})) for unit in units}

    def rows(ctx: Context, unit: int) -> QuerySet[Any]:
        return subset_queryset(subset, user=ctx.user, filters=ctx.filters(unit), now=ctx.now)

    return Indicator(
        key=metric_key,
        label=metric.label,
        unit=metric.unit,
        definition=metric.definition,
        values=values,
        rows=rows,
        base=SUBSETS[subset].base,
        rows_label=SUBSETS[subset].label,
        snapshot=metric.snapshot,
    )


for _key in (
    "on_time_rate",
    "closure_rate",
    "recovery_rate",
    "core_coverage",
    "satisfaction",
    "overdue",
    "orders_overdue",
    "response_rate",
):
    register(from_metric(_key))


# --- Figures of the assessment's own, over the dashboards' subsets ----------------------------


def _grouped(ctx: Context, base_name: str, qs: QuerySet[Any], **aggregates: Any) -> dict[int, Any]:
    """One grouped query: the aggregates per unit."""
    base = BASES[base_name]
    out: dict[int, Any] = {}
    for row in qs.values(unit=F(ctx.unit_path(base))).annotate(**aggregates).order_by():
        unit = row.pop("unit")
        if unit is not None:
            out[unit] = row
    return out


def _of(ctx: Context, subset: str, unit: int | None = None) -> QuerySet[Any]:
    """A dashboard subset for the whole assessment or one unit."""
    return subset_queryset(subset, user=ctx.user, filters=ctx.filters(unit), now=ctx.now)


def _warnings(ctx: Context, units: list[int]) -> Values:
    found = _grouped(
        ctx,
        "warning",
        _of(ctx, "warnings_raised"),
        n=Count("pk"),
        resolved=Count("pk", filter=Q(state="resolved")),
    )
    return {
        u: metrics._ratio(found.get(u, {}).get("resolved"), found.get(u, {}).get("n"))
        for u in units
    }


register(
    Indicator(
        key="warnings_resolution_rate",
        label=_("预警处置率"),
        unit=metrics.RATE,
        definition=_("期间内发出的欠薪预警中，目前已处置完毕（含条件消除自动关闭）的比例。"),
        values=_warnings,
        rows=lambda ctx, unit: _of(ctx, "warnings_raised", unit).exclude(state="resolved"),
        base="warning",
        rows_label=_("未处置的预警"),
    )
)


def _backlog(ctx: Context, unit: int | None = None) -> QuerySet[Any]:
    """Open cases (the dashboards' `open`) that were taken on before the period began."""
    start, _end = ctx.period.bounds()
    return (
        _of(ctx, "open", unit)
        .annotate(taken_on=Coalesce("accepted_at", "created_at"))
        .filter(taken_on__lt=start)
    )


def _backlog_values(ctx: Context, units: Iterable[int]) -> Values:
    found = _grouped(ctx, "case", _backlog(ctx), n=Count("pk"))
    return {u: found.get(u, {}).get("n", 0) for u in units}


register(
    Indicator(
        key="backlog",
        label=_("积案动态清零"),
        unit=metrics.COUNT,
        definition=_(
            "期间开始前已受理（未受理的按登记时间）而至今仍在办的案件数（实时）；为0即清零。"
        ),
        values=_backlog_values,
        rows=lambda ctx, unit: _backlog(ctx, unit),
        base="case",
        rows_label=_("未清零的积案"),
        snapshot=True,
    )
)

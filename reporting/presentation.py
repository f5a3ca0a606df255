"""How figures are shown: units (万元 for amounts, % for rates), the link behind every number,
comparison arrows, and the data the charts draw. Pages and the printable report share it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from reporting import metrics
from reporting.selectors import Dashboard, Unit

KPIS = [
    "received",
    "accepted",
    "closed",
    "closure_rate",
    "on_time_rate",
    "avg_days",
    "workers_involved",
    "recovered",
    "recovery_rate",
    "open",
    "overdue",
    "satisfaction",
]
PROJECT_FIGURES = [
    "core_coverage",
    "two_funds_coverage",
    "warnings_raised",
    "warnings_resolved",
    "inspections",
    "orders",
    "orders_on_time",
    "orders_overdue",
    "fines",
    "fine_amount",
    "arbitration",
    "police",
    "amount_owed",
    "workers_paid",
]


def display(key: str, value: Any) -> str:
    """A figure as officials read it: amounts in 万元, rates in %, counts with separators."""
    if value is None:
        return "—"
    unit = metrics.METRICS[key].unit
    if unit == metrics.YUAN:
        return f"{metrics.to_wan(value):,.2f}"
    if unit == metrics.RATE:
        return f"{Decimal(value) * 100:.2f}%"
    if unit in (metrics.DAYS, metrics.SCORE):
        return f"{value:.2f}"
    return f"{value:,}"


def exact(key: str, value: Any) -> str:
    """The figure in full (yuan to the fen) for the tooltip."""
    if value is None:
        return ""
    if metrics.METRICS[key].unit == metrics.YUAN:
        return _("%(v)s 元") % {"v": f"{Decimal(value):,.2f}"}
    return str(value)


def unit_label(key: str) -> str:
    metric = metrics.METRICS[key]
    unit = {metrics.YUAN: _("万元"), metrics.DAYS: _("工作日")}.get(metric.unit, "")
    # A label that already names its unit (平均办结用时（工作日）) is not given it twice.
    return "" if unit and unit.lower() in str(metric.label).lower() else unit


def drill_url(subset: str | None, params: dict[str, str], **extra: Any) -> str:
    if not subset:
        return ""
    query = {"subset": subset, **params, **{k: str(v) for k, v in extra.items() if v}}
    return f"{reverse('report-rows')}?{urlencode(query)}"


def _delta(key: str, now: Any, before: Any) -> dict[str, Any] | None:
    """The change against a comparison period, and whether it is an improvement."""
    if now is None or before is None:
        return None
    change = now - before
    if metrics.METRICS[key].unit == metrics.RATE:
        text = f"{change * 100:+.2f}" + _("个百分点")
    elif metrics.METRICS[key].unit == metrics.YUAN:
        text = _("%(v)s万元") % {"v": f"{metrics.to_wan(change):+,.2f}"}
    elif metrics.METRICS[key].unit in (metrics.DAYS, metrics.SCORE):
        text = f"{change:+.2f}"
    else:
        text = f"{change:+,}"
    worse_when_up = metrics.METRICS[key].lower_is_better
    good = None if change == 0 else (change < 0) == worse_when_up
    return {"text": text, "good": good}


def _cells(unit: Unit, keys: list[str], params: dict[str, str], unit_param: str) -> list[Any]:
    extra = {unit_param: unit.id} if unit.id is not None else {}
    return [
        {
            "key": key,
            "display": display(key, unit.values[key]),
            "exact": exact(key, unit.values[key]),
            "url": drill_url(metrics.METRICS[key].subset, params, **extra)
            if unit.id is not None or unit_param == "total"
            else "",
        }
        for key in keys
    ]


def dashboard_context(board: Dashboard) -> dict[str, Any]:
    """The template context of a dashboard page (and of the printable report): every figure
    formatted, each with the link to the rows it counts."""
    filters = board.filters
    params = filters.params()
    unit_param = board.dim  # "city", "county" or "department": the filter that narrows to a row
    rows = [
        {
            "unit": unit,
            "cells": _cells(unit, metrics.TABLE, params, unit_param),
            "avg_days_change": unit.avg_days_change,
        }
        for unit in board.units
    ]
    total = board.total
    breakdowns = _breakdowns(board, params)
    definitions = [{"key": key, "metric": metric} for key, metric in metrics.METRICS.items()]
    return {
        "cache_minutes": settings.REPORTING_CACHE_SECONDS // 60,
        "rank": board.rank_by,
        "board": board,
        "filters": filters,
        "period": filters.period,
        "previous": filters.period.previous(),
        "last_year": filters.period.last_year(),
        "params": params,
        "query": urlencode(params),
        "columns": [
            {"key": key, "metric": metrics.METRICS[key], "unit": unit_label(key)}
            for key in metrics.TABLE
        ],
        "rows": rows,
        "total_cells": _cells(total, metrics.TABLE, params, "total"),
        "total": total,
        "kpis": _kpis(board, params),
        "breakdowns": breakdowns,
        "charts": _charts(board, params, breakdowns),
        "overdue_units": _overdue_units(board, params),
        # Wages recovered by who paid: the employer, or those who answer for it.
        "payer_cells": _panel(total, metrics.PAYER_KEYS, params),
        "fund_cells": _panel(total, metrics.FUNDS, params),
        "timeliness_cells": _panel(total, metrics.TIMELINESS, params),
        "close_limit": board.close_limit,
        "below_limit": _below_limit(board),
        "definitions": definitions,
        "avg_days_change_definition": metrics.AVG_DAYS_CHANGE_DEFINITION,
        "rankable": metrics.RANKABLE,
        "breakdown_titles": [
            ("industry", _("受理案件：按行业")),
            ("investment", _("受理案件：按投资类型")),
            ("triage", _("受理案件：按办理分类")),
        ],
        "unit_links": {u.id: _unit_link(board, u, params) for u in board.units},
    }


def _panel(total: Unit, keys: list[str], params: dict[str, str]) -> list[dict[str, Any]]:
    """The total's figures of a side panel, each with its label, unit and rows."""
    return [
        dict(cell, metric=metrics.METRICS[cell["key"]], unit=unit_label(cell["key"]))
        for cell in _cells(total, keys, params, "total")
    ]


def _below_limit(board: Dashboard) -> Decimal | None:
    """How many working days the average closure is under the statutory limit (negative:
    over it), as officials quote it ("比法定时限缩短N个工作日")."""
    average = board.total.values["avg_days"]
    if average is None or board.close_limit is None:
        return None
    return Decimal(board.close_limit) - average


def _kpis(board: Dashboard, params: dict[str, str]) -> list[dict[str, Any]]:
    """The key figures of the total, each with its change against the comparison periods
    (none for a snapshot, which has no period)."""
    total = board.total
    return [
        {
            "key": key,
            "metric": metrics.METRICS[key],
            "display": display(key, total.values[key]),
            "exact": exact(key, total.values[key]),
            "unit": unit_label(key),
            "url": drill_url(metrics.METRICS[key].subset, params),
            # For a year the previous period is the same period last year: shown once.
            "previous": None
            if metrics.METRICS[key].snapshot or board.filters.period.kind == "year"
            else _delta(key, total.values[key], total.previous[key]),
            "last_year": None
            if metrics.METRICS[key].snapshot
            else _delta(key, total.values[key], total.last_year[key]),
        }
        for key in KPIS + PROJECT_FIGURES
    ]


def _breakdowns(board: Dashboard, params: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Each breakdown's slices with the link to their rows. Channel and industry are filters
    of their own, so their slices link by the filter; the others by ?part=name:value."""
    return {
        name: [
            dict(
                row,
                url=drill_url(row["subset"], params, part=f"{name}:{row['value']}")
                if name not in ("channel", "industry")
                else drill_url(
                    row["subset"],
                    {**params, name: row["value"]} if row["value"] != "none" else params,
                    part=f"{name}:none" if row["value"] == "none" else "",
                ),
            )
            for row in slices
        ]
        for name, slices in board.breakdowns.items()
    }


def _charts(
    board: Dashboard, params: dict[str, str], breakdowns: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """What the charts draw: the monthly trend, the ranking of units, the channel and outcome
    pies, and the link behind every point, bar and slice."""
    trend = board.trend
    # The filters other than the period, for a month's rows from the trend chart.
    unit_params = {k: v for k, v in params.items() if k not in ("period", "start", "end")}
    return {
        "months": [f"{m:%Y-%m}" for m in trend["months"]],
        "received": trend["received"],
        "closed": trend["closed"],
        "on_time": trend["on_time"],
        "recovered_wan": [float(metrics.to_wan(a) or 0) for a in trend["recovered"]],
        "ranking": {
            "metric": str(metrics.METRICS[board.rank_by].label),
            "rate": metrics.METRICS[board.rank_by].unit == metrics.RATE,
            "units": [u.name for u in board.units if u.id is not None],
            "values": [
                _chart_value(board.rank_by, u.values[board.rank_by])
                for u in board.units
                if u.id is not None
            ],
            "links": [_unit_link(board, u, params) for u in board.units if u.id is not None],
        },
        # Every slice and bar opens the rows it counts.
        "channel": [
            {"name": r["label"], "value": r["count"], "url": r["url"]}
            for r in breakdowns["channel"]
        ],
        "outcome": [
            {"name": r["label"], "value": r["count"], "url": r["url"]}
            for r in breakdowns["outcome"]
        ],
        "month_urls": {
            key: [
                drill_url(subset, {**unit_params, "period": f"{m:%Y-%m}"}) for m in trend["months"]
            ]
            for key, subset in (
                ("received", "received"),
                ("closed", "closed"),
                ("on_time", "on_time"),
                ("recovered", "payments"),
            )
        },
        "labels": {
            "received": _("收到线索"),
            "closed": _("办结"),
            "on_time": _("按期办结"),
            "recovered": _("追回工资（万元）"),
        },
    }


def _overdue_units(board: Dashboard, params: dict[str, str]) -> list[dict[str, Any]]:
    """The units with overdue work, each linking to its overdue cases and its late orders."""
    return [
        dict(
            row,
            url=drill_url(
                "overdue", params, county=row["county_id"], department=row["department_id"]
            ),
            orders_url=drill_url(
                "orders_late", params, county=row["county_id"], department=row["department_id"]
            ),
        )
        for row in board.overdue_units
    ]


def _chart_value(key: str, value: Any) -> float | None:
    if value is None:
        return None
    if metrics.METRICS[key].unit == metrics.RATE:
        return round(float(value) * 100, 2)
    if metrics.METRICS[key].unit == metrics.YUAN:
        return float(metrics.to_wan(value) or 0)
    return float(value)


def _unit_link(board: Dashboard, unit: Unit, params: dict[str, str]) -> str:
    """A city row opens the city page, a county row the county page; a department row lists
    its cases."""
    if unit.id is None:
        return ""
    if board.dim == "city":
        query = {k: v for k, v in params.items() if k != "city"}
        return f"{reverse('report-city', args=[unit.code])}?{urlencode(query)}"
    if board.dim == "county":
        query = {k: v for k, v in params.items() if k != "county"}
        return f"{reverse('report-county', args=[unit.code])}?{urlencode(query)}"
    return drill_url("accepted", params, department=unit.id)

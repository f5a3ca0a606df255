"""The dashboards' figures, computed from the records themselves (never typed in, never cached
across requests), each through `arrears.scoping.for_user`.

Every figure counts rows of a *subset*: a named condition over one model (cases accepted in the
period, rectification orders overdue, …). The roll-ups aggregate subsets with conditional
aggregates, one query per model and period, grouped by county or by department; the drill-down
lists the very same subset, so a number and the list behind it cannot disagree."""

from reporting.selectors.breakdowns import (
    BREAKDOWNS,
    breakdown_condition,
    breakdown_valid,
    breakdowns,
    overdue_units,
    trend,
    trend_months,
)
from reporting.selectors.rollups import (
    DIMENSIONS,
    Dashboard,
    Unit,
    dashboard,
    merge_rows,
    raw_rollup,
    snapshot_rollup,
)
from reporting.selectors.subsets import (
    BASES,
    OPEN_STATES,
    SUBSETS,
    Base,
    Filters,
    Subset,
    subset_queryset,
)

__all__ = [
    "BASES",
    "BREAKDOWNS",
    "DIMENSIONS",
    "OPEN_STATES",
    "SUBSETS",
    "Base",
    "Dashboard",
    "Filters",
    "Subset",
    "Unit",
    "breakdown_condition",
    "breakdown_valid",
    "breakdowns",
    "dashboard",
    "merge_rows",
    "overdue_units",
    "raw_rollup",
    "snapshot_rollup",
    "subset_queryset",
    "trend",
    "trend_months",
]

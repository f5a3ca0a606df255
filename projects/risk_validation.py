"""The risk score replayed on the system's own history (docs/risk.md, bench/bench_risk.py):
every month end of a period, each project scored from what was known then, against whether a
complaint about it arrived in the next three months."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from statistics import mean
from typing import Any

from django.utils import timezone

from arrears.models import User
from arrears.scoping import for_user
from projects import risk, risk_selectors
from projects.models import Project, ProjectStatus

HORIZON_MONTHS = 3
BASELINES = ("risk", "complaints_so_far", "random")


def month_ends(*, today: dt.date, months: int, horizon: int = HORIZON_MONTHS) -> list[dt.date]:
    """The last `months` month ends whose following `horizon` months are complete by today,
    oldest first."""
    first = today.replace(day=1)
    ends = []
    for back in range(horizon + 1, horizon + 1 + months):
        month = risk.months_back(first, back)
        ends.append(risk.month_end(month))
    return sorted(ends)


@dataclass(frozen=True)
class Summary:
    months: list[risk.MonthResult]
    auc: dict[str, float | None]  # mean over the months
    precision: dict[str, float]


def summarise(results: list[risk.MonthResult]) -> Summary:
    auc: dict[str, float | None] = {}
    precision: dict[str, float] = {}
    for name in BASELINES:
        values = [r.auc[name] for r in results if r.auc[name] is not None]
        auc[name] = mean(v for v in values if v is not None) if values else None
        precision[name] = mean(r.precision[name] for r in results) if results else 0.0
    return Summary(results, auc, precision)


def validate(
    *, user: User, ends: list[dt.date], k: int, seed: int, city: int | None = None
) -> list[risk.MonthResult]:
    """Score the projects in construction the user may see at each month end in `ends` and
    measure the ranking; `seed` fixes the random baseline and the tie-breaking."""
    # The projects in construction: those a campaign's list is drawn from (projects.
    # risk_selectors.draw_candidates); one completed or not started is hardly complained about
    # and would flatter every ranking.
    projects = for_user(Project.objects.filter(status=ProjectStatus.IN_CONSTRUCTION), user)
    if city is not None:
        projects = projects.filter(county__city_id=city)
    found = risk_selectors.histories(projects)
    context = risk_selectors.context_for(found, city)
    weights = risk_selectors.weights(city)
    return risk.evaluate(
        [found[pk] for pk in sorted(found)],
        context,
        weights,
        ends,
        tz=timezone.get_current_timezone(),
        k=k,
        seed=seed,
        horizon_months=HORIZON_MONTHS,
    )


def as_rows(results: list[risk.MonthResult]) -> list[dict[str, Any]]:
    """One row per month (for printing, and for comparing two runs)."""
    return [
        {
            "month_end": r.month_end.isoformat(),
            "projects": r.projects,
            "positives": r.positives,
            **{f"auc_{n}": r.auc[n] for n in BASELINES},
            **{f"p_at_k_{n}": r.precision[n] for n in BASELINES},
        }
        for r in results
    ]

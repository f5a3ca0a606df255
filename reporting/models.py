"""Pre-aggregated figures for the dashboards (reporting/facts.py keeps and reads them).

A *fact* row holds the sums of the dashboard's raw figures for one cell: a grain (a day, a
month, or "now" for what is true at present), a level (0: every industry and channel
together; 1: one industry and one channel) and the unit the row's records belong to (city,
county, department; 0 where there is none, e.g. a complaint waiting for dispatch). A *delta*
row is a change not yet folded into the facts: PostgreSQL triggers on the source tables write
one per statement that changes what the figures count, and a beat task folds them. Readers
add the facts and the unfolded deltas, so a figure is exact at every moment.

Money is kept in fen (integers): sums of integers are exact and faster than NUMERIC."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models import Channel, Outcome, Payer, TriageClass
from projects.models import InvestmentType

# The snapshot grain's one "day" (what is true now has no date).
NOW_DAY = dt.date(1970, 1, 1)


class Grain(models.TextChoices):
    DAY = "D", _("按日")
    MONTH = "M", _("按月")
    NOW = "S", _("当前")


def _pivot(prefix: str, values: list[str]) -> list[str]:
    return [f"{prefix}_{v}" for v in values] + [f"{prefix}_none"]


# The breakdowns by a fixed list of values are columns (one row serves every breakdown);
# the breakdown by industry, a table of its own, reads level 1.
CHANNEL_COLUMNS = _pivot("received_ch", list(Channel.values))
TRIAGE_COLUMNS = _pivot("accepted_tr", list(TriageClass.values))
INVESTMENT_COLUMNS = _pivot("accepted_inv", list(InvestmentType.values))
OUTCOME_COLUMNS = _pivot("closed_out", list(Outcome.values))

# The raw figures of reporting.selectors (rollups._aggregates) kept as counts or sums.
COUNT_COLUMNS = [
    "received",
    "accepted",
    "accepted_closed",
    "workers_involved",
    "closed",
    "closed_timed",
    "on_time",
    "days_sum",
    "days_n",
    "satisfaction_sum",
    "rated",
    "paid_workers",
    "arbitration",
    "police",
    "open",
    # Open cases on the local day their earliest running clock falls (or fell) due: the
    # days before today add up to the cases overdue now (reporting.facts.late_rows).
    "open_due",
    # Cases whose response clock (case.respond) ended in the period, by the local day it
    # ended, and those of them answered in time (reporting.facts.respond_rows).
    "responded",
    "responded_on_time",
]
# Wages recovered split by who paid (complaints.models.Payer): money, so not a pivot of counts.
PAYER_COLUMNS = [f"recovered_{v}_fen" for v in Payer.values]
FEN_COLUMNS = [
    "owed_fen",
    "owed_closed_fen",
    "recovered_closed_fen",
    "recovered_fen",
    *PAYER_COLUMNS,
]
PIVOT_COLUMNS = CHANNEL_COLUMNS + TRIAGE_COLUMNS + INVESTMENT_COLUMNS + OUTCOME_COLUMNS
MEASURES = COUNT_COLUMNS + FEN_COLUMNS + PIVOT_COLUMNS
KEY_COLUMNS = ["city", "county", "department", "industry", "channel"]


def _measure_fields() -> dict[str, Any]:
    return {name: models.BigIntegerField(default=0) for name in MEASURES}


class _Cell(models.Model):
    day = models.DateField()
    city = models.IntegerField(default=0)
    county = models.IntegerField(default=0)
    department = models.IntegerField(default=0)
    industry = models.IntegerField(default=0)
    channel = models.CharField(max_length=20, default="", blank=True)

    class Meta:
        abstract = True


Fact: Any = type(
    "Fact",
    (_Cell,),
    {
        "__module__": __name__,
        "__doc__": "The sums of the raw figures of one cell (grain, level, day, unit).",
        "grain": models.CharField(max_length=1, choices=Grain.choices),
        "level": models.PositiveSmallIntegerField(default=0),
        **_measure_fields(),
        "Meta": type(
            "Meta",
            (),
            {
                "verbose_name": _("统计汇总"),
                "verbose_name_plural": _("统计汇总"),
                "constraints": [
                    models.UniqueConstraint(
                        fields=["grain", "level", "day", *KEY_COLUMNS], name="fact_unique_cell"
                    )
                ],
            },
        ),
    },
)

FactDelta: Any = type(
    "FactDelta",
    (_Cell,),
    {
        "__module__": __name__,
        "__doc__": "A change of the sums not yet folded into Fact (written by triggers).",
        "id": models.BigAutoField(primary_key=True),
        **_measure_fields(),
        "Meta": type(
            "Meta",
            (),
            {"verbose_name": _("统计增量"), "verbose_name_plural": _("统计增量")},
        ),
    },
)

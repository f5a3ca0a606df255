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
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel
from arrears.scoping import ScopePaths
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
    # Closed within the statutory limit in force when they closed (Case.closed_in_limit).
    "closed_in_limit",
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


# --- Assessment (考核) ------------------------------------------------------------------------
# The scheme a city (or the province, city empty) scores its counties (its cities) by in a
# year, and the results it finalised. reporting/assessment/ computes and explains them.


class IndicatorKind(models.TextChoices):
    # weight × min(1, value ÷ target): a rate or an average, more is better.
    SCORE = "score", _("得分项")
    # −min(cap, per_unit × value): a count of what went wrong (overdue cases, orders).
    DEDUCTION = "deduction", _("扣分项")
    # weight if the value is 0, else nothing: 动态清零 of the backlog.
    CLEARANCE = "clearance", _("清零项")


class AssessmentScheme(AuditedModel):
    """One year's indicator set with its weights and the grade thresholds (A/B/C)."""

    year = models.PositiveSmallIntegerField(_("考核年度"))
    # Empty: the province's scheme (for cities) and every city's default for its counties.
    city = models.ForeignKey(
        "arrears.City",
        verbose_name=_("地级市"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("名称"), max_length=100)
    grade_a_min = models.DecimalField(_("A级最低分"), max_digits=6, decimal_places=2, default=90)
    grade_b_min = models.DecimalField(_("B级最低分"), max_digits=6, decimal_places=2, default=75)
    source = models.CharField(
        _("依据"), max_length=200, blank=True, default="示例值，按本地考核办法修改"
    )

    scope_paths: ClassVar[ScopePaths] = ScopePaths(city="city")

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["-year", "city"]
        constraints = [
            models.UniqueConstraint(fields=["year", "city"], name="assessment_scheme_year_city"),
            # NULLs are distinct in a unique constraint: the province's one scheme a year.
            models.UniqueConstraint(
                fields=["year"],
                condition=models.Q(city__isnull=True),
                name="assessment_scheme_year_province",
            ),
            models.CheckConstraint(
                name="assessment_scheme_grades_ordered",
                condition=models.Q(grade_a_min__gte=models.F("grade_b_min")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class AssessmentIndicator(AuditedModel):
    """One indicator of a scheme: which registered indicator (reporting.assessment.indicators)
    and how it scores."""

    scheme = models.ForeignKey(
        AssessmentScheme,
        verbose_name=_("考核方案"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    key = models.CharField(_("指标"), max_length=50)
    kind = models.CharField(_("计分方式"), max_length=10, choices=IndicatorKind.choices)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    weight = models.DecimalField(
        _("分值"), max_digits=6, decimal_places=2, default=0, help_text=_("得分项、清零项的满分")
    )
    target = models.DecimalField(
        _("满分标准"),
        max_digits=9,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("得分项达到此值得满分（比率填0.95表示95%）；不填为1（满意度为5）"),
    )
    per_unit = models.DecimalField(
        _("每项扣分"), max_digits=6, decimal_places=2, default=0, help_text=_("扣分项每件扣分")
    )
    cap = models.DecimalField(_("扣分上限"), max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["scheme", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "key"], name="assessment_indicator_once"),
            models.CheckConstraint(
                name="assessment_indicator_nonnegative",
                condition=models.Q(weight__gte=0, per_unit__gte=0),
            ),
            models.CheckConstraint(
                name="assessment_indicator_target_positive",
                condition=models.Q(target__isnull=True) | models.Q(target__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return self.key


class AssessmentResult(AuditedModel):
    """A finalised (published) assessment of one period: every unit's values, points and grade
    as they were, so later changes to the records do not rewrite it. Never updated."""

    # The assessing body: a city (its counties are scored) or, empty, the province (cities).
    city = models.ForeignKey(
        "arrears.City",
        verbose_name=_("地级市"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    period = models.CharField(_("考核期间"), max_length=10)  # "2026" or "2026-Q3"
    # The scheme as it was applied (indicators, weights, thresholds), for the record.
    scheme = models.JSONField(_("考核方案"), default=dict)
    finalised_by = models.ForeignKey(
        "arrears.User", verbose_name=_("定稿人"), on_delete=models.PROTECT, related_name="+"
    )
    finalised_at = models.DateTimeField(_("定稿时间"))

    scope_paths: ClassVar[ScopePaths] = ScopePaths(city="city")

    class Meta:
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(fields=["city", "period"], name="assessment_result_once"),
            models.UniqueConstraint(
                fields=["period"],
                condition=models.Q(city__isnull=True),
                name="assessment_result_once_province",
            ),
        ]

    def __str__(self) -> str:
        return self.period

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Published is published: a correction is a new period's matter, not an edit.
        if not self._state.adding:
            raise ValidationError(_("已定稿的考核结果不能修改"))
        super().save(*args, **kwargs)


class AssessmentScore(AuditedModel):
    """One unit's row of a finalised assessment: total, grade, rank and each indicator's value,
    points and source rows (ids) as a list of dicts."""

    result = models.ForeignKey(
        AssessmentResult,
        on_delete=models.CASCADE,
        related_name="scores",
        verbose_name=_("考核结果"),
    )
    # The unit scored: a county (a city's assessment) or a city (the province's).
    county = models.ForeignKey(
        "arrears.County", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The unit's city (the county's, or the city scored): what its city's staff may see.
    unit_city = models.ForeignKey("arrears.City", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("行政区划代码"), max_length=6)
    name = models.CharField(_("名称"), max_length=50)
    total = models.DecimalField(_("总分"), max_digits=7, decimal_places=2)
    grade = models.CharField(_("等级"), max_length=1)
    rank = models.PositiveSmallIntegerField(_("排名"))
    indicators = models.JSONField(_("指标"), default=list)

    scope_paths: ClassVar[ScopePaths] = ScopePaths(county="county", city="unit_city")

    class Meta:
        verbose_name = _("考核得分")
        verbose_name_plural = _("考核得分")
        ordering = ["result", "rank", "code"]
        constraints = [
            models.UniqueConstraint(fields=["result", "code"], name="assessment_score_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.total}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Published is published: a correction is a new period's matter, not an edit.
        if not self._state.adding:
            raise ValidationError(_("已定稿的考核结果不能修改"))
        super().save(*args, **kwargs)

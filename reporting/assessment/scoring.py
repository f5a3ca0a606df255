"""Scoring: the scheme in force for a year, each indicator's points, the total, grade and rank
of every unit; live for a period not finalised, read from the saved result for one that is."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.models import City, County, User
from arrears.scoping import for_user, scope_of
from reporting import metrics
from reporting.assessment.indicators import INDICATORS, Context
from reporting.models import (
    AssessmentResult,
    AssessmentScheme,
    AssessmentScore,
    IndicatorKind,
)
from reporting.periods import Period

CENT = Decimal("0.01")
# A finalised result keeps at most this many source-row ids per unit and indicator (a large
# county closes tens of thousands of cases a year; the count is kept whole).
KEEP_ROW_IDS = 5000


@dataclass(frozen=True)
class Rule:
    """How one indicator scores (a row of the scheme)."""

    key: str
    kind: str
    weight: Decimal = Decimal(0)
    target: Decimal | None = None
    per_unit: Decimal = Decimal(0)
    cap: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "weight": str(self.weight),
            "target": None if self.target is None else str(self.target),
            "per_unit": str(self.per_unit),
            "cap": None if self.cap is None else str(self.cap),
        }


@dataclass(frozen=True)
class Scheme:
    year: int
    name: str
    grade_a_min: Decimal
    grade_b_min: Decimal
    rules: tuple[Rule, ...]
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "name": self.name,
            "grade_a_min": str(self.grade_a_min),
            "grade_b_min": str(self.grade_b_min),
            "source": self.source,
            "rules": [r.as_dict() for r in self.rules],
        }


D = Decimal
# The scheme used for a year no scheme row names. 示例值，按本地考核办法修改: the score items add
# to 100 points; overdue cases and orders deduct (the 通报 indicator is registered at merge).
DEFAULT_RULES = (
    Rule("on_time_rate", IndicatorKind.SCORE, D(20)),
    Rule("closure_rate", IndicatorKind.SCORE, D(15)),
    Rule("recovery_rate", IndicatorKind.SCORE, D(15)),
    Rule("response_rate", IndicatorKind.SCORE, D(10)),
    Rule("core_coverage", IndicatorKind.SCORE, D(15)),
    Rule("warnings_resolution_rate", IndicatorKind.SCORE, D(10)),
    Rule("satisfaction", IndicatorKind.SCORE, D(5), target=D(5)),
    Rule("backlog", IndicatorKind.CLEARANCE, D(10)),
    Rule("overdue", IndicatorKind.DEDUCTION, per_unit=D(1), cap=D(10)),
    Rule("orders_overdue", IndicatorKind.DEDUCTION, per_unit=D(1), cap=D(5)),
)
DEFAULT_SOURCE = "示例值，按本地考核办法修改"


def default_scheme(year: int) -> Scheme:
    return Scheme(year, str(_("默认考核方案")), D(90), D(75), DEFAULT_RULES, DEFAULT_SOURCE)


def scheme_for(year: int, city_id: int | None) -> Scheme:
    """The city's scheme of the year, else the province's, else the default."""
    rows = {
        s.city_id: s
        for s in AssessmentScheme.objects.filter(year=year, city_id__in=[city_id, None])
        if s.city_id in (city_id, None)
    }
    stored = rows.get(city_id) if city_id is not None else None
    stored = stored or rows.get(None)
    if stored is None:
        return default_scheme(year)
    rules = tuple(
        Rule(i.key, i.kind, i.weight, i.target, i.per_unit, i.cap)
        for i in stored.indicators.order_by("position", "pk")
        if i.key in INDICATORS  # an indicator no longer registered is not scored
    )
    return Scheme(year, stored.name, stored.grade_a_min, stored.grade_b_min, rules, stored.source)


def points(rule: Rule, value: Any) -> Decimal:
    """An indicator's points (2 decimals, half up). A score item with nothing to divide by
    (no case accepted, no warning raised) earns its full weight: there was nothing to fail."""
    if rule.kind == IndicatorKind.DEDUCTION:
        lost = rule.per_unit * Decimal(value or 0)
        if rule.cap is not None:
            lost = min(lost, rule.cap)
        return -lost.quantize(CENT, ROUND_HALF_UP)
    if rule.kind == IndicatorKind.CLEARANCE:
        return rule.weight.quantize(CENT) if not value else Decimal("0.00")
    if value is None:
        return rule.weight.quantize(CENT)
    target = rule.target or (Decimal(5) if _unit(rule.key) == metrics.SCORE else Decimal(1))
    share = min(Decimal(1), Decimal(value) / target)
    return (rule.weight * share).quantize(CENT, ROUND_HALF_UP)


def _unit(key: str) -> str:
    return INDICATORS[key].unit


def grade(scheme: Scheme, total: Decimal) -> str:
    if total >= scheme.grade_a_min:
        return "A"
    return "B" if total >= scheme.grade_b_min else "C"


@dataclass
class Item:
    """One indicator of one unit."""

    key: str
    label: str
    unit: str
    kind: str
    value: Any
    points: Decimal
    rule: Rule
    snapshot: bool = False
    # Finalised: the ids of the rows behind the value as they were, and how many there were.
    row_ids: list[int] | None = None
    rows_total: int | None = None

    @property
    def display(self) -> str:
        if self.value is None:
            return "—"
        if self.unit == metrics.RATE:
            return f"{Decimal(self.value) * 100:.2f}%"
        if self.unit == metrics.SCORE:
            return f"{Decimal(self.value):.2f}"
        return f"{self.value:,}"


@dataclass
class UnitScore:
    id: int
    code: str
    name: str
    items: list[Item]
    total: Decimal
    grade: str
    rank: int | None = None


@dataclass
class Assessment:
    period: Period
    dim: str  # "county": a city's counties; "city": the province's cities
    city: City | None
    scheme: Scheme
    units: list[UnitScore]
    result: AssessmentResult | None = None  # set when finalised
    computed_at: dt.datetime | None = None
    # Whether the viewer sees every unit (and so the ranking).
    ranked: bool = True

    def unit(self, unit_id: int) -> UnitScore | None:
        return next((u for u in self.units if u.id == unit_id), None)


def check_period(period: Period) -> None:
    if period.kind not in ("year", "quarter"):
        raise ValidationError({"period": [_("考核期间应为年度（如 2026）或季度（如 2026-Q3）")]})


def _units(user: User, dim: str, city: City | None) -> list[tuple[int, str, str]]:
    if dim == "city":
        return [(c.pk, c.code, c.name) for c in for_user(City.objects.all(), user).order_by("code")]
    counties = for_user(County.objects.filter(city=city), user).order_by("code")
    return [(c.pk, c.code, c.name) for c in counties]


def _rank(units: list[UnitScore]) -> None:
    """Highest total first; equal totals share a rank (1, 2, 2, 4)."""
    units.sort(key=lambda u: (-u.total, u.code))
    previous: Decimal | None = None
    rank = 0
    for position, u in enumerate(units, start=1):
        if u.total != previous:
            rank, previous = position, u.total
        u.rank = rank


def compute(
    *, user: User, period: Period, dim: str, city: City | None, now: dt.datetime | None = None
) -> Assessment:
    """The assessment computed live from the records, for what `user` may see."""
    check_period(period)
    now = now or timezone.now()
    scheme = scheme_for(period.start.year, city.pk if city else None)
    units = _units(user, dim, city)
    ids = [u[0] for u in units]
    ctx = Context(user=user, period=period, dim=dim, city_id=city.pk if city else None, now=now)
    values = {rule.key: INDICATORS[rule.key].values(ctx, ids) for rule in scheme.rules}
    scored = []
    for id_, code, name in units:
        items = []
        for rule in scheme.rules:
            ind, value = INDICATORS[rule.key], values[rule.key][id_]
            items.append(
                Item(
                    rule.key,
                    str(ind.label),
                    ind.unit,
                    rule.kind,
                    value,
                    points(rule, value),
                    rule,
                    ind.snapshot,
                )
            )
        total = max(Decimal("0.00"), sum((i.points for i in items), Decimal("0.00")))
        scored.append(UnitScore(id_, code, name, items, total, grade(scheme, total)))
    _rank(scored)
    ranked = scope_of(user).city_wide
    if not ranked:
        for u in scored:
            u.rank = None
    return Assessment(period, dim, city, scheme, scored, computed_at=now, ranked=ranked)


def _from_result(user: User, result: AssessmentResult, period: Period, dim: str) -> Assessment:
    data = result.scheme
    rules = tuple(
        Rule(
            r["key"],
            r["kind"],
            D(r["weight"]),
            None if r["target"] is None else D(r["target"]),
            D(r["per_unit"]),
            None if r["cap"] is None else D(r["cap"]),
        )
        for r in data["rules"]
    )
    scheme = Scheme(
        data["year"],
        data["name"],
        D(data["grade_a_min"]),
        D(data["grade_b_min"]),
        rules,
        data["source"],
    )
    by_key = {r.key: r for r in rules}
    units = []
    # Each viewer sees the rows of the result their scope allows (a county its own).
    for score in for_user(AssessmentScore.objects.filter(result=result), user):
        items = [
            Item(
                i["key"],
                i["label"],
                i["unit"],
                i["kind"],
                _load(i["value"], i["unit"]),
                D(i["points"]),
                by_key[i["key"]],
                i.get("snapshot", False),
                i.get("row_ids"),
                i.get("rows_total"),
            )
            for i in score.indicators
        ]
        unit_id = score.county_id if dim == "county" else score.unit_city_id
        units.append(
            UnitScore(unit_id, score.code, score.name, items, score.total, score.grade, score.rank)
        )
    ranked = scope_of(user).city_wide
    if not ranked:
        for u in units:
            u.rank = None
    return Assessment(
        period,
        dim,
        result.city,
        scheme,
        units,
        result=result,
        computed_at=result.finalised_at,
        ranked=ranked,
    )


def _load(raw: Any, unit: str) -> Any:
    if raw is None:
        return None
    return int(raw) if unit == metrics.COUNT else D(raw)


def assessment(
    *, user: User, period: Period, dim: str, city: City | None, now: dt.datetime | None = None
) -> Assessment:
    """The assessment of the period as the page shows it: the finalised result if there is
    one (whatever the records say since), else computed live."""
    check_period(period)
    # Whether the period is finalised is the assessing body's fact (the view has checked the
    # viewer may see that city); the scores themselves are read through for_user.
    result = AssessmentResult.objects.filter(city=city, period=period.code).first()
    if result is not None:
        return _from_result(user, result, period, dim)
    return compute(user=user, period=period, dim=dim, city=city, now=now)


def history(*, user: User, city: City | None) -> list[AssessmentResult]:
    """The periods finalised by the city (None: the province) of which the user may see a
    score, newest first."""
    visible = for_user(AssessmentScore.objects.all(), user).values("result")
    return list(
        AssessmentResult.objects.filter(city=city, pk__in=visible).select_related("finalised_by")
    )

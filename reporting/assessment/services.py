"""Finalising an assessment: the one write of the assessment (reporting otherwise only reads)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.models import City, User
from arrears.permissions import is_city_office
from arrears.scoping import scope_of
from reporting.assessment.indicators import INDICATORS, Context
from reporting.assessment.scoring import KEEP_ROW_IDS, compute
from reporting.models import AssessmentResult, AssessmentScore
from reporting.periods import Period


def _check_may_finalise(user: User, city: City | None) -> None:
    """A city's office finalises its city's assessment of its counties; the province office
    the province's assessment of its cities."""
    scope = scope_of(user)
    if not is_city_office(user):
        raise PermissionDenied(_("只有根治欠薪办可以定稿考核结果"))
    if city is None and not scope.everything:
        raise PermissionDenied(_("只有省根治欠薪办可以定稿全省考核结果"))
    if city is not None and not (scope.everything or scope.city_id == city.pk):
        raise PermissionDenied(_("无权定稿该市的考核结果"))


def check_may_finalise(
    *, user: User, period: Period, city: City | None, now: dt.datetime | None = None
) -> None:
    """PermissionDenied or ValidationError unless `user` may finalise the period now."""
    _check_may_finalise(user, city)
    if period.end >= timezone.localdate(now or timezone.now()):
        raise ValidationError({"period": [_("考核期间结束后才能定稿")]})
    if AssessmentResult.objects.filter(city=city, period=period.code).exists():
        raise ValidationError(_("该期间的考核结果已定稿"))


def assessment_finalise(
    *, user: User, period: Period, city: City | None, now: dt.datetime | None = None
) -> AssessmentResult:
    """Save every unit's values, points, grade, rank and source rows as they are now; the page
    shows the saved result from then on, whatever the records say later."""
    now = now or timezone.now()
    check_may_finalise(user=user, period=period, city=city, now=now)
    dim = "county" if city is not None else "city"
    live = compute(user=user, period=period, dim=dim, city=city, now=now)
    ctx = Context(user=user, period=period, dim=dim, city_id=city.pk if city else None, now=now)
    scores = []
    for unit in live.units:
        items = []
        for item in unit.items:
            rows = INDICATORS[item.key].rows(ctx, unit.id).order_by("pk")
            items.append(
                {
                    "key": item.key,
                    "label": item.label,
                    "unit": item.unit,
                    "kind": item.kind,
                    "value": None if item.value is None else str(item.value),
                    "points": str(item.points),
                    "snapshot": item.snapshot,
                    "row_ids": list(rows.values_list("pk", flat=True)[:KEEP_ROW_IDS]),
                    "rows_total": rows.count(),
                }
            )
        scores.append((unit, items))
    try:
        with transaction.atomic():
            result = AssessmentResult.objects.create(
                city=city,
                period=period.code,
                scheme=live.scheme.as_dict(),
                finalised_by=user,
                finalised_at=now,
            )
            AssessmentScore.objects.bulk_create(
                AssessmentScore(
                    result=result,
                    county_id=unit.id if dim == "county" else None,
                    unit_city_id=city.pk if city is not None else unit.id,
                    code=unit.code,
                    name=unit.name,
                    total=unit.total,
                    grade=unit.grade,
                    rank=unit.rank or 0,
                    indicators=items,
                )
                for unit, items in scores
            )
    except IntegrityError as exc:
        # Two offices finalising at once: the unique constraint lets one through.
        raise ValidationError(_("该期间的考核结果已定稿")) from exc
    return result

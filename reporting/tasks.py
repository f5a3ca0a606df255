"""Thin tasks of the reporting side; idempotent."""

from __future__ import annotations

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from arrears.models import Role, User
from reporting import cache, periods, selectors


@shared_task(name="reporting.tasks.warm_dashboards", time_limit=900, soft_time_limit=840)
def warm_dashboards() -> int:
    """Beat: compute the city overview for this year and this month afresh and keep it, so
    the first official to open them does not wait. Cached dashboards are shared by scope, so
    one city-wide user stands for all of them."""
    user = (
        User.objects.filter(Q(is_superuser=True) | Q(role__in=[Role.CITY_OFFICE, Role.CITY_LEADER]))
        .filter(is_active=True)
        .order_by("pk")
        .first()
    )
    if user is None:
        return 0
    today = timezone.localdate()
    warmed = 0
    for period in (periods.year(today.year), periods.month(today.year, today.month)):
        cache.dashboard(user=user, filters=selectors.Filters(period), fresh=True)
        warmed += 1
    return warmed

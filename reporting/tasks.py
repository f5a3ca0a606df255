"""Thin tasks of the reporting side; idempotent."""

from __future__ import annotations

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from arrears import replica
from arrears.models import Role, User
from reporting import cache, facts, periods, selectors


@shared_task(name="reporting.tasks.warm_dashboards", time_limit=900, soft_time_limit=840)
def warm_dashboards() -> int:
    """Beat: compute the province overview and each city's overview for this year and this
    month afresh and keep them, so the first official to open them does not wait. Cached
    dashboards are shared by scope, so one user of each scope stands for all of them."""
    wide = User.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(role__in=[Role.PROVINCE_OFFICE, Role.PROVINCE_LEADER])
    )
    stand_ins = [u for u in [wide.order_by("pk").first()] if u is not None]
    seen: set[int] = set()
    for user in (
        User.objects.filter(is_active=True, role__in=[Role.CITY_OFFICE, Role.CITY_LEADER])
        .exclude(city=None)
        .order_by("city_id", "pk")
    ):
        if user.city_id not in seen:
            seen.add(user.city_id)
            stand_ins.append(user)
    today = timezone.localdate()
    warmed = 0
    for user in stand_ins:
        for period in (periods.year(today.year), periods.month(today.year, today.month)):
            # The heaviest dashboard reads of all, and no user's write to wait for: the
            # replica's.
            with replica.reads(None):
                cache.dashboard(user=user, filters=selectors.Filters(period), fresh=True)
            warmed += 1
    return warmed


@shared_task(name="reporting.tasks.fold_facts", time_limit=300, soft_time_limit=240)
def fold_facts() -> int:
    """Beat, every minute: the deltas the triggers wrote folded into the dashboards' facts.
    Idempotent (a delta is deleted by the statement that adds it) and exclusive (an advisory
    lock: a second fold at once returns 0)."""
    return facts.fold()

"""Who holds the task-force office's duties for a place: a city's office (and its leaders)
for what happens in that city; the province office for what no city holds yet (a referral
whose city is unknown) and for the province as a whole."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from arrears.models import User
from arrears.roles import Role


def office_users(*, city_id: int | None, leaders: bool = False) -> QuerySet[User]:
    """The active users who answer for `city_id` (None: the province office). With
    `leaders`, the city's (or province's) leaders as well."""
    if city_id is None:
        roles = [Role.PROVINCE_OFFICE, *([Role.PROVINCE_LEADER] if leaders else [])]
        return User.objects.filter(is_active=True, role__in=roles)
    roles = [Role.CITY_OFFICE, *([Role.CITY_LEADER] if leaders else [])]
    return User.objects.filter(is_active=True, role__in=roles, city_id=city_id)


def every_office_and_superusers() -> QuerySet[User]:
    """Every office, the province's and each city's, and the superusers: for what concerns
    them all alike (the State Council's calendar, a stopped worker), including right after
    installation, when no office account exists yet."""
    return User.objects.filter(is_active=True).filter(
        Q(role__in=[Role.PROVINCE_OFFICE, Role.CITY_OFFICE]) | Q(is_superuser=True)
    )

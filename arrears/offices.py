"""Who holds the task-force office's duties for a place: a city's office (and its leaders)
for what happens in that city; the province office for what no city holds yet (a referral
whose city is unknown) and for the province as a whole."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from arrears.models import User
from arrears.roles import Role

OFFICE_ROLES = frozenset({Role.PROVINCE_OFFICE, Role.CITY_OFFICE})


def office_users(*, city_id: int | None, leaders: bool = False) -> QuerySet[User]:
    """The active users who answer for `city_id` (None: the province office). With
    `leaders`, the city's (or province's) leaders as well."""
    if city_id is None:
        roles = [Role.PROVINCE_OFFICE, *([Role.PROVINCE_LEADER] if leaders else [])]
        return User.objects.filter(is_active=True, role__in=roles)
    roles = [Role.CITY_OFFICE, *([Role.CITY_LEADER] if leaders else [])]
    return User.objects.filter(is_active=True, role__in=roles, city_id=city_id)


def office_or_superusers(*, city_id: int | None = None) -> QuerySet[User]:
    """The office's users and the superusers (system alerts that someone must act on even
    where no office account exists yet, e.g. right after installation)."""
    return User.objects.filter(
        Q(pk__in=office_users(city_id=city_id).values("pk")) | Q(is_superuser=True),
        is_active=True,
    )

"""The one scoping function: what a user may see. Every list, detail, export and API view of
every app narrows its queryset with `for_user`; out-of-scope objects then answer 404.

Rules (docs/architecture.md has the table):
- the province office, province leaders and superusers see every city of the province;
- a city's task-force office and its city leaders see that city, nothing of another;
- staff of a county-level department see that department's records in that county;
- staff of a city-level department see their kind of department's records across their city
  (e.g. the city housing bureau sees every county's housing-department records in its city);
- a county official (or anyone bound only to a county) sees that county;
- integration clients and users bound to nothing see nothing through this function (they see
  only their own referrals, through the intake API).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.http import Http404

if TYPE_CHECKING:
    from arrears.models import User

_M = TypeVar("_M", bound=Model)

PROVINCE_WIDE_ROLES = frozenset({"province_office", "province_leader"})
CITY_WIDE_ROLES = frozenset({"city_office", "city_leader"})
NO_DATA_ROLES = frozenset({"integration_client", "system_admin", "security_admin", "audit_admin"})


@dataclass(frozen=True)
class ScopePaths:
    """Where a model keeps its county, department and city, as ORM lookup paths ("pk" for
    itself). Without a city path, the city is the county's (`<county>__city`); a model whose
    county may be empty (a complaint waiting to be dispatched) names its own city."""

    county: str | None = None
    department: str | None = None
    city: str | None = None

    @property
    def city_path(self) -> str | None:
        if self.city is not None:
            return self.city
        if self.county is None:
            return None
        return "city" if self.county == "pk" else f"{self.county}__city"


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    city_id: int | None = None
    county_id: int | None = None
    department_id: int | None = None
    department_kind: str | None = None

    @property
    def nothing(self) -> bool:
        return not (
            self.everything
            or self.city_id
            or self.county_id
            or self.department_id
            or self.department_kind
        )

    @property
    def city_wide(self) -> bool:
        """The whole of one city (its office and leaders), or everything."""
        return self.everything or (
            self.city_id is not None
            and self.county_id is None
            and self.department_id is None
            and self.department_kind is None
        )


def scope_of(user: User | Any) -> Scope:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    if user.is_superuser or user.role in PROVINCE_WIDE_ROLES:
        return Scope(everything=True)
    if user.role in CITY_WIDE_ROLES:
        return Scope(city_id=user.city_id) if user.city_id else Scope()
    # Machine clients see only their own referrals; the three administrators (三员分立) see no
    # case data whatever county or department their account names; an account the system
    # administrator created sees nothing until the security administrator gives it a role.
    if user.role in NO_DATA_ROLES or not user.role:
        return Scope()
    department = user.department
    if department is not None:
        if department.county_id is None:
            return Scope(city_id=department.city_id, department_kind=department.kind)
        return Scope(county_id=department.county_id, department_id=department.pk)
    if user.county_id is not None:
        return Scope(county_id=user.county_id)
    return Scope()


def _path(base: str, attr: str) -> str:
    return attr if base == "pk" else f"{base}__{attr}"


def scope_filter(model: type[Model], scope: Scope) -> Q | None:
    """The Q object that limits `model` to `scope`; None means no limit."""
    if scope.everything:
        return None
    paths: ScopePaths | None = getattr(model, "scope_paths", None)
    if paths is None or scope.nothing:
        # A model that does not say where it belongs is visible only province-wide.
        return Q(pk__in=[])
    condition = Q()
    if scope.city_id is not None:
        city = paths.city_path
        if city is None:
            return Q(pk__in=[])
        condition &= Q(**{city: scope.city_id})
    if scope.county_id is not None:
        if paths.county is None:
            return Q(pk__in=[])
        condition &= Q(**{paths.county: scope.county_id})
    if scope.department_id is not None and paths.department is not None:
        condition &= Q(**{paths.department: scope.department_id})
    if scope.department_kind is not None and paths.department is not None:
        condition &= Q(**{_path(paths.department, "kind"): scope.department_kind})
    return condition


def for_user(queryset: QuerySet[_M], user: User | Any) -> QuerySet[_M]:
    """Narrow `queryset` to what `user` may see."""
    condition = scope_filter(queryset.model, scope_of(user))
    if condition is None:
        return queryset
    return queryset.filter(condition)


def get_for_user_or_404(queryset: QuerySet[_M], user: User | Any, **lookup: Any) -> _M:
    """The object matching `lookup` if `user` may see it; 404 otherwise, never 403, so that
    nobody learns which records exist in another county."""
    try:
        return for_user(queryset, user).get(**lookup)
    except (ObjectDoesNotExist, ValueError) as exc:
        raise Http404 from exc

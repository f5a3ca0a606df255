"""Reads of the shared building blocks, each narrowed by the one scoping function."""

from __future__ import annotations

import calendar as pycalendar
import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from arrears.models import (
    CalendarDay,
    CalendarYear,
    County,
    Department,
    MessageDelivery,
    Notification,
    User,
)
from arrears.scoping import for_user, get_for_user_or_404, scope_of


def message_deliveries(*, user: User, state: str = "") -> QuerySet[MessageDelivery]:
    """The e-mail/SMS delivery log. MessageDelivery declares no scope, so `for_user` leaves it
    to city-wide users (the pages also require the city office)."""
    qs = for_user(MessageDelivery.objects.all(), user).select_related("notification__recipient")
    return qs.filter(state=state) if state else qs


def county_list(*, user: User) -> QuerySet[County]:
    return for_user(County.objects.all(), user).annotate(
        department_count=Count("departments", distinct=True)
    )


def county_detail(*, user: User, code: str) -> County:
    return get_for_user_or_404(County.objects.all(), user, code=code)


def department_list(*, user: User, county: County | None = None) -> QuerySet[Department]:
    qs = Department.objects.select_related("county").prefetch_related("industries")
    if county is not None:
        qs = qs.filter(county=county)
    return for_user(qs, user)


def department_detail(*, user: User, pk: int) -> Department:
    qs = Department.objects.select_related("county").prefetch_related(
        "industries",
        Prefetch(
            "users", queryset=User.objects.filter(is_active=True).order_by("role", "username")
        ),
    )
    return get_for_user_or_404(qs, user, pk=pk)


def user_list(*, user: User) -> QuerySet[User]:
    return for_user(User.objects.select_related("county", "department"), user)


def notifications_for(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def scope_label(*, user: User) -> str:
    """How the user's scope reads in the navigation bar."""
    from django.utils.translation import gettext as _

    scope = scope_of(user)
    if scope.everything:
        return _("全市")
    if user.department_id:
        return str(user.department)
    if scope.county_id:
        return str(user.county)
    return _("无数据范围")


@dataclass(frozen=True)
class MonthView:
    year: int
    month: int
    first: datetime.date
    weeks: list[list[CalendarDay | datetime.date | None]]


def calendar_year_view(*, year: int) -> dict[str, Any]:
    """A year laid out month by month (weeks starting Monday) for the calendar page."""
    days = {d.date: d for d in CalendarDay.objects.filter(date__year=year)}
    months = []
    for month in range(1, 13):
        weeks: list[list[CalendarDay | datetime.date | None]] = []
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            weeks.append([days.get(d, d) if d.month == month else None for d in week])
        months.append(MonthView(year, month, datetime.date(year, month, 1), weeks))
    return {
        "calendar_year": CalendarYear.objects.filter(year=year).first(),
        "months": months,
        "special_days": [d for d in days.values() if d.kind in ("holiday", "makeup")],
        "counts": CalendarDay.objects.filter(date__year=year).aggregate(
            workdays=Count("date", filter=Q(is_workday=True)),
            holidays=Count("date", filter=Q(kind="holiday")),
            makeup=Count("date", filter=Q(kind="makeup")),
        ),
    }


def calendar_years() -> QuerySet[CalendarYear]:
    return CalendarYear.objects.all()

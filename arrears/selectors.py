"""Reads of the shared building blocks, each narrowed by the one scoping function."""

from __future__ import annotations

import calendar as pycalendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.db.models import Case, Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, When
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from arrears.models import (
    CalendarDay,
    CalendarYear,
    County,
    Department,
    MessageDelivery,
    Notification,
    User,
)
from arrears.notifications import DIGEST_KIND, as_text, kind_label, kind_list
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


def notifications_for(
    *,
    user: User,
    kind: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
) -> QuerySet[Notification]:
    """The user's messages, newest first, optionally one inbox group (digests excluded:
    they are the record of an e-mail, their items are here)."""
    qs = Notification.objects.filter(recipient=user).exclude(kind=DIGEST_KIND)
    if kind is not None:
        qs = qs.filter(kind=kind)
    if subject_type is not None:
        qs = qs.filter(subject_type=subject_type)
    if subject_id is not None:
        qs = qs.filter(subject_id=subject_id)
    return qs


@dataclass(frozen=True)
class InboxGroup:
    """Messages of one kind about one subject (a case, a project, a page)."""

    kind: str
    subject_type: str
    subject_id: str
    total: int
    unread: int
    latest_at: datetime.datetime
    title: str  # the latest message's, in the recipient's language
    url: str

    @property
    def kind_label(self) -> str:
        return str(as_text(kind_label(self.kind)))

    @property
    def type_label(self) -> str:
        return _type_label(self.subject_type)

    @property
    def query(self) -> str:
        """The flat list's query string for this group."""
        return urlencode(
            {"kind": self.kind, "subject_type": self.subject_type, "subject_id": self.subject_id}
        )


@dataclass(frozen=True)
class InboxKind:
    """All the messages of one kind about one type of subject: the inbox's summary line."""

    kind: str
    subject_type: str
    subjects: int
    total: int
    unread: int
    latest_at: datetime.datetime

    @property
    def label(self) -> str:
        kind = str(as_text(kind_label(self.kind)))
        type_label = _type_label(self.subject_type)
        return f"{kind} · {type_label}" if type_label else kind

    @property
    def summary(self) -> str:

        # Worded without plurals ("items: 3"), which Chinese does not inflect.
        return gettext("%(s)s 个事项，%(u)s 条未读，共 %(t)s 条") % {
            "s": self.subjects,
            "u": self.unread,
            "t": self.total,
        }

    @property
    def list_link(self) -> tuple[str, str] | None:
        """The domain list this kind of message stands for (e.g. the overdue cases)."""
        return kind_list(self.kind, self.subject_type)

    @property
    def query(self) -> str:
        return urlencode({"kind": self.kind, "subject_type": self.subject_type})


def _type_label(subject_type: str) -> str:
    if not subject_type:
        return ""
    try:
        return str(apps.get_model(subject_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return subject_type


def inbox_groups(
    *, user: User, kind: str | None = None, subject_type: str | None = None
) -> QuerySet[Any]:
    """The grouped inbox in one query: per kind and subject, counts, latest time and the latest
    message's title and link (correlated subqueries served by notification_group_idx), groups
    with unread messages first. Rows are dicts; `inbox_group_rows` wraps a page of them."""
    mine = notifications_for(user=user, kind=kind, subject_type=subject_type)
    latest = Notification.objects.filter(
        recipient=user,
        kind=OuterRef("kind"),
        subject_type=OuterRef("subject_type"),
        subject_id=OuterRef("subject_id"),
    ).order_by("-created_at", "-id")
    return (
        mine.order_by()
        .values("kind", "subject_type", "subject_id")
        .annotate(
            total=Count("id"),
            unread=Count("id", filter=Q(read_at__isnull=True)),
            latest_at=Max("created_at"),
            title=Subquery(latest.values("title")[:1]),
            url=Subquery(latest.values("url")[:1]),
        )
        .order_by(Case(When(unread__gt=0, then=0), default=1), "-latest_at", "kind", "subject_id")
    )


def inbox_group_rows(rows: Iterable[dict[str, Any]]) -> list[InboxGroup]:
    return [InboxGroup(**row) for row in rows]


def inbox_kinds(*, user: User) -> list[InboxKind]:
    """The inbox's summary: per kind and type of subject, how many subjects and messages."""
    rows = (
        notifications_for(user=user)
        .order_by()
        .values("kind", "subject_type")
        .annotate(
            total=Count("id"),
            unread=Count("id", filter=Q(read_at__isnull=True)),
            latest_at=Max("created_at"),
            subjects=Count("subject_id", distinct=True),
        )
        .order_by("-latest_at")
    )
    return [
        InboxKind(
            kind=row["kind"],
            subject_type=row["subject_type"],
            subjects=row["subjects"],
            total=row["total"],
            unread=row["unread"],
            latest_at=row["latest_at"],
        )
        for row in rows
    ]


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def scope_label(*, user: User) -> str:
    """How the user's scope reads in the navigation bar."""

    scope = scope_of(user)
    if scope.everything:
        return _("全省")
    if scope.city_wide and user.city_id:
        return str(user.city)
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

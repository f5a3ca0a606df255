"""Reads of the office's supervision: 通报 (circulars), the overdue work a new one is drafted
from, what a unit received (for the assessment), 约谈 (interviews) and the zero-tolerance
matters. Each narrowed by the one scoping function."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.models import County, Deadline, DeadlineState, Department, User
from arrears.scoping import for_user, scope_of
from complaints.cases.selectors import late_case_clock
from complaints.models import OPEN_STATES, Case, Complaint, ComplaintStatus
from projects.models import (
    INTERVIEW,
    ZERO_TOLERANCE,
    Circular,
    CircularItem,
    CircularState,
    CircularUnit,
    Interview,
    RectificationOrder,
)
from projects.selectors import clock_running_late, order_clocks

# --- Circulars ------------------------------------------------------------------------------


def circular_list(*, user: User) -> QuerySet[Circular]:
    """The circulars the user may read: the office its city's, drafts included; a county or a
    department only the issued ones naming it (a draft is the office's working paper).
    Distinct: the scope reaches a circular through its units, and two units of one county
    would list it twice. Each marked with whether an issued correction replaced it."""
    qs = for_user(Circular.objects.select_related("city", "supersedes"), user).distinct()
    if not scope_of(user).city_wide:
        qs = qs.filter(state=CircularState.ISSUED)
    corrected = Circular.objects.filter(supersedes=OuterRef("pk"), state=CircularState.ISSUED)
    return qs.annotate(superseded=Exists(corrected))


def circular_detail(*, user: User, pk: int) -> Circular:
    found = (
        circular_list(user=user)
        .filter(pk=pk)
        .prefetch_related(
            Prefetch(
                "units",
                queryset=CircularUnit.objects.select_related(
                    "county", "department", "employer"
                ).prefetch_related(Prefetch("items", queryset=CircularItem.objects.order_by("pk"))),
            )
        )
        .first()
    )
    if found is None:
        raise Http404
    return found


@dataclass
class Candidate:
    """A unit with overdue work now, and that work: a row of the overdue-units list for 通报
    (reporting.selectors.overdue_units counts the same cases and orders)."""

    county: County
    department: Department | None
    cases: list[Case] = field(default_factory=list)
    orders: list[RectificationOrder] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.county.pk}-{self.department.pk if self.department else 0}"

    @property
    def total(self) -> int:
        return len(self.cases) + len(self.orders)

    def reason(self) -> str:
        """The reason a draft starts with; the office rewords it as it sees fit."""
        parts = []
        if self.cases:
            parts.append(_("%(n)s件欠薪案件超过办理时限未办结") % {"n": len(self.cases)})
        if self.orders:
            parts.append(_("%(n)s项责令整改逾期未整改到位") % {"n": len(self.orders)})
        return "，".join(parts) + "。"


def _earliest_late_due(model: type[Any], now: datetime.datetime, condition: Q) -> Subquery:
    return Subquery(
        Deadline.objects.filter(
            condition,
            content_type=ContentType.objects.get_for_model(model),
            object_id=OuterRef("pk"),
        )
        .order_by("due_at")
        .values("due_at")[:1]
    )


def overdue_cases(*, user: User, now: datetime.datetime) -> QuerySet[Case]:
    """Open cases whose clock is open past its due time (the dashboards' "逾期案件"), each
    with `late_due_at`, the earliest due time it missed."""
    late = Q(state=DeadlineState.OPEN, due_at__lt=now)
    return (
        for_user(Case.objects.select_related("county", "department"), user)
        .filter(state__in=OPEN_STATES)
        .filter(late_case_clock(now))
        .annotate(late_due_at=_earliest_late_due(Case, now, late))
    )


def late_orders(*, user: User, now: datetime.datetime) -> QuerySet[RectificationOrder]:
    """Rectification orders whose clock still runs past its due time (the dashboards'
    "超期未整改"), each with `late_due_at`."""
    clocks = order_clocks().filter(clock_running_late(now), object_id=OuterRef("pk"))
    return (
        for_user(
            RectificationOrder.objects.select_related(
                "finding__inspection__project",
                "finding__inspection__county",
                "finding__inspection__department",
            ),
            user,
        )
        .filter(Exists(clocks))
        .annotate(late_due_at=Subquery(clocks.order_by("due_at").values("due_at")[:1]))
    )


def circular_candidates(
    *,
    user: User,
    now: datetime.datetime | None = None,
    county_id: int | None = None,
    department_id: int | None = None,
) -> list[Candidate]:
    """The units with overdue work now (narrowed to a county or a department when given),
    most overdue first: what a new 通报 is drafted from. Two queries, whatever the size."""
    now = now or timezone.now()
    cases = overdue_cases(user=user, now=now)
    orders = late_orders(user=user, now=now)
    if county_id is not None:
        cases = cases.filter(county_id=county_id)
        orders = orders.filter(finding__inspection__county_id=county_id)
    if department_id is not None:
        cases = cases.filter(department_id=department_id)
        orders = orders.filter(finding__inspection__department_id=department_id)
    units: dict[tuple[int, int | None], Candidate] = {}
    for case in cases.order_by(F("late_due_at").asc(), "pk"):
        key: tuple[int, int | None] = (case.county_id, case.department_id)
        units.setdefault(key, Candidate(case.county, case.department)).cases.append(case)
    for order in orders.order_by(F("late_due_at").asc(), "pk"):
        inspection = order.finding.inspection
        key = (inspection.county_id, inspection.department_id)
        candidate = units.setdefault(key, Candidate(inspection.county, inspection.department))
        candidate.orders.append(order)
    return sorted(
        units.values(),
        key=lambda u: (-u.total, u.county.name, u.department.name if u.department else ""),
    )


def _local(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d") if moment else "—"


def case_summary(case: Case) -> str:
    """What the document says of an overdue case (kept as written: the case moves on)."""
    return _("案件%(no)s（%(e)s，%(w)s人，%(a)s元）应于%(d)s前办理，已逾期") % {
        "no": case.number or case.pk,
        "e": case.employer_name,
        "w": case.workers_owed,
        "a": case.amount_owed,
        "d": _local(getattr(case, "late_due_at", None)),
    }


def order_summary(order: RectificationOrder) -> str:
    finding = order.finding
    return _("%(p)s：%(f)s，责令%(d)s前整改，逾期未整改到位") % {
        "p": finding.inspection.project.name,
        "f": finding.description,
        "d": _local(getattr(order, "late_due_at", None)),
    }


class Dated(Protocol):
    """A period: reporting.periods.Period, or anything with first and last days."""

    @property
    def start(self) -> datetime.date: ...
    @property
    def end(self) -> datetime.date: ...


@dataclass(frozen=True)
class Received:
    count: int
    rows: list[CircularUnit]


def circular_units_received(*, user: User, period: Dated) -> QuerySet[CircularUnit]:
    """Every unit named by a circular issued within the period that an issued correction did
    not replace, read through the user's scope: what the assessment counts (grouped by county
    in one query) and the rows it shows."""
    replaced = Circular.objects.filter(supersedes=OuterRef("circular_id"), state="issued")
    return (
        for_user(CircularUnit.objects.select_related("circular", "county", "department"), user)
        .filter(
            circular__state=CircularState.ISSUED,
            circular__issued_on__gte=period.start,
            circular__issued_on__lte=period.end,
        )
        .exclude(Exists(replaced))
    )


def circulars_received(
    *,
    user: User,
    period: Dated,
    county: County | None = None,
    department: Department | None = None,
) -> Received:
    """The circulars naming a county (itself, any of its departments or employers there) or
    one department, issued within the period, that an issued correction did not replace:
    the count and the rows (one per circular, the unit row that names the county or
    department). Read through the user's scope."""
    if county is None and department is None:
        raise ValueError("circulars_received: a county or a department")
    units = circular_units_received(user=user, period=period)
    if county is not None:
        units = units.filter(county=county)
    if department is not None:
        units = units.filter(department=department)
    rows: dict[int, CircularUnit] = {}
    for unit in units.order_by("circular__issued_on", "circular_id", "position", "pk"):
        rows.setdefault(unit.circular_id, unit)  # a circular counts once per unit asked about
    return Received(count=len(rows), rows=list(rows.values()))


# --- Zero tolerance ---------------------------------------------------------------------------


def zero_tolerance_cases(*, user: User) -> QuerySet[Case]:
    """Open cases on government-invested or state-owned projects: "零容忍" on the 通报 page."""
    return (
        for_user(Case.objects.select_related("county", "department", "project"), user)
        .filter(state__in=OPEN_STATES, project__investment_type__in=ZERO_TOLERANCE)
        .order_by("created_at", "pk")
    )


def zero_tolerance_complaints(*, user: User) -> QuerySet[Complaint]:
    """Complaints about such projects not yet in a case (waiting to be dispatched or signed)."""
    waiting = (ComplaintStatus.PENDING_DISPATCH, ComplaintStatus.PENDING_SIGNATURE)
    return (
        for_user(Complaint.objects.select_related("county", "project"), user)
        .filter(status__in=waiting, project__investment_type__in=ZERO_TOLERANCE)
        .order_by("received_at", "pk")
    )


# --- Interviews -----------------------------------------------------------------------------


def interview_list(*, user: User) -> QuerySet[Interview]:
    clock = Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(Interview),
        object_id=OuterRef("pk"),
        kind=INTERVIEW,
    ).order_by("-pk")
    return for_user(
        Interview.objects.select_related("county", "department", "employer", "project"), user
    ).annotate(
        due_at=Subquery(clock.values("due_at")[:1]),
        clock_state=Subquery(clock.values("state")[:1]),
    )


def interview_detail(*, user: User, pk: int) -> Interview:
    found = (
        interview_list(user=user)
        .select_related("held_by", "result_by", "warning", "case")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def interview_clock(*, interview: Interview) -> Deadline | None:
    return Deadline.objects.for_subject(interview).filter(kind=INTERVIEW).order_by("-pk").first()

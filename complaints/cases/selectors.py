"""Reads of case handling, each narrowed by the one scoping function."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from arrears import config, workdays
from arrears.models import Deadline, DeadlineState, Role, User
from arrears.scoping import for_user
from complaints.models import Case, CaseEntry, CaseQuerySet, ExtensionRequest, ExtensionState


def _with_next_due(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate each case with its nearest running due time (the worklist's urgency)."""

    running = Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(Case),
        object_id=OuterRef("pk"),
        state=DeadlineState.OPEN,
    ).order_by("due_at")
    return qs.annotate(
        next_due_at=Subquery(running.values("due_at")[:1]),
        next_due_kind=Subquery(running.values("kind")[:1]),
    )


def case_list(*, user: User) -> CaseQuerySet:
    qs = Case.objects.select_related("county", "department", "owner", "leader")
    return cast(CaseQuerySet, _with_next_due(for_user(qs, user)))


def worklist(*, user: User) -> QuerySet[Case]:
    """The inspector's own open cases (owned or on the task team), most urgent first."""

    mine = case_list(user=user).open().filter(Q(owner=user) | Q(team=user)).distinct()
    return mine.order_by(F("next_due_at").asc(nulls_last=True), "created_at")


def pending_extension(*, case: Case) -> ExtensionRequest | None:
    """The case's extension request awaiting a decision (one at most, by the workflow)."""
    return case.extensions.filter(state=ExtensionState.PENDING).first()


def leader_cases(*, user: User) -> QuerySet[Case]:
    """A leader's own major cases (包案), whatever their county."""
    return _with_next_due(
        Case.objects.select_related("county", "department", "owner").filter(leader=user)
    ).order_by("-created_at")


def case_detail(*, user: User, pk: int) -> Case:
    qs = Case.objects.select_related(
        "county", "department", "owner", "leader", "project"
    ).prefetch_related(
        "team",
        "complaints",
        "payments",
        "extensions",
        Prefetch(
            "entries",
            queryset=CaseEntry.objects.select_related("actor").prefetch_related("attachments"),
        ),
    )
    found = qs.visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def case_deadlines(*, case: Case) -> Any:
    return Deadline.objects.for_subject(case).order_by("created_at")


URGENCIES = ("overdue", "today", "soon")


def urgency_condition(urgency: str, now: Any) -> Any:
    """The cases `case_urgency` calls `urgency` ("overdue", "today", "soon"), as a condition on
    the annotated next_due_at: the worklist's filter and the home page's counts use it, so a
    number and the list it links to agree."""

    def day_end(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))

    today = timezone.localdate(now)
    soon = workdays.add_working_days(today, config.get("case.due_soon_working_days"))
    if urgency == "overdue":
        return Q(next_due_at__lt=now)
    if urgency == "today":
        return Q(next_due_at__gte=now, next_due_at__lt=day_end(today))
    if urgency == "soon":
        return Q(next_due_at__gte=day_end(today), next_due_at__lt=day_end(soon))
    raise ValueError(urgency)


def case_urgency(next_due_at: Any, now: Any) -> str:
    """overdue / today / soon (within the configured working days) / later / none: the
    worklist's order and badges."""

    if next_due_at is None:
        return "none"
    if next_due_at < now:
        return "overdue"
    today = timezone.localdate(now)
    due_day = timezone.localdate(next_due_at)
    if due_day == today:
        return "today"
    if due_day <= workdays.add_working_days(today, config.get("case.due_soon_working_days")):
        return "soon"
    return "later"


def case_leader_choices(case: Case) -> QuerySet[User]:
    """Who may lead a major case (包案领导): a leader of the case's city or an official of
    its county — never another city's."""
    return User.objects.filter(is_active=True).filter(
        Q(role=Role.CITY_LEADER, city_id=case.county.city_id)
        | Q(role=Role.COUNTY_OFFICIAL, county_id=case.county_id)
    )

"""Reads of the projects side, each narrowed by the one scoping function."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from arrears import deadlines
from arrears.models import Deadline, DeadlineState, User
from arrears.scoping import for_user, scope_filter, scope_of
from complaints.models import Case, Complaint
from projects.models import (
    Campaign,
    ChecklistItem,
    Employer,
    EmployerListing,
    Finding,
    Fine,
    Inspection,
    ItemState,
    Project,
    ProjectParty,
    ProjectStatus,
    RectificationOrder,
    Warning,
    WarningState,
    checked_items,
    core_items,
)
from projects.models.compliance import TWO_FUNDS_ONE_BOARD
from projects.models.deposits import (
    DEPOSIT_GUARANTEE,
    DEPOSIT_LODGE,
    DEPOSIT_PAYOUT,
    DEPOSIT_TOPUP,
    DepositEvent,
)
from projects.models.inspections import RECTIFICATION
from projects.models.registry import ListingRemovalRequest

SATISFIED = [ItemState.COMPLIANT, ItemState.NOT_APPLICABLE]


def project_list(*, user: User) -> QuerySet[Project]:
    return for_user(Project.objects.select_related("county", "industry", "department"), user)


def with_case_visibility(qs: QuerySet[Warning], user: User) -> QuerySet[Warning]:
    """Mark each warning with whether the user may see the case it turned into: a county
    official may link a case of another department, whose staff must not learn its number."""
    visible = for_user(Case.objects.filter(pk=OuterRef("case_id")), user)
    return qs.annotate(case_visible=Exists(visible))


def of_employer(qs: QuerySet[Warning], employer_id: int) -> QuerySet[Warning]:
    """The warnings on any project the employer is a party to (in any role). A warning belongs
    to a project, not an employer, so a contractor's trouble across its sites shows only by
    going through the parties; Exists keeps an employer with two roles on a project from
    listing its warnings twice."""
    parties = ProjectParty.objects.filter(
        project_id=OuterRef("project_id"), employer_id=employer_id
    )
    return qs.filter(Exists(parties))


def warning_queue(
    *, user: User, state: str = WarningState.OPEN, employer_id: int | None = None
) -> QuerySet[Warning]:
    """A department's warnings: open ones to act on, or disposed ones (with their case);
    with `employer_id`, only those on that employer's projects."""
    qs = with_case_visibility(
        for_user(Warning.objects.select_related("project", "department", "case"), user), user
    )
    if employer_id is not None:
        qs = of_employer(qs, employer_id)
    if state == WarningState.RESOLVED:
        return qs.filter(state=WarningState.RESOLVED).order_by("-resolved_at", "-pk")
    return qs.filter(state=WarningState.OPEN)


def employer_warnings(*, employer: Employer, user: User) -> QuerySet[Warning]:
    """Every warning (open first, newest first) on the employer's projects that the user may
    see: for_user scopes them, so an employer working in two counties shows each county's
    officer only their own county's warnings."""
    qs = of_employer(
        with_case_visibility(
            for_user(Warning.objects.select_related("project", "case"), user), user
        ),
        employer.pk,
    )
    return qs.order_by("-state", "-opened_at", "-pk")


# --- Employers ------------------------------------------------------------------------------


def employer_list(*, user: User) -> QuerySet[Employer]:
    """The employers a user may see. An employer belongs to no county (it works across the
    city), so its visibility follows what it is attached to: city-wide users see every
    employer; anyone else sees an employer that is a party to a project in their scope, or
    that a complaint in their scope concerns (the HRSS inspector handling a complaint must
    be able to open the employer's page, though the project is supervised by housing). Both
    halves go through `for_user`, so the employer page never widens anyone's scope."""
    qs = Employer.objects.all()
    if scope_filter(Employer, scope_of(user)) is None:
        return qs  # the whole city
    projects = for_user(Project.objects.all(), user)
    complaints = for_user(Complaint.objects.all(), user)
    return qs.filter(
        Exists(ProjectParty.objects.filter(employer=OuterRef("pk"), project__in=projects))
        | Exists(complaints.filter(employer=OuterRef("pk")))
    )


def employer_detail(*, user: User, pk: int) -> Employer:
    """One employer the user may see, else 404. (Not `get_for_user_or_404`: Employer has no
    scope paths of its own, so that would hide it from everyone below city level.)"""
    found = employer_list(user=user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def employer_search(*, user: User, query: str = "", listed_on: str = "") -> QuerySet[Employer]:
    """The employer list narrowed by name or credit code and by current list membership."""
    qs = employer_list(user=user)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(credit_code__icontains=query.upper()))
    if listed_on:
        qs = qs.filter(
            Exists(
                EmployerListing.objects.filter(
                    _current_listing(), employer=OuterRef("pk"), kind=listed_on
                )
            )
        )
    return qs.prefetch_related(
        Prefetch(
            "listings",
            queryset=EmployerListing.objects.filter(_current_listing()),
            to_attr="current_listings",
        )
    ).order_by("name", "pk")


def employer_parties(*, employer: Employer, user: User) -> QuerySet[ProjectParty]:
    """The employer's roles on projects the user may see (others stay hidden)."""
    projects = for_user(Project.objects.all(), user)
    return (
        employer.parties.filter(project__in=projects)
        .select_related("project", "project__county")
        .order_by("project__name", "role")
    )


def employer_complaints(*, employer: Employer, user: User) -> Any:
    """Complaints about the employer within the user's scope, newest first."""
    return for_user(Complaint.objects.filter(employer=employer), user).select_related(
        "county", "case"
    )


def employer_listings(*, employer: Employer) -> QuerySet[EmployerListing]:
    """Every listing of the employer, current and removed: the history is the point."""
    return employer.listings.select_related("decided_by").order_by("-listed_on", "-pk")


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


def item_satisfied(code: str) -> Exists:
    """For a project queryset: the "5+3" item `code` is verified compliant or not applicable
    (what coverage counts; the dashboards use it too)."""
    return Exists(
        ChecklistItem.objects.filter(project=OuterRef("pk"), item=code, state__in=SATISFIED)
    )


def coverage(
    *, user: User, by: tuple[str, ...] = ("county__code", "county__name")
) -> list[dict[str, Any]]:
    """5+3 coverage among projects in construction, per group (county by default; add
    "industry__code" for county × industry): each checked item's rate, all the core systems,
    and 两金一牌 (the sets are configuration: compliance.items, compliance.core_items). An item
    counts when verified compliant or not applicable. Computed from the checklist in one
    query, never typed in."""
    projects = project_list(user=user).filter(status=ProjectStatus.IN_CONSTRUCTION)
    items = checked_items()
    flags = {f"has_{code}": item_satisfied(code) for code, _label in items}
    annotated = projects.annotate(**flags)
    core = Q(**{f"has_{code}": True for code in core_items()})
    two_funds = Q(**{f"has_{code}": True for code in TWO_FUNDS_ONE_BOARD})
    counts = {f"n_{code}": Count("pk", filter=Q(**{f"has_{code}": True})) for code, _label in items}
    rows = (
        annotated.values(*by)
        .annotate(
            total=Count("pk"),
            n_core=Count("pk", filter=core),
            n_two_funds=Count("pk", filter=two_funds),
            **counts,
        )
        .order_by(*by)
    )
    result = []
    for row in rows:
        total = row["total"]
        entry = {key: row[key] for key in by}
        entry.update(
            {
                "projects": total,
                "core_rate": _rate(row["n_core"], total),
                "two_funds_one_board_rate": _rate(row["n_two_funds"], total),
                "items": {code: _rate(row[f"n_{code}"], total) for code, _label in items},
            }
        )
        result.append(entry)
    return result


def rectification_clocks(*, project: Project) -> dict[int, Any]:
    """The deadline of each rectification order of the project, by order id."""
    orders = RectificationOrder.objects.filter(finding__inspection__project=project)
    clocks = order_clocks().filter(object_id__in=orders.values("pk"))
    return {d.object_id: d for d in clocks}


def order_clocks() -> QuerySet[Deadline]:
    """The deadlines of rectification orders (a clock names its subject by content type and
    id): the project page, the campaign summary and the dashboards narrow these."""
    return Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(RectificationOrder), kind=RECTIFICATION
    )


def deposit_events(*, project: Project) -> QuerySet[DepositEvent]:
    """The project's deposit history, newest first (the project page already checked scope)."""
    return project.deposit_events.select_related("case", "draw", "recorded_by").order_by(
        "-occurred_on", "-pk"
    )


def deposit_clocks(*, project: Project) -> QuerySet[Deadline]:
    """The wage deposit's clocks of a project, running first: lodging, top-up and the letter's
    expiry name the project, each payout clock the draw it pays (two queries' worth of ids)."""
    on_project = Q(
        content_type=ContentType.objects.get_for_model(Project),
        object_id=project.pk,
        kind__in=[DEPOSIT_LODGE, DEPOSIT_TOPUP, DEPOSIT_GUARANTEE],
    )
    draws = project.deposit_events.filter(kind="drawn").values("pk")
    on_draws = Q(
        content_type=ContentType.objects.get_for_model(DepositEvent),
        object_id__in=draws,
        kind=DEPOSIT_PAYOUT,
    )
    return Deadline.objects.filter(on_project | on_draws).order_by("-due_at", "-pk")


def removal_requests(*, employer: Employer) -> QuerySet[ListingRemovalRequest]:
    """Every request for early removal of the employer from the dishonest list, newest first."""
    return ListingRemovalRequest.objects.filter(listing__employer=employer).select_related(
        "listing", "recorded_by", "decided_by"
    )


# --- Campaigns ------------------------------------------------------------------------------


def _campaigns_for(user: User) -> QuerySet[Campaign]:
    """A special action is visible to all staff of its city, and one the province runs (no
    city) to everyone; another city's campaigns are not."""
    if scope_of(user).everything:
        return Campaign.objects.all()
    return Campaign.objects.filter(Q(city__isnull=True) | Q(city_id=user.city_id))


def campaign_list(*, user: User) -> QuerySet[Any]:
    """The campaigns the user's city runs and the province's, each with the number of its
    inspections the user may see."""
    scoped = for_user(Inspection.objects.all(), user).values("pk")
    return (
        _campaigns_for(user)
        .annotate(n_inspections=Count("inspections", filter=Q(inspections__in=scoped)))
        .order_by("-starts_on", "-pk")
    )


def campaign_detail(*, pk: int, user: User) -> Campaign:
    return get_object_or_404(_campaigns_for(user), pk=pk)


def campaigns_on(day: datetime.date, *, city_id: int | None = None) -> QuerySet[Campaign]:
    """The campaigns running on `day` that an inspection in `city_id` may belong to (that
    city's and the province's)."""
    running = Campaign.objects.filter(starts_on__lte=day, ends_on__gte=day)
    return running.filter(Q(city__isnull=True) | Q(city_id=city_id))


def campaign_inspections(*, campaign: Any, user: User) -> QuerySet[Any]:
    """The campaign's inspections within the user's scope: a county sees its own part."""
    return (
        for_user(Inspection.objects.filter(campaign=campaign), user)
        .select_related("project", "project__county", "inspector")
        .annotate(
            n_findings=Count("findings", distinct=True), n_fines=Count("fines", distinct=True)
        )
        .order_by("-inspected_on", "-pk")
    )


def _current_listing() -> Q:
    """On the list now: not removed and not past its end date (the daily task then records
    the removal, projects.services.listings_expire). The same rule on one row:
    EmployerListing.is_current."""
    today = timezone.localdate()
    return Q(removed_on__isnull=True) & (Q(expires_on__isnull=True) | Q(expires_on__gte=today))


def clock_overdue(now: Any) -> Q:
    """A rectification order's clock that counts as overdue: missed (verified after its due
    time), or still running past it. The campaign pages and the dashboards share it."""
    return Q(state=DeadlineState.MISSED) | clock_running_late(now)


def clock_running_late(now: Any) -> Q:
    """A clock still running (open, or paused) past its due time: 通报's "not rectified
    in time" and half of `clock_overdue`."""
    return Q(state__in=deadlines.RUNNING, due_at__lt=now)


def campaign_summary(*, campaign: Any, user: User) -> dict[str, Any]:
    """What the campaign found within the user's scope: inspections, findings, rectification
    orders met on time / overdue (missed, or running past the due time) / still running, and
    fines. A constant number of aggregate queries whatever the campaign's size."""
    inspections = for_user(campaign.inspections.all(), user)
    orders = RectificationOrder.objects.filter(finding__inspection__in=inspections)
    now = timezone.now()
    clocks = (
        order_clocks()
        .filter(object_id__in=orders.values("pk"))
        .aggregate(
            on_time=Count("pk", filter=Q(state=DeadlineState.MET)),
            overdue=Count("pk", filter=clock_overdue(now)),
            running=Count("pk", filter=Q(state__in=deadlines.RUNNING) & Q(due_at__gte=now)),
        )
    )
    fines = Fine.objects.filter(inspection__in=inspections).aggregate(
        n=Count("pk"), total=Sum("amount")
    )
    return {
        "inspections": inspections.count(),
        "findings": Finding.objects.filter(inspection__in=inspections).count(),
        "orders": orders.count(),
        "orders_on_time": clocks["on_time"],
        "orders_overdue": clocks["overdue"],
        "orders_running": clocks["running"],
        "fines": fines["n"],
        "fines_total": fines["total"] or Decimal("0"),
    }

"""Reads for risk scoring: each project's history loaded in one grouped query per kind of
fact (a city's projects in about a dozen queries, whatever their number), and the scores of
projects and employers the user may see. The scoring itself is projects.risk."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from arrears import config
from arrears.models import Role, User
from arrears.scoping import for_user
from complaints.models import Complaint
from projects import risk
from projects.models import (
    CampaignDraw,
    ChecklistItem,
    DrawnProject,
    Employer,
    EmployerListing,
    Finding,
    MonthlyWageRecord,
    PartyRole,
    Project,
    ProjectParty,
    ProjectStatus,
    RectificationOrder,
    Warning,
)
from projects.selectors import order_clocks


def weights(city: int | None) -> dict[str, Decimal]:
    """The configured points per count of every factor, in `city`."""
    return {f.code: config.get(f"risk.weight.{f.code}", city=city) for f in risk.FACTORS}


def histories(projects: QuerySet[Project]) -> dict[int, risk.ProjectHistory]:
    """The history of every project in `projects`, keyed by id."""
    found = {
        row["pk"]: risk.ProjectHistory(
            pk=row["pk"],
            start_date=row["start_date"],
            investment_type=row["investment_type"],
            contract_value=row["contract_value"],
            labour_cost_share=row["labour_cost_share"],
        )
        for row in projects.values(
            "pk", "start_date", "investment_type", "contract_value", "labour_cost_share"
        )
    }
    ids = list(found)
    parties: dict[int, set[int]] = defaultdict(set)
    contractors: dict[int, set[int]] = defaultdict(set)
    for project_id, employer_id, role in ProjectParty.objects.filter(
        project_id__in=ids
    ).values_list("project_id", "employer_id", "role"):
        parties[project_id].add(employer_id)
        if role == PartyRole.GENERAL_CONTRACTOR:
            contractors[project_id].add(employer_id)
    for project_id, at, amount in Complaint.objects.filter(project_id__in=ids).values_list(
        "project_id", "received_at", "amount_owed"
    ):
        found[project_id].complaints.append((at, amount))
    for project_id, at, level in Warning.objects.filter(project_id__in=ids).values_list(
        "project_id", "opened_at", "level"
    ):
        found[project_id].warnings.append((at, level))
    for project_id, day in Finding.objects.filter(inspection__project_id__in=ids).values_list(
        "inspection__project_id", "inspection__inspected_on"
    ):
        found[project_id].findings.append(day)
    order_project = dict(
        RectificationOrder.objects.filter(finding__inspection__project_id__in=ids).values_list(
            "pk", "finding__inspection__project_id"
        )
    )
    for order_id, started, due, closed in (
        order_clocks()
        .filter(object_id__in=list(order_project))
        .values_list("object_id", "started_on", "due_at", "closed_at")
    ):
        found[order_project[order_id]].orders.append((started, due, closed))
    for row in MonthlyWageRecord.objects.filter(project_id__in=ids).values_list(
        "project_id", "month", "recorded_at", "workers_on_roll", "workers_paid", "amount_paid"
    ):
        found[row[0]].wages.append(risk.WageMonth(*row[1:]))
    for project_id, state, verified in ChecklistItem.objects.filter(
        project_id__in=ids, item="deposit"
    ).values_list("project_id", "state", "verified_on"):
        found[project_id].deposit = (state, verified)
    for pk, history in found.items():
        history.employer_ids = tuple(sorted(parties[pk]))
        history.contractor_ids = tuple(sorted(contractors[pk]))
    return found


def context_for(found: dict[int, risk.ProjectHistory], city: int | None) -> risk.Context:
    """The lists of the projects' parties, the complaints on their general contractors' other
    projects, and the city's thresholds."""
    employers = {e for h in found.values() for e in h.employer_ids}
    listings = [
        risk.Listing(*row)
        for row in EmployerListing.objects.filter(employer_id__in=employers).values_list(
            "employer_id", "kind", "listed_on", "expires_on", "removed_on"
        )
    ]
    contractor_ids = {e for h in found.values() for e in h.contractor_ids}
    sites: dict[int, list[int]] = defaultdict(list)
    for employer_id, project_id in ProjectParty.objects.filter(
        employer_id__in=contractor_ids, role=PartyRole.GENERAL_CONTRACTOR
    ).values_list("employer_id", "project_id"):
        sites[project_id].append(employer_id)
    record: dict[int, dict[int, list[dt.datetime]]] = defaultdict(lambda: defaultdict(list))
    for project_id, at in Complaint.objects.filter(project_id__in=list(sites)).values_list(
        "project_id", "received_at"
    ):
        for employer_id in sites[project_id]:
            record[employer_id][project_id].append(at)
    return risk.Context(
        listings=listings,
        contractor_complaints=record,
        minimum_wage=config.get("warnings.minimum_wage_yuan", city=city),
        low_labour_share=config.get("risk.low_labour_share_percent", city=city),
        large_contract=config.get("risk.large_contract_yuan", city=city),
    )


def scores(
    projects: QuerySet[Project], *, day: dt.date, city: int | None
) -> dict[int, risk.RiskScore]:
    """The score of each project in `projects` from what was known at the end of `day`."""
    found = histories(projects)
    context = context_for(found, city)
    tz = timezone.get_current_timezone()
    points = weights(city)
    return {
        pk: risk.score(risk.facts_as_of(h, day, context, tz), points) for pk, h in found.items()
    }


def project_risk(*, project: Project, user: User, day: dt.date | None = None) -> risk.RiskScore:
    """The score of a project the user may see (the project page), as of today by default."""
    qs = for_user(Project.objects.filter(pk=project.pk), user)
    city = project.county.city_id
    found = scores(qs, day=day or timezone.localdate(), city=city)
    return found.get(project.pk, risk.RiskScore(Decimal(0), ()))


def employer_risk(*, employer: Employer, user: User, day: dt.date | None = None) -> dict[str, Any]:
    """An employer's score from its projects the user may see (their complaints, warnings,
    findings, overdue orders and wage records summed), complaints naming it on no registered
    project, and its own listings; with the projects' own scores, highest first."""
    day = day or timezone.localdate()
    tz = timezone.get_current_timezone()
    projects = for_user(Project.objects.filter(parties__employer=employer), user).distinct()
    found = histories(projects)
    city = _city_of(projects)
    context = context_for(found, city)
    points = weights(city)
    per_project = {pk: risk.facts_as_of(h, day, context, tz) for pk, h in found.items()}
    listed = {
        x.kind for x in context.listings if x.employer_id == employer.pk and x.current_on(day)
    }
    if not found:  # its listings are read through its projects' parties: read them directly
        listed = {
            kind
            for kind, on, expires, removed in employer.listings.values_list(
                "kind", "listed_on", "expires_on", "removed_on"
            )
            if risk.Listing(employer.pk, kind, on, expires, removed).current_on(day)
        }
    counts = risk.employer_counts(per_project.values(), listed)
    cutoff = risk.cutoff_of(day, tz)
    direct = for_user(
        Complaint.objects.filter(
            employer=employer,
            project__isnull=True,
            received_at__gte=cutoff - dt.timedelta(days=risk.WINDOW_DAYS),
            received_at__lt=cutoff,
        ),
        user,
    ).values_list("amount_owed", flat=True)
    amounts = list(direct)
    counts["complaints"] += len(amounts)
    counts["complaint_amount"] += int(sum(amounts, Decimal(0)) // 100_000)
    ranked = sorted(
        ((pk, risk.score(c, points)) for pk, c in per_project.items()),
        key=lambda item: (-item[1].total, item[0]),
    )
    names = dict(projects.values_list("pk", "name"))
    return {
        "score": risk.score(counts, points),
        "projects": [(pk, names.get(pk, ""), s) for pk, s in ranked],
    }


def _city_of(projects: QuerySet[Project]) -> int | None:
    return projects.values_list("county__city_id", flat=True).first()


# --- A campaign's inspection list ---------------------------------------------------------


def draw_candidates(*, campaign: Any, user: User, day: dt.date) -> QuerySet[Project]:
    """The projects a campaign's list is drawn from: in construction, started by `day`, in
    the campaign's city (any city for the province's), and in the drawer's scope."""
    qs = for_user(Project.objects.filter(status=ProjectStatus.IN_CONSTRUCTION), user).exclude(
        start_date__gt=day
    )
    if campaign.city_id is not None:
        qs = qs.filter(county__city_id=campaign.city_id)
    return qs


def inspectors_by_project(projects: QuerySet[Project]) -> dict[int, list[int]]:
    """Who may be sent to each project (the second 随机): the active inspectors of its
    supervising department, in id order (the draw picks among them with its seed)."""
    departments = dict(projects.values_list("pk", "department_id"))
    staff: dict[int, list[int]] = defaultdict(list)
    for pk, department_id in User.objects.filter(
        role=Role.INSPECTOR, is_active=True, department_id__in=set(departments.values())
    ).values_list("pk", "department_id"):
        staff[department_id].append(pk)
    return {pk: sorted(staff.get(d, [])) for pk, d in departments.items()}


def draw_compute(
    *, campaign: Any, user: User, day: dt.date, size: int, random_percent: int, seed: int
) -> tuple[int, list[risk.Drawn]]:
    """The list a draw with these parameters gives (and how many projects it chose from):
    the service stores it, and a replay of a stored draw recomputes it to compare."""
    candidates = draw_candidates(campaign=campaign, user=user, day=day)
    city = campaign.city_id or user.city_id
    found = scores(candidates, day=day, city=city)
    staff = inspectors_by_project(candidates)
    drawn = risk.draw(
        found,
        size=size,
        random_percent=random_percent,
        seed=seed,
        inspectors=lambda pk: staff.get(pk, []),
    )
    return len(found), drawn


def draw_replay(*, draw: CampaignDraw) -> list[risk.Drawn]:
    """A stored draw recomputed from its seed, day and parameters (what it should hold, if
    nothing known by its day has been changed since)."""
    _n, drawn = draw_compute(
        campaign=draw.campaign,
        user=draw.drawn_by,
        day=draw.as_of,
        size=draw.size,
        random_percent=draw.random_percent,
        seed=draw.seed,
    )
    return drawn


def latest_draw(*, campaign: Any) -> CampaignDraw | None:
    return campaign.draws.select_related("drawn_by").order_by("-drawn_at", "-pk").first()


def draw_entries(*, draw: CampaignDraw, user: User) -> QuerySet[DrawnProject]:
    """The drawn list as the user may see it: a county sees its own projects on it."""
    return for_user(draw.entries.all(), user).select_related(
        "project", "project__county", "project__department", "inspector"
    )


def reasons_shown(entry: DrawnProject) -> list[tuple[Any, int, Decimal]]:
    """Why a project is on the list: its top factors then, or 随机抽取."""
    return [
        (risk.FACTOR_BY_CODE[r["code"]].label, r["count"], Decimal(r["points"]))
        for r in entry.reasons
        if r["code"] in risk.FACTOR_BY_CODE
    ]

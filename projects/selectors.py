"""Reads of the projects side, each narrowed by the one scoping function."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from arrears.models import User
from arrears.scoping import for_user
from projects.models import (
    CHECKLIST,
    CORE_ITEMS,
    ChecklistItem,
    ItemState,
    Project,
    ProjectStatus,
    Warning,
    WarningState,
)
from projects.models.compliance import TWO_FUNDS_ONE_BOARD

SATISFIED = [ItemState.COMPLIANT, ItemState.NOT_APPLICABLE]


def project_list(*, user: User) -> QuerySet[Project]:
    return for_user(Project.objects.select_related("county", "industry", "department"), user)


def warning_queue(*, user: User) -> QuerySet[Warning]:
    return for_user(Warning.objects.select_related("project", "department"), user).filter(
        state=WarningState.OPEN
    )


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


def coverage(
    *, user: User, by: tuple[str, ...] = ("county__code", "county__name")
) -> list[dict[str, Any]]:
    """5+3 coverage among projects in construction, per group (county by default; add
    "industry__code" for county × industry): each item's rate, all five core systems, and
    两金一牌. An item counts when verified compliant or not applicable. Computed from the
    checklist in one query, never typed in."""
    projects = project_list(user=user).filter(status=ProjectStatus.IN_CONSTRUCTION)
    flags = {
        f"has_{code}": Exists(
            ChecklistItem.objects.filter(project=OuterRef("pk"), item=code, state__in=SATISFIED)
        )
        for code, _label in CHECKLIST
    }
    annotated = projects.annotate(**flags)
    core = Q(**{f"has_{code}": True for code in CORE_ITEMS})
    two_funds = Q(**{f"has_{code}": True for code in TWO_FUNDS_ONE_BOARD})
    counts = {
        f"n_{code}": Count("pk", filter=Q(**{f"has_{code}": True})) for code, _label in CHECKLIST
    }
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
                "items": {code: _rate(row[f"n_{code}"], total) for code, _label in CHECKLIST},
            }
        )
        result.append(entry)
    return result


def rectification_clocks(*, project: Project) -> dict[int, Any]:
    """The deadline of each rectification order of the project, by order id."""
    from django.contrib.contenttypes.models import ContentType

    from arrears.models import Deadline
    from projects.models import RectificationOrder

    orders = RectificationOrder.objects.filter(finding__inspection__project=project)
    clocks = Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(RectificationOrder),
        object_id__in=orders.values("pk"),
        kind="rectification",
    )
    return {d.object_id: d for d in clocks}

"""What a role may do on the intake side (what it may see is arrears.scoping)."""

from __future__ import annotations

from typing import Any

from arrears.models import Role

# The people of a receiving unit who sign for, return and handle its complaints.
HANDLING_ROLES = frozenset({Role.INSPECTOR, Role.DEPARTMENT_OFFICIAL})


def can_sign_or_return(user: Any, complaint: Any) -> bool:
    """Only the receiving unit signs for (签收) or returns (退回) what was routed to it."""
    return bool(
        user.is_authenticated
        and complaint.department_id is not None
        and user.department_id == complaint.department_id
        and user.role in HANDLING_ROLES
    )


def can_decide_duplicates(user: Any) -> bool:
    """Officers who handle complaints, their county's official and the city office merge or
    dismiss possible duplicates (leaders and clerks do not)."""
    return bool(
        user.is_authenticated
        and (
            user.is_superuser
            or user.role
            in HANDLING_ROLES | {Role.COUNTY_OFFICIAL, Role.CITY_OFFICE, Role.PROVINCE_OFFICE}
        )
    )


# Who approves an extension of a case's closing deadline (延期审批).
EXTENSION_DECIDERS = frozenset(
    {Role.DEPARTMENT_OFFICIAL, Role.COUNTY_OFFICIAL, Role.CITY_OFFICE, Role.PROVINCE_OFFICE}
)


def can_decide_extension(user: Any, request: Any) -> bool:
    """The head of the unit, the county official or the city office — never the officer who
    asked for it."""
    return bool(
        user.is_authenticated
        and user.pk != request.requested_by_id
        and user.role in EXTENSION_DECIDERS
    )


# Who decides a proposed transfer to the police (移送审批): the head of the administrative
# organ (国务院令310号 art. 5: its 正职负责人 or the one presiding) — the unit's head or the
# county official —, never the officer who proposed it.
POLICE_DECIDERS = frozenset({Role.DEPARTMENT_OFFICIAL, Role.COUNTY_OFFICIAL})


def can_decide_police(user: Any, proposed_by_id: int | None) -> bool:
    return bool(
        user.is_authenticated and user.pk != proposed_by_id and user.role in POLICE_DECIDERS
    )

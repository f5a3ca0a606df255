"""What a role may do on the projects side (what it may see is arrears.scoping)."""

from __future__ import annotations

from typing import Any

from arrears.models import Role
from arrears.permissions import is_city_office


def can_maintain_registry(user: Any) -> bool:
    """Imports into the registry: the city office and heads of supervising departments."""
    return bool(is_city_office(user) or user.role == Role.DEPARTMENT_OFFICIAL)


def can_inspect(user: Any) -> bool:
    """Inspections and checklist verification: inspectors, department heads, the city office."""
    return bool(is_city_office(user) or user.role in (Role.INSPECTOR, Role.DEPARTMENT_OFFICIAL))


def can_dispose_warning(user: Any) -> bool:
    """Disposing of an early warning: the officers who act on it, and their county official."""
    return bool(can_inspect(user) or user.role == Role.COUNTY_OFFICIAL)


def can_manage_lists(user: Any) -> bool:
    """Putting an employer on (or taking it off) the key-supervision or dishonest-employer
    list: the city task-force office only. A listing triggers joint punishment by every
    department city-wide, so no single county or department decides it alone."""
    return is_city_office(user)


def can_request_removal(user: Any) -> bool:
    """Recording an employer's request for early removal from the dishonest-employer list:
    the officers who deal with the employer (the decision is the city office's alone)."""
    return can_dispose_warning(user)


def can_manage_campaigns(user: Any) -> bool:
    """Launching a special action (专项行动): the city task-force office runs campaigns."""
    return is_city_office(user)

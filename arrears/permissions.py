"""What a role may do (as opposed to what it may see, which is arrears.scoping)."""

from __future__ import annotations

from typing import Any

from arrears.models import Role


def is_city_office(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.CITY_OFFICE))


def can_edit_calendar(user: Any) -> bool:
    """The city office keeps the working-day calendar (it enters the State Council's schedule)."""
    return is_city_office(user)


def can_read_audit(user: Any) -> bool:
    """The audit page and the trail's export (the audit administrator, 三员分立); the superuser
    too, for installation, each of its looks recorded as a security event."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.role == Role.AUDIT_ADMIN or user.is_superuser)
    )


# Roles whose people sign for and handle complaints in a receiving unit (as
# complaints.permissions.HANDLING_ROLES, which the kernel may not import).
_HANDLING = frozenset({Role.INSPECTOR, Role.DEPARTMENT_OFFICIAL})


def menu_for(user: Any) -> dict[str, bool]:
    """Which parts of the navigation a user is shown: only what their role may use, so nobody
    follows a menu item to a refusal. The pages still check for themselves."""
    city = is_city_office(user)
    role = getattr(user, "role", "")
    return {
        "city_office": city,
        "sign": role in _HANDLING,
        "register": city or role in _HANDLING | {Role.DUTY_OFFICER},
        "admin": bool(user.is_staff),
    }

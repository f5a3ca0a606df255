"""What a role may do (as opposed to what it may see, which is arrears.scoping)."""

from __future__ import annotations

from typing import Any

from arrears.models import Role


def is_city_office(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.CITY_OFFICE))


def can_edit_calendar(user: Any) -> bool:
    """The city office keeps the working-day calendar (it enters the State Council's schedule)."""
    return is_city_office(user)

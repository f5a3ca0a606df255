"""The signed-in user of a request, the one helper every page and API view uses.

Views run behind login_required / DRF's IsAuthenticated, so the user is a real User here (the
assertion also narrows the type). Pages are for people: with `staff=True` an integration
client's account (the hotline's or the clue platform's API user) is refused, even with a
session, since what it may do is the intake API alone."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from arrears.models import Role, User


def request_user(request: Any, *, staff: bool = False) -> User:
    user = request.user
    assert isinstance(user, User)
    if staff and user.role == Role.INTEGRATION_CLIENT:
        raise PermissionDenied
    return user

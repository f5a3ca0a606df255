"""What every page of the shell needs: the unread badge, the scope label, calendar alerts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from arrears import permissions, selectors, services


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    context: dict[str, Any] = {
        "unread_notifications": selectors.unread_count(user=user),
        "scope_label": selectors.scope_label(user=user),
        "menu": permissions.menu_for(user),
    }
    if permissions.is_city_office(user):
        context["calendar_years_missing"] = services.calendar_years_needing_data()
    return context

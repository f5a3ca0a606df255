"""Holds a signed-in user who needs a second factor at the verify (or enrolment) step until
they pass it. After django_otp's OTPMiddleware, which says whether the session is verified."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from arrears.two_factor import policy, selectors
from arrears.two_factor.signals import TEST_LOGIN_SESSION_KEY

# Views an unverified user may reach: the steps themselves, leaving, the language switch and
# the health probes. Static files never get here (whitenoise answers them first).
EXEMPT_VIEWS = frozenset(
    {
        "login",
        "logout",
        "set_language",
        "healthz",
        "readyz",
        "admin:logout",
        "two-factor-verify",
        "two-factor-sms-send",
        "two-factor-enrol",
        "two-factor-enrol-sms",
        "two-factor-enrol-sms-confirm",
    }
)
# "Optional, nothing enrolled" is remembered in the session this long, so the people who need
# no second factor do not pay the role, permission and device queries on every request; a role
# or permission change reaches their open sessions within this time.
OPTIONAL_RECHECK_SECONDS = 120
_OPTIONAL_KEY = "two_factor_optional_until"


def step_needed(request: HttpRequest) -> str:
    """ "" when the session may go on; else the URL name of the step it must pass first."""
    user: Any = request.user
    if not user.is_authenticated or user.is_verified():
        return ""
    session = request.session
    if getattr(settings, "TWO_FACTOR_TRUST_TEST_LOGINS", False) and session.get(
        TEST_LOGIN_SESSION_KEY
    ):
        return ""
    if session.get(_OPTIONAL_KEY, 0) > time.time():
        return ""
    if selectors.has_confirmed_device(user):
        return "two-factor-verify"
    if policy.required_for(user):
        return "two-factor-enrol"
    session[_OPTIONAL_KEY] = time.time() + OPTIONAL_RECHECK_SECONDS
    return ""


def forget_optional(request: HttpRequest) -> None:
    """After a user enrols, their session must be checked again at once."""
    request.session.pop(_OPTIONAL_KEY, None)


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.view_name in EXEMPT_VIEWS:
            return None
        step = step_needed(request)
        if not step:
            return None
        if request.path.startswith("/api/"):
            # API errors are JSON. API-key clients never reach this: DRF authenticates them
            # inside the view, so request.user is anonymous here.
            return JsonResponse(
                {"detail": _("请先完成两步验证。"), "code": "two_factor_required"},
                status=403,
                json_dumps_params={"ensure_ascii": False},
            )
        target = reverse(step)
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        if getattr(request, "htmx", False):
            # A partial page must not swap the verify form into a table cell.
            return HttpResponseClientRedirect(target)
        return HttpResponseRedirect(target)

"""At login: the demo's and the test client's shortcuts past the verify step (both off in
production settings)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from arrears.audit.security import security_event

# Imported with the signals at start-up so the auth.two_factor_roles key is always defined.
from arrears.two_factor import policy
from arrears.two_factor.services import two_factor_event

# Session flag for a login made by Django's test client (force_login/login), which builds a
# request without a path; honoured only with settings.TWO_FACTOR_TRUST_TEST_LOGINS.
TEST_LOGIN_SESSION_KEY = "two_factor_test_login"


def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    if getattr(settings, "TWO_FACTOR_TRUST_TEST_LOGINS", False) and not request.path:
        # Existing tests log city-office users in with client.force_login(): their sessions
        # count as verified, as if they had passed the verify step.
        request.session[TEST_LOGIN_SESSION_KEY] = True
        return
    if getattr(settings, "ARREARS_DEMO", False):
        # Demo users hold the published demo secret (seed_demo): in the demo they are verified
        # by it at once. Anyone enrolled with a secret of their own still types a code.
        device = TOTPDevice.objects.filter(
            user=user, confirmed=True, key=policy.DEMO_TOTP_KEY
        ).first()
        if device is not None:
            otp_login(request, device)


def _record(
    sender: Any, user: Any, action: str, kind: str, actor: Any = None, **kwargs: Any
) -> None:
    """Each two-factor change and refused code as a security event (安全审计), beside the
    device rows' own added/removed events: enrolment is confirmed after the device row exists,
    and a reset names the security administrator who did it."""

    security_event(
        kind=f"two_factor_{action}",
        actor=actor,
        obj=user,
        result="failure" if action == "verify_failed" else "success",
        detail={"method": kind or "all"},
    )


def connect() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="arrears.two_factor.on_login")
    two_factor_event.connect(_record, dispatch_uid="arrears.two_factor.record")

"""The password policy (身份鉴别): at least three kinds of character, none of the last few
passwords again, and a new one every PASSWORD_MAX_AGE_DAYS days. Length, common passwords and
similarity to the username are Django's own validators (AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import audit
from arrears.models import PasswordHistory
from arrears.user_sessions import user_sessions_end

# The four kinds a password may mix; three of them are required by default.
_KINDS: tuple[Callable[[str], bool], ...] = (
    str.islower,
    str.isupper,
    str.isdigit,
    # Anything else: punctuation, spaces, Chinese characters.
    lambda c: not (c.islower() or c.isupper() or c.isdigit()),
)


def character_kinds(password: str) -> int:
    """How many of lower case, upper case, digits and other characters the password uses."""
    return sum(1 for kind in _KINDS if any(kind(c) for c in password))


class CharacterKindsValidator:
    """At least `min_kinds` of: lower-case letters, upper-case letters, digits, symbols."""

    def __init__(self, min_kinds: int = 3) -> None:
        self.min_kinds = min_kinds

    def validate(self, password: str, user: Any = None) -> None:
        if character_kinds(password) < self.min_kinds:
            raise ValidationError(
                _("密码须包含小写字母、大写字母、数字、符号中的至少 %(kinds)d 种。"),
                code="password_too_few_kinds",
                params={"kinds": self.min_kinds},
            )

    def get_help_text(self) -> str:
        return _("密码须包含小写字母、大写字母、数字、符号中的至少 %(kinds)d 种。") % {
            "kinds": self.min_kinds
        }


class PasswordHistoryValidator:
    """None of the user's last `count` passwords (the current one included) again.

    Django calls `password_changed` after every new password is saved, however it was set
    (the change page, the admin, a command): it keeps the new hash and ends the user's
    sessions, so this validator must stay in AUTH_PASSWORD_VALIDATORS (count 0 keeps no
    history but still ends the sessions)."""

    def __init__(self, count: int = 5) -> None:
        self.count = count

    def validate(self, password: str, user: Any = None) -> None:
        if self.count <= 0 or user is None or user.pk is None:
            return
        hashes = list(
            PasswordHistory.objects.filter(user=user)
            .order_by("-created_at", "-pk")
            .values_list("password", flat=True)[: self.count]
        )
        # Users whose password predates the history have only their current hash.
        if user.password and user.password not in hashes:
            hashes.insert(0, user.password)
        # check_password, not a comparison: every hash has its own salt.
        if any(check_password(password, h) for h in hashes[: self.count]):
            raise ValidationError(self._rule(), code="password_reused")

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is not None and user.pk is not None:
            password_changed_record(user=user, keep=self.count)

    def get_help_text(self) -> str:
        return self._rule()

    def _rule(self) -> str:
        # Not ngettext: the messages are kept as msgid/English pairs without plural forms.
        if self.count == 1:
            return _("不能使用当前密码。")
        return _("不能使用最近 %(count)d 次用过的密码。") % {"count": self.count}


def password_changed_record(*, user: Any, keep: int) -> None:
    """After a new password was saved: keep its hash (the newest `keep`) and end every session
    of the user (the browser that changed it continues on a new session key, see
    arrears.account_views.PasswordChange)."""

    with transaction.atomic():
        if keep > 0 and user.password:
            PasswordHistory.objects.create(
                user=user, password=user.password, created_at=timezone.now()
            )
            stale = (
                PasswordHistory.objects.filter(user=user)
                .order_by("-created_at", "-pk")
                .values_list("pk", flat=True)[keep:]
            )
            PasswordHistory.objects.filter(pk__in=list(stale)).delete()
        ended = user_sessions_end(user=user)
        # Who changed it (the user, an administrator, a command) is the audit trail's actor.
        audit.security_event(kind="password_changed", obj=user, detail={"sessions_ended": ended})


def password_expires_at(user: Any) -> datetime.datetime | None:
    """When the user must choose a new password; None when theirs never expires."""
    days = settings.PASSWORD_MAX_AGE_DAYS
    if days <= 0 or getattr(user, "is_machine", False) or not user.has_usable_password():
        return None
    # The demo's shared password is exempt only in the demo; production settings turn
    # ARREARS_DEMO off whatever the database says.
    if user.password_expiry_exempt and settings.ARREARS_DEMO:
        return None
    changed: datetime.datetime = user.password_changed_at
    return changed + datetime.timedelta(days=days)


def password_expired(user: Any, *, now: datetime.datetime) -> bool:
    expires = password_expires_at(user)
    return expires is not None and now >= expires


class PasswordExpiryMiddleware:
    """Sends a signed-in user whose password is older than PASSWORD_MAX_AGE_DAYS to the
    password-change page. Integration clients authenticate with API keys inside DRF, after
    this middleware, so they are never signed in here and never sent anywhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        # In process_view the URL is resolved, so allowed pages are named, not matched by path.
        match = request.resolver_match
        if match is not None and match.view_name in settings.PASSWORD_EXPIRED_ALLOWED_VIEWS:
            return None
        if not password_expired(user, now=timezone.now()):
            return None
        text = _("您的密码已超过 %(days)d 天未修改，请先修改密码。") % {
            "days": settings.PASSWORD_MAX_AGE_DAYS
        }
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": text}, status=403)
        messages.warning(request, text)
        url = reverse("password_change")
        if getattr(request, "htmx", False):
            # A fragment request would swap the whole page into a part of it; htmx follows
            # HX-Redirect with a full navigation instead.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)

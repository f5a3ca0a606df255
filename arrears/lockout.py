"""Login failure handling (登录失败处理) with django-axes: an account is locked after
LOGIN_FAILURE_LIMIT failures, an address after LOGIN_ADDRESS_FAILURE_LIMIT, each counted over
LOGIN_FAILURE_WINDOW_MINUTES; the lock lasts as long. Axes records every attempt (AccessAttempt,
AccessFailureLog, AccessLog); this module gives it the project's client address, the two
limits, the login page's lockout message, and the security administrator's unlock.

Only Django's `authenticate()` is watched, which only the login pages call: API keys
(complaints.integration.authentication) and DRF's session authentication never reach axes, so an
integration client is never locked out by it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max, QuerySet, Sum
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import audit
from arrears.models import User
from arrears.user_sessions import user_sessions_end


def _failures(attempts: QuerySet[AccessAttempt]) -> int:
    return int(attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0)


def window() -> datetime.timedelta:
    """How long failures count and a lock lasts (AXES_COOLOFF_TIME, from
    LOGIN_FAILURE_WINDOW_MINUTES)."""
    return get_cool_off() or datetime.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)


class LoginAttemptHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per lockout parameter.

    Axes compares the largest count over its lockout parameters (username, address) with one
    limit; here the account's failures count against LOGIN_FAILURE_LIMIT (AXES_FAILURE_LIMIT)
    and the address's against the higher LOGIN_ADDRESS_FAILURE_LIMIT, so one person mistyping
    does not lock out a whole office behind one address, and guessing many accounts from one
    address is still stopped."""

    def failure_counts(self, request: Any, credentials: dict[str, Any] | None) -> tuple[int, int]:
        """Recent failures of the account being tried and of the client's address."""
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        address = request.axes_ip_address
        account = _failures(recent.filter(username=username)) if username else 0
        by_address = _failures(recent.filter(ip_address=address)) if address else 0
        return account, by_address

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        account, by_address = self.failure_counts(request, credentials)
        if by_address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            # Counted against the account limit, which is what axes compares with.
            return max(account, settings.AXES_FAILURE_LIMIT)
        return account

    def reset_user_attempts(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        # A successful login clears that account's failures only. Axes would also clear the
        # address's, so one valid account would let an address go on guessing others.
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


@dataclass(frozen=True)
class Lock:
    kind: str  # "account" or "address"
    value: str
    failures: int
    until: datetime.datetime


def _locks(field: str, limit: int, now: datetime.datetime) -> list[Lock]:
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=now - window())
        .exclude(**{f"{field}__isnull": True})
        .values(field)
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=limit)
        .order_by("-last")
    )
    kind = "account" if field == "username" else "address"
    return [Lock(kind, str(r[field]), int(r["failures"]), r["last"] + window()) for r in rows]


def locked_accounts(*, now: datetime.datetime) -> list[Lock]:
    return _locks("username", settings.AXES_FAILURE_LIMIT, now)


def locked_addresses(*, now: datetime.datetime) -> list[Lock]:
    return _locks("ip_address", settings.LOGIN_ADDRESS_FAILURE_LIMIT, now)


def lock_for(*, username: str | None, address: str | None, now: datetime.datetime) -> Lock | None:
    """The lock that stops this username from this address, the one that lasts longer first."""
    locks = []
    if username:
        locks += [lk for lk in locked_accounts(now=now) if lk.value == username]
    if address:
        locks += [lk for lk in locked_addresses(now=now) if lk.value == address]
    return max(locks, key=lambda lk: lk.until, default=None)


def lockout_unlock(*, kind: str, value: str, actor: Any, request: Any = None) -> int:
    """The security administrator's unlock: the failures of an account or of an address are
    forgotten (axes' own reset, also behind `manage.py axes_reset_username`), and the unlock
    is a security event."""
    if kind == "account":
        count = AxesProxyHandler.reset_attempts(username=value)
    elif kind == "address":
        count = AxesProxyHandler.reset_attempts(ip_address=value)
    else:
        raise ValueError(kind)
    audit.security_event(
        kind="unlock",
        actor=actor,
        request=request,
        object_repr=value,
        detail={"locked": kind, "value": value, "attempt_records": count},
    )
    return count


def _format_time(moment: datetime.datetime, now: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localtime(now).date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def lockout_message(lock: Lock | None, *, now: datetime.datetime) -> str:
    if lock is None:  # only when the lock ended between the attempt and this page
        return _("登录失败次数过多，请稍后再试。")
    params = {"time": _format_time(lock.until, now)}
    if lock.kind == "account":
        return (
            _("该账号登录失败次数过多，已被锁定。请于 %(time)s 后再试，或联系安全管理员解锁。")
            % params
        )
    return (
        _("本机所在地址登录失败次数过多，已被暂停登录。请于 %(time)s 后再试，或联系安全管理员。")
        % params
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login page again, in the site's layout, saying when to try
    again (axes' own answer is a bare line of English)."""
    now = timezone.now()
    username = get_client_username(request, credentials)
    lock = lock_for(username=username, address=getattr(request, "axes_ip_address", None), now=now)
    context = {
        "form": AuthenticationForm(request, initial={"username": username or ""}),
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "lockout_message": lockout_message(lock, now=now),
    }
    return render(
        request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )


@receiver(user_locked_out, dispatch_uid="arrears.lockout.end_sessions")
def _end_sessions_of_locked_account(
    sender: Any, request: Any, username: str | None, **kwargs: Any
) -> None:
    """A locked account is signed out everywhere: someone is guessing its password, and a
    session they may already hold should not outlive the lock."""

    if not username:
        return
    since = timezone.now() - window()
    recent = AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
    if _failures(recent) < settings.AXES_FAILURE_LIMIT:
        return  # the address is locked, not this account
    user = User.objects.filter(username=username).first()
    if user is not None:
        user_sessions_end(user=user)

"""Session limits (身份鉴别): a signed-in session ends after SESSION_IDLE_MINUTES without
activity and SESSION_MAX_HOURS after sign-in, whatever happens in between; each one is listed
(UserSession) so its user sees where they are signed in and can end the others, and a password
change, a lockout or the security administrator ends them all."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.models import UserSession
from arrears.ratelimit import client_address

# Kept in the session itself (epoch seconds), so the check needs no query of its own.
STARTED = "arrears_session_started"
SEEN = "arrears_session_seen"
# Activity is written at most this often: a session save and a UserSession update per minute
# per active user instead of per request; the idle limit is exact to within this.
TOUCH_SECONDS = 60


def idle_limit() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.SESSION_IDLE_MINUTES)


def absolute_limit() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.SESSION_MAX_HOURS)


def _store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def user_sessions_end(*, user: Any, keep: str | None = None) -> int:
    """End every session of the user (except the one keyed `keep`): the session data is
    deleted, so the next request with that cookie is anonymous. Returns how many ended."""
    rows = UserSession.objects.filter(user=user)
    if keep:
        rows = rows.exclude(session_key=keep)
    keys = list(rows.values_list("session_key", flat=True))
    store = _store()
    with transaction.atomic():
        for key in keys:
            # Through the configured engine, whichever it is (database, cache, files).
            store().delete(key)
        UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def session_end(*, row: UserSession) -> None:
    with transaction.atomic():
        _store()().delete(row.session_key)
        row.delete()


def active_sessions(*, now: datetime.datetime) -> Any:
    """Sessions that may still be in use: seen within the idle limit (plus the touch interval,
    by which last_seen_at may lag) and started within the absolute one."""
    return UserSession.objects.filter(
        last_seen_at__gte=now - idle_limit() - datetime.timedelta(seconds=TOUCH_SECONDS),
        created_at__gte=now - absolute_limit(),
    )


def _register(request: HttpRequest, user: Any, *, started: datetime.datetime) -> None:
    key = request.session.session_key
    if not key:
        return
    now = timezone.now()
    UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "last_seen_at": now,
            "ip_address": client_address(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        },
        create_defaults={
            "user": user,
            "created_at": started,
            "last_seen_at": now,
            "ip_address": client_address(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        },
    )


def session_register(request: HttpRequest, user: Any) -> None:
    """Record the request's session (after sign-in, or when its key was cycled)."""
    started = request.session.get(STARTED)
    moment = (
        datetime.datetime.fromtimestamp(started, tz=datetime.UTC) if started else timezone.now()
    )
    _register(request, user, started=moment)


@receiver(user_logged_in, dispatch_uid="arrears.user_sessions.logged_in")
def _on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if not hasattr(request, "session"):
        return
    now = timezone.now()
    request.session[STARTED] = request.session[SEEN] = int(now.timestamp())
    # Rows of sessions the user abandoned (closed the browser) would otherwise stay listed.
    stale = UserSession.objects.filter(user=user).exclude(
        pk__in=active_sessions(now=now).values("pk")
    )
    stale.delete()
    _register(request, user, started=now)


@receiver(user_logged_out, dispatch_uid="arrears.user_sessions.logged_out")
def _on_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()


class SessionTimeoutMiddleware:
    """Signs out a session idle for SESSION_IDLE_MINUTES or older than SESSION_MAX_HOURS, with
    a message; the request then goes on as anonymous, so pages send the user to the login page
    (where the message is shown) and the API answers 401/403 as for anyone signed out.

    Activity is a page, a form or an htmx action; htmx polling (GET) does not keep a session
    alive, or a page left open on the jobs list would never time out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request: HttpRequest, user: Any) -> None:
        session = request.session
        now = timezone.now()
        stamp = int(now.timestamp())
        started = session.get(STARTED)
        seen = session.get(SEEN)
        if started is None or seen is None:
            # A session from before these limits: they count from now, and it is listed.
            session[STARTED] = session[SEEN] = stamp
            session_register(request, user)
            return
        if stamp - started >= absolute_limit().total_seconds():
            text = _("本次登录已超过 %(hours)d 小时，为保障安全已自动退出，请重新登录。") % {
                "hours": settings.SESSION_MAX_HOURS
            }
        elif stamp - seen >= idle_limit().total_seconds():
            text = _("您已 %(minutes)d 分钟未操作，为保障安全已自动退出，请重新登录。") % {
                "minutes": settings.SESSION_IDLE_MINUTES
            }
        else:
            polling = getattr(request, "htmx", False) and request.method == "GET"
            if not polling and stamp - seen >= TOUCH_SECONDS:
                session[SEEN] = stamp
                updated = UserSession.objects.filter(session_key=session.session_key).update(
                    last_seen_at=now
                )
                if not updated:  # signed in before sessions were listed
                    session_register(request, user)
            return
        logout(request)
        messages.info(request, text)

"""Pages of identification and authentication: changing one's password, one's own sessions,
and the security administrator's lockouts and sessions (404 for anyone else)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from arrears import audit, lockout, passwords, user_sessions
from arrears.models import Role, User, UserSession
from arrears.request_user import request_user


class PasswordChange(auth_views.PasswordChangeView):
    """Django's view (old password, the new one twice, AUTH_PASSWORD_VALIDATORS). Saving the
    password ends every session of the user (arrears.passwords); Django then moves this
    browser to a new session key, which is listed again here."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["expires_at"] = passwords.password_expires_at(self.request.user)
        return context

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        user_sessions.session_register(self.request, self.request.user)
        messages.success(self.request, _("密码已修改，其他设备上的登录已全部退出。"))
        return response


password_change = PasswordChange.as_view()
password_change_done = auth_views.PasswordChangeDoneView.as_view()


@login_required
def my_sessions(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    rows = (
        user_sessions.active_sessions(now=timezone.now())
        .filter(user=user)
        .order_by("-last_seen_at")
    )
    return render(
        request,
        "arrears/my_sessions.html",
        {
            "sessions": rows,
            "current_key": request.session.session_key,
            "idle_minutes": settings.SESSION_IDLE_MINUTES,
            "max_hours": settings.SESSION_MAX_HOURS,
        },
    )


@login_required
@require_POST
def my_session_end(request: HttpRequest) -> HttpResponse:
    """End one of one's other sessions (by its row id: session keys are never put in a page,
    they are what the cookie holds)."""
    user = request_user(request)
    row = get_object_or_404(UserSession, pk=request.POST.get("session") or 0, user=user)
    if row.session_key == request.session.session_key:
        messages.info(request, _("当前会话请使用“退出”结束。"))
    else:
        user_sessions.session_end(row=row)
        messages.success(request, _("该会话已结束。"))
    return redirect("my-sessions")


@login_required
@require_POST
def my_sessions_end_others(request: HttpRequest) -> HttpResponse:
    count = user_sessions.user_sessions_end(
        user=request_user(request), keep=request.session.session_key
    )
    messages.success(request, _("已结束其他 %(count)d 个会话。") % {"count": count})
    return redirect("my-sessions")


def _require_security_admin(request: HttpRequest) -> User:
    """The security administrator's pages; 404 to anyone else (the superuser included: it is
    for installation, and has axes' admin pages)."""
    user = request.user
    if not (isinstance(user, User) and user.is_authenticated and user.role == Role.SECURITY_ADMIN):
        raise Http404
    return user


def security_lockouts(request: HttpRequest) -> HttpResponse:
    _require_security_admin(request)
    now = timezone.now()
    return render(
        request,
        "arrears/security_lockouts.html",
        {
            "tables": [
                (_("被锁定的账号"), lockout.locked_accounts(now=now), "account"),
                (_("被暂停登录的地址"), lockout.locked_addresses(now=now), "address"),
            ],
            "account_limit": settings.LOGIN_FAILURE_LIMIT,
            "address_limit": settings.LOGIN_ADDRESS_FAILURE_LIMIT,
            "window_minutes": settings.LOGIN_FAILURE_WINDOW_MINUTES,
        },
    )


@require_POST
def security_unlock(request: HttpRequest) -> HttpResponse:
    actor = _require_security_admin(request)
    kind = request.POST.get("kind", "")
    value = request.POST.get("value", "").strip()
    if kind not in {"account", "address"} or not value:
        raise Http404
    lockout.lockout_unlock(kind=kind, value=value, actor=actor, request=request)
    messages.success(request, _("已解除锁定：%(value)s") % {"value": value})
    return redirect("security-lockouts")


def security_sessions(request: HttpRequest) -> HttpResponse:
    _require_security_admin(request)
    users = (
        user_sessions.active_sessions(now=timezone.now())
        .values("user", "user__username", "user__display_name")
        .annotate(count=Count("pk"), last_seen=Max("last_seen_at"))
        .order_by("-last_seen")
    )
    return render(request, "arrears/security_sessions.html", {"users": users})


@require_POST
def security_sessions_end(request: HttpRequest) -> HttpResponse:
    actor = _require_security_admin(request)
    target = get_object_or_404(User, pk=request.POST.get("user") or 0)
    count = user_sessions.user_sessions_end(user=target)
    audit.security_event(
        kind="sessions_ended", actor=actor, request=request, obj=target, detail={"count": count}
    )
    messages.success(
        request,
        _("已结束 %(user)s 的 %(count)d 个会话。") % {"user": target, "count": count},
    )
    return redirect("security-sessions")

"""Pages of the web shell: home, organisation directory, working-day calendar, inbox."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from arrears import health, notifications, permissions, selectors, services, workdays
from arrears import home as home_figures
from arrears.forms import AnnouncementForm, DayForm
from arrears.models import DeliveryState, User, YearStatus
from arrears.paging import offset_page
from arrears.request_user import request_user
from arrears.scoping import scope_of


def _require_calendar_editor(user: User) -> None:
    if not permissions.can_edit_calendar(user):
        raise PermissionDenied(_("只有市根治欠薪办或系统管理员可以修改工作日历"))


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the load balancer and the container: the process answers. Nothing else
    is touched, so a database outage does not get every web node restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness for monitoring and deploy checks: database, cache, broker, media and the
    worker and beat heartbeats (arrears/health.py); 503 unless every check passes."""
    now = timezone.now()
    report = health.readiness(now=now)
    health.alert_stale(report=report, now=now)
    response = JsonResponse(
        report.as_json(),
        status=200 if report.ok else 503,
        json_dumps_params={"ensure_ascii": False},
    )
    # Django would log every 503 as an error, and so mail ADMINS on each probe (every few
    # seconds); failed checks are logged by arrears.health and stale heartbeats alerted hourly.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    today = timezone.localdate()
    calendar = workdays.get_calendar()
    context: dict[str, Any] = {
        "today": today,
        "is_working_day": calendar.is_working_day(today),
        "next_working_day": calendar.add_working_days(today, 1),
        "in_five": calendar.add_working_days(today, 5),
        "scope": scope_of(user),
        # What to do today, figure by figure, from the apps that own the lists (arrears.home).
        "sections": home_figures.sections_for(user, timezone.now()),
        "recent_notifications": selectors.notifications_for(user=user)[:5],
        "role": user.role,
    }
    return render(request, "arrears/home.html", context)


@login_required
def county_list(request: HttpRequest) -> HttpResponse:
    counties = selectors.county_list(user=request_user(request))
    return render(request, "arrears/county_list.html", {"counties": counties})


@login_required
def county_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = request_user(request)
    county = selectors.county_detail(user=user, code=code)
    departments = selectors.department_list(user=user, county=county)
    return render(
        request, "arrears/county_detail.html", {"county": county, "departments": departments}
    )


@login_required
def config_by_city(request: HttpRequest) -> HttpResponse:
    """What each city set for itself, beside the default and the province's value: for the
    province office (who answers for the differences) and the configuration's administrator."""
    user = request_user(request)
    if not permissions.can_view_city_settings(user):
        raise Http404
    cities, rows = selectors.config_by_city()
    return render(request, "arrears/config_by_city.html", {"cities": cities, "rows": rows})


@login_required
def department_detail(request: HttpRequest, pk: int) -> HttpResponse:
    department = selectors.department_detail(user=request_user(request), pk=pk)
    return render(request, "arrears/department_detail.html", {"department": department})


@login_required
def calendar_index(request: HttpRequest) -> HttpResponse:
    return redirect("calendar-year", year=timezone.localdate().year)


@login_required
def calendar_year(request: HttpRequest, year: int) -> HttpResponse:
    if not 2000 <= year <= timezone.localdate().year + 5:
        raise Http404
    user = request_user(request)
    context = selectors.calendar_year_view(year=year)
    context.update(
        {
            "year": year,
            "years": selectors.calendar_years(),
            "can_edit": permissions.can_edit_calendar(user),
            "day_form": DayForm(),
            "announcement_form": AnnouncementForm(),
            # Monday first, as Chinese calendars are printed; short names in the active language.
            "weekday_names": [_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")],
            "prev_year": year - 1,
            "next_year": year + 1,
        }
    )
    return render(request, "arrears/calendar_year.html", context)


def _calendar_action(request: HttpRequest, year: int, action: Any) -> HttpResponse:
    user = request_user(request)
    _require_calendar_editor(user)
    try:
        message = action(user)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, message)
    return redirect("calendar-year", year=year)


@login_required
@require_POST
def calendar_load(request: HttpRequest, year: int) -> HttpResponse:
    def load(user: User) -> str:
        days, status, source = services.calendar_schedule_from_library(year)
        loaded = services.calendar_year_load(
            year=year, days=days, status=status, source=source, actor=user
        )
        return _("已载入 %(y)s 年日历（%(s)s），进行中的时限将重新计算") % {
            "y": year,
            "s": loaded.get_status_display(),
        }

    return _calendar_action(request, year, load)


@login_required
@require_POST
def calendar_announce(request: HttpRequest, year: int) -> HttpResponse:
    form = AnnouncementForm(request.POST)

    def announce(user: User) -> str:
        if not form.is_valid():
            raise ValidationError([e for errs in form.errors.values() for e in errs])
        days = services.calendar_schedule_from_announcement(year=year, **form.parsed())
        services.calendar_year_load(
            year=year,
            days=days,
            status=YearStatus.OFFICIAL,
            source=_("国务院办公厅通知（人工录入）"),
            actor=user,
        )
        return _("已按公布的安排录入 %(y)s 年日历，状态为正式") % {"y": year}

    return _calendar_action(request, year, announce)


@login_required
@require_POST
def calendar_day(request: HttpRequest, year: int) -> HttpResponse:
    form = DayForm(request.POST)

    def set_day(user: User) -> str:
        if not form.is_valid():
            raise ValidationError([e for errs in form.errors.values() for e in errs])
        day: datetime.date = form.cleaned_data["date"]
        services.calendar_day_set(
            day=day, kind=form.cleaned_data["kind"], name=form.cleaned_data["name"], actor=user
        )
        return _("已修改 %(d)s") % {"d": day}

    return _calendar_action(request, year, set_day)


@login_required
@require_POST
def calendar_mark(request: HttpRequest, year: int) -> HttpResponse:
    status = request.POST.get("status", "")
    if status not in YearStatus.values:
        raise Http404

    def mark(user: User) -> str:
        services.calendar_year_mark(year=year, status=status, actor=user)
        return _("%(y)s 年日历状态已更新") % {"y": year}

    return _calendar_action(request, year, mark)


def _group_params(data: Any) -> dict[str, str]:
    """kind / subject_type / subject_id from a query or form: which inbox group is meant
    (absent keys are not filtered on; an empty subject_type is a real value)."""
    return {k: str(data[k])[:300] for k in ("kind", "subject_type", "subject_id") if k in data}


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Messages grouped by kind and subject, with a summary line per kind of message."""
    user = request_user(request)
    params = _group_params(request.GET)
    params.pop("subject_id", None)
    page = offset_page(request, selectors.inbox_groups(user=user, **params), 30)
    page.object_list = selectors.inbox_group_rows(page.object_list)
    return render(
        request,
        "arrears/inbox.html",
        {
            "page": page,
            "kinds": selectors.inbox_kinds(user=user),
            "filtered": params,
            "query": urlencode(params),
        },
    )


@login_required
def inbox_all(request: HttpRequest) -> HttpResponse:
    """Every message, newest first, or one group's (the query string names it)."""
    params = _group_params(request.GET)
    page = offset_page(
        request, selectors.notifications_for(user=request_user(request), **params), 30
    )
    return render(
        request,
        "arrears/inbox_all.html",
        {
            "page": page,
            "filtered": params,
            "kind_label": notifications.as_text(notifications.kind_label(params["kind"]))
            if "kind" in params
            else "",
            "query": urlencode(params),
        },
    )


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also keeps the choice on the user: notifications are
    written in their recipient's language."""
    response = i18n.set_language(request)
    user = request.user
    language = request.POST.get("language", "")
    if (
        isinstance(user, User)
        and language in dict(settings.LANGUAGES)
        and language != user.language
    ):
        services.user_set_language(user=user, language=language)
    return response


def _require_city_office(request: HttpRequest) -> User:
    user = request_user(request)
    if not permissions.is_city_office(user):
        raise Http404  # like any object outside the scope: nobody learns the page exists
    return user


@login_required
def message_log(request: HttpRequest) -> HttpResponse:
    user = _require_city_office(request)
    state = request.GET.get("state", "")
    if state not in DeliveryState.values:
        state = ""
    rows = selectors.message_deliveries(user=user, state=state)
    page = offset_page(request, rows, 50)
    return render(
        request,
        "arrears/message_deliveries.html",
        {"page": page, "state": state, "states": DeliveryState.choices},
    )


@login_required
@require_POST
def message_resend(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require_city_office(request)
    delivery = selectors.message_deliveries(user=user).filter(pk=pk).first()
    if delivery is None:
        raise Http404
    if notifications.message_resend(delivery=delivery):
        messages.success(request, _("已重新排队投递"))
    else:
        messages.error(request, _("只有投递失败的消息可以重发"))
    return redirect("message-log")


@login_required
@require_POST
def inbox_mark_read(request: HttpRequest) -> HttpResponse:
    """Mark all, some ids, or one group read. With htmx the answer is the group's row (when a
    group was named) and the badge; otherwise a redirect back (POST/redirect/GET)."""
    user = request_user(request)
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    group = _group_params(request.POST)
    changed = services.notification_mark_read(user=user, ids=ids, **group)
    unread = selectors.unread_count(user=user)
    if getattr(request, "htmx", False):
        row = None
        if "kind" in group and "subject_id" in group:
            narrowed = {k: v for k, v in group.items() if k != "subject_id"}
            rows = selectors.inbox_groups(user=user, **narrowed)
            row = next(
                iter(selectors.inbox_group_rows(rows.filter(subject_id=group["subject_id"]))), None
            )
        return render(
            request,
            "arrears/_inbox_marked.html",
            {"group": row, "unread_notifications": unread, "oob": row is not None},
        )
    messages.success(request, _("已将 %(n)s 条消息标为已读") % {"n": changed})
    back = request.POST.get("next", "")
    if back.startswith("/inbox/"):  # only back into the inbox: never an open redirect
        return redirect(back)
    return redirect("inbox")

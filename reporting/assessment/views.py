"""The assessment pages: the table of units with each indicator's value and points, one unit's
detail, the rows behind an indicator, the export (a job) and finalising. Thin: the figures
come from `reporting.assessment.scoring`, the rows from its indicators."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from arrears import jobs as arrears_jobs
from arrears import replica
from arrears.job_views import sent_to_background
from arrears.models import City, County, User
from arrears.paging import offset_page
from arrears.permissions import is_city_office
from arrears.request_user import request_user
from arrears.scoping import get_for_user_or_404, scope_of
from reporting import drill
from reporting.assessment import jobs, services
from reporting.assessment.indicators import INDICATORS
from reporting.assessment.scoring import Assessment, history


def _error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return render(
        request,
        "reporting/assessment.html",
        {"error": "；".join(exc.messages), "period_code": request.GET.get("period", "")},
        status=400,
    )


def _may_finalise(user: User, t: jobs.Target) -> bool:
    scope = scope_of(user)
    if not is_city_office(user) or t.period.end >= timezone.localdate():
        return False
    return scope.everything or (t.city is not None and scope.city_id == t.city.pk)


def _notes(a: Assessment) -> list[dict[str, Any]]:
    return [
        {
            "label": INDICATORS[r.key].label,
            "definition": INDICATORS[r.key].definition,
            "scoring": jobs.scoring_text(r),
            "kind": r.kind,
        }
        for r in a.scheme.rules
    ]


def _page(request: HttpRequest, user: User, city: City | None) -> HttpResponse:
    try:
        t = jobs.target(request.GET, user, city)
        a = jobs.load(t, user)
    except ValidationError as exc:
        return _error(request, exc)
    query = urlencode(t.params())
    rows = []
    for unit in a.units:
        if a.dim == "county":
            link = reverse("assessment-county", args=[unit.code])
        else:
            link = reverse("assessment-city", args=[unit.code])
        rows.append({"unit": unit, "link": f"{link}?{urlencode({'period': t.period.code})}"})
    context = {
        "a": a,
        "t": t,
        "rows": rows,
        "query": query,
        "period_code": t.period.code,
        "notes": _notes(a),
        "history": history(user=user, city=t.city),
        "may_finalise": a.result is None and _may_finalise(user, t),
    }
    return render(request, "reporting/assessment.html", context)


@login_required
@replica.reads_view
def assessment_page(request: HttpRequest) -> HttpResponse:
    """The assessment the viewer's scope names: the province's cities, a city's counties, or
    a county official's own county."""
    return _page(request, request_user(request, staff=True), None)


@login_required
@replica.reads_view
def assessment_city(request: HttpRequest, code: str) -> HttpResponse:
    user = request_user(request, staff=True)
    return _page(request, user, get_for_user_or_404(City.objects.all(), user, code=code))


@login_required
@replica.reads_view
def assessment_county(request: HttpRequest, code: str) -> HttpResponse:
    """One county's indicators: value, points, how they score, and the rows behind each."""
    user = request_user(request, staff=True)
    county = get_for_user_or_404(County.objects.select_related("city"), user, code=code)
    try:
        t = jobs.target(request.GET, user, county.city)
        a = jobs.load(t, user)
    except ValidationError as exc:
        return _error(request, exc)
    unit = a.unit(county.pk)
    params = {"period": t.period.code, "city_code": county.city.code, "unit": county.code}
    items = [
        {
            "item": item,
            "scoring": jobs.scoring_text(item.rule),
            "rows_url": reverse("assessment-rows")
            + "?"
            + urlencode({**params, "indicator": item.key}),
        }
        for item in (unit.items if unit else [])
    ]
    context = {"a": a, "t": t, "county": county, "unit": unit, "items": items}
    return render(request, "reporting/assessment_unit.html", context)


@login_required
@replica.reads_view
def assessment_rows(request: HttpRequest) -> HttpResponse:
    """The rows behind one unit's indicator (?unit= a county's or a city's code)."""
    user = request_user(request, staff=True)
    try:
        t = jobs.target(request.GET, user)
        a = jobs.load(t, user)
    except ValidationError as exc:
        return _error(request, exc)
    key = request.GET.get("indicator", "")
    if key not in INDICATORS or key not in {r.key for r in a.scheme.rules}:
        return _error(request, ValidationError(_("未知的考核指标：%(k)s") % {"k": key or "—"}))
    unit_id = jobs.unit_of(t, user, request.GET.get("unit", ""))
    qs = jobs.source_rows(t, a, user, unit_id, key)
    indicator = INDICATORS[key]
    page = offset_page(request, qs, 50)
    link = drill.LINKS[indicator.base]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "a": a,
        "t": t,
        "unit": a.unit(unit_id),
        "indicator": indicator,
        "columns": drill.COLUMNS[indicator.base],
        "table": [(link(obj), drill.cells(indicator.base, obj)) for obj in page],
        "page": page,
        "query": query.urlencode(),
    }
    return render(request, "reporting/assessment_rows.html", context)


@login_required
def assessment_export(request: HttpRequest) -> HttpResponse:
    """The XLSX, always as a background job: computing it reads a year of records."""
    user = request_user(request, staff=True)
    try:
        t = jobs.target(request.GET, user)
    except ValidationError as exc:
        return _error(request, exc)
    name = t.city.name if t.city else _("全省")
    job = arrears_jobs.job_start(
        owner=user,
        kind="reporting.assessment",
        params={"query": urlencode(t.params()), "fmt": "xlsx"},
        summary=f"{name} · {t.period.label} · {_('考核')}",
    )
    return sent_to_background(request, job)


@login_required
@require_POST
def assessment_finalise(request: HttpRequest) -> HttpResponse:
    """Finalise an ended period, as a background job (it reads every unit's source rows);
    who may, and whether the period may be, is checked here first so a refusal is immediate."""
    user = request_user(request, staff=True)
    try:
        t = jobs.target(request.POST, user)
        services.check_may_finalise(user=user, period=t.period, city=t.city)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        kept = {k: request.POST[k] for k in ("period", "city_code") if request.POST.get(k)}
        return redirect(reverse("assessment") + "?" + urlencode(kept))
    name = t.city.name if t.city else _("全省")
    job = arrears_jobs.job_start(
        owner=user,
        kind="reporting.assessment_finalise",
        params={"query": urlencode(t.params())},
        summary=f"{name} · {t.period.label} · {_('考核定稿')}",
    )
    messages.info(request, _("正在定稿（任务 %(n)s），完成后将通知你。") % {"n": job.pk})
    return redirect(reverse("assessment") + "?" + urlencode(t.params()))

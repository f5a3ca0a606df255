"""Dashboard pages, the drill-down behind every number, exports and the printable report.
Thin: the figures come from `reporting.selectors`, the rows from `reporting.drill`. Every view
here only reads, so each is marked `replica.reads_view`: its reads may come from the read
replica (arrears/replica.py decides), and each page says how fresh its figures are."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import jobs as arrears_jobs
from arrears import replica
from arrears.job_views import sent_to_background
from arrears.models import City, County, User
from arrears.paging import bounded_count, offset_page
from arrears.request_user import request_user
from arrears.scoping import get_for_user_or_404, scope_of
from reporting import cache, drill, exports, jobs, selectors
from reporting.forms import ReportFilterForm
from reporting.presentation import dashboard_context


def _form(
    request: HttpRequest, user: User, county: County | None = None, city: City | None = None
) -> ReportFilterForm:
    return jobs.filter_form(request.GET, user, county, city)


def _filters(form: ReportFilterForm) -> selectors.Filters | None:
    return form.filters() if form.is_valid() else None


def _board(
    request: HttpRequest, user: User, filters: selectors.Filters, dim: str, form: ReportFilterForm
) -> tuple[selectors.Dashboard, replica.Freshness]:
    fresh = request.GET.get("fresh") == "1"
    return cache.figures(user=user, filters=filters, dim=dim, rank_by=form.rank_by(), fresh=fresh)


@login_required
@replica.reads_view
def overview(request: HttpRequest) -> HttpResponse:
    """The overview: the province's cities ranked (a city's users: its counties ranked).
    Someone who sees one county goes to its page."""
    user = request_user(request, staff=True)
    scope = scope_of(user)
    if scope.county_id is not None:
        county = County.objects.get(pk=scope.county_id)
        url = reverse("report-county", args=[county.code])
        return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
    return _dashboard(request, user, None)


@login_required
@replica.reads_view
def city_page(request: HttpRequest, code: str) -> HttpResponse:
    """One city's page: its counties ranked (what the city overview was before provinces)."""
    user = request_user(request, staff=True)
    city = get_for_user_or_404(City.objects.all(), user, code=code)
    return _dashboard(request, user, None, city)


@login_required
@replica.reads_view
def county_page(request: HttpRequest, code: str) -> HttpResponse:
    user = request_user(request, staff=True)
    county = get_for_user_or_404(County.objects.all(), user, code=code)
    return _dashboard(request, user, county)


def _dashboard(
    request: HttpRequest, user: User, county: County | None, city: City | None = None
) -> HttpResponse:
    form = _form(request, user, county, city)
    filters = _filters(form)
    context: dict[str, Any] = {"form": form, "county": county, "city": city}
    if filters is None:
        return render(request, "reporting/dashboard.html", context, status=400)
    dim = jobs.dimension(user, filters, county)
    board, freshness = _board(request, user, filters, dim, form)
    context.update(dashboard_context(board), freshness=freshness)
    return replica.stamp(render(request, "reporting/dashboard.html", context), freshness)


def _county_of(request: HttpRequest, user: User) -> County | None:
    return jobs.county_of(request.GET, user)


@login_required
@replica.reads_view
def report_print(request: HttpRequest) -> HttpResponse:
    """A printable report of the same figures (A4 landscape, no navigation)."""
    user = request_user(request, staff=True)
    county = _county_of(request, user)
    city = jobs.city_of(request.GET, user)
    form = _form(request, user, county, city)
    filters = _filters(form)
    if filters is None:
        return render(
            request, "reporting/dashboard.html", {"form": form, "county": county}, status=400
        )
    dim = jobs.dimension(user, filters, county)
    board, freshness = _board(request, user, filters, dim, form)
    context = dashboard_context(board)
    context.update(
        {
            "county": county,
            "printed_at": timezone.localtime(),
            "printed_by": user,
            "freshness": freshness,
        }
    )
    return replica.stamp(render(request, "reporting/print.html", context), freshness)


def _drill_rows(request: HttpRequest, user: User) -> tuple[Any, ...]:
    return jobs.drill_rows(request.GET, user)


def _in_background(request: HttpRequest, user: User, kind: str, fmt: str, summary: str) -> Any:
    job = arrears_jobs.job_start(
        owner=user,
        kind=kind,
        params={"query": request.GET.urlencode(), "fmt": fmt},
        summary=summary,
    )
    return sent_to_background(request, job)


ROWS_COUNT_BOUND = 10_000


@login_required
@replica.reads_view
def rows(request: HttpRequest) -> HttpResponse:
    """The list a dashboard number counts (same subset, same filters, same scope)."""
    user = request_user(request, staff=True)
    form, name, filters, qs, error = _drill_rows(request, user)
    if qs is None:
        return render(request, "reporting/rows.html", {"form": form, "error": error}, status=400)
    base = selectors.SUBSETS[name].base
    page = offset_page(request, qs, 50)
    # The total is the dashboard number this list explains: exact up to ROWS_COUNT_BOUND,
    # "more than" beyond it, so a list of a million rows is not counted on every page.
    count, more = bounded_count(qs, ROWS_COUNT_BOUND)
    link = drill.LINKS[base]
    table = [(link(obj), drill.cells(base, obj)) for obj in page]
    query = request.GET.copy()
    query.pop("page", None)
    freshness = replica.current()
    response = render(
        request,
        "reporting/rows.html",
        {
            "freshness": freshness,
            "form": form,
            "subset": selectors.SUBSETS[name],
            "subset_name": name,
            "part": request.GET.get("part", ""),
            "filters": filters,
            "columns": drill.COLUMNS[base],
            "table": table,
            "page": page,
            "count": count,
            "count_more": more,
            "query": query.urlencode(),
        },
    )
    return replica.stamp(response, freshness)


@login_required
@replica.reads_view
def rows_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """The same rows as CSV (streamed) or XLSX (written row by row to a temporary file)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    user = request_user(request, staff=True)
    form, name, filters, qs, error = _drill_rows(request, user)
    if qs is None:
        return render(request, "reporting/rows.html", {"form": form, "error": error}, status=400)
    base = selectors.SUBSETS[name].base
    stem = f"{name}-{filters.period.code}"
    # More than a few thousand rows would keep the request (and a gunicorn worker) busy past
    # its timeout: such exports run as a job and the owner downloads the file when complete.
    if arrears_jobs.export_in_background(
        rows=qs.count(), asked=request.GET.get("background") == "1"
    ):
        label = selectors.SUBSETS[name].label
        summary = f"{label} · {filters.period.label} · {fmt.upper()}"
        return _in_background(request, user, "reporting.rows", fmt, summary)
    if fmt == "csv":
        # Streamed: the rows are read while the response is sent, after this view (and its
        # marked block) returned, so the queryset names its database now.
        return replica.stamp(exports.rows_csv(base, replica.pinned(qs), stem), replica.current())
    title = str(selectors.SUBSETS[name].label)
    return replica.stamp(exports.rows_xlsx(base, qs, stem, title=title), replica.current())


@login_required
@replica.reads_view
def table_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """The ranking table (units × figures, with the total) as XLSX or CSV, in yuan."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    user = request_user(request, staff=True)
    county = _county_of(request, user)
    city = jobs.city_of(request.GET, user)
    form = _form(request, user, county, city)
    filters = _filters(form)
    if filters is None:
        return render(
            request, "reporting/dashboard.html", {"form": form, "county": county}, status=400
        )
    dim = jobs.dimension(user, filters, county)
    if request.GET.get("background") == "1" or not cache.is_cached(
        user=user, filters=filters, dim=dim, rank_by=form.rank_by()
    ):
        # Computing the figures takes seconds over a large city; the table is exported from
        # the cached dashboard in the request, or computed in a job.
        summary = f"{county.name if county else _('全市')} · {filters.period.label}"
        return _in_background(request, user, "reporting.table", fmt, summary)
    board, freshness = _board(request, user, filters, dim, form)
    stem = f"report-{county.code if county else 'city'}-{filters.period.code}"
    if fmt == "csv":
        return replica.stamp(exports.table_csv(board, stem), freshness)
    return replica.stamp(exports.table_xlsx(board, stem), freshness)

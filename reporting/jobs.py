"""Exports of the dashboards as background jobs (arrears/jobs.py): the rows behind any number
and the ranking table. The parameters are the page's query string; the job rebuilds the same
form, subset and scope for its owner, so a file holds exactly what the owner's page lists."""

from __future__ import annotations

from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import jobs
from arrears.models import City, County, Job, User
from arrears.scoping import for_user, get_for_user_or_404, scope_of
from arrears.spreadsheets import write_csv
from reporting import cache, drill, exports, selectors
from reporting.forms import ReportFilterForm


def filter_form(
    params: QueryDict, user: User, county: County | None = None, city: City | None = None
) -> ReportFilterForm:
    # Always bound: with no parameters every filter is empty and the period is this year.
    return ReportFilterForm(params, user=user, county=county, city=city)


def dimension(user: User, filters: selectors.Filters, county: County | None) -> str:
    """What a dashboard ranks: a county page its departments; a city (a city page, a city
    picked, or a user or deployment with one city) its counties; the province its cities."""
    if county is not None:
        return "department"
    if filters.city_id or for_user(City.objects.all(), user).count() < 2:
        return "county"
    return "city"


def city_of(params: QueryDict, user: User) -> City | None:
    """The city a report or export is about: ?city_code= (404 outside the user's scope)."""
    code = params.get("city_code", "")
    if code:
        return get_for_user_or_404(City.objects.all(), user, code=code)
    return None


def county_of(params: QueryDict, user: User) -> County | None:
    """The county a report or export is about: ?county_code= (404 outside the user's scope),
    else the user's own county, else none (the whole city)."""
    code = params.get("county_code", "")
    if code:
        return get_for_user_or_404(County.objects.all(), user, code=code)
    county_id = scope_of(user).county_id
    return County.objects.get(pk=county_id) if county_id is not None else None


def _subset(params: QueryDict) -> tuple[str, Any]:
    """The subset named by ?subset= and the breakdown slice named by ?part=name:value."""
    name = params.get("subset", "")
    if name not in selectors.SUBSETS:
        return "", _("未知的统计口径：%(s)s") % {"s": name or "—"}
    part = params.get("part", "")
    if part:
        breakdown, _sep, value = part.partition(":")
        if not selectors.breakdown_valid(name, breakdown, value):
            return "", _("未知的分类：%(p)s") % {"p": part}
    return name, None


def drill_rows(params: QueryDict, user: User) -> tuple[Any, ...]:
    """(form, subset name, filters, rows queryset, error) for a drill-down query string."""
    form = filter_form(params, user)
    name, error = _subset(params)
    filters = form.filters() if form.is_valid() else None
    if error or filters is None:
        return form, name, None, None, error
    qs = selectors.subset_queryset(name, user=user, filters=filters)
    part = params.get("part", "")
    if part:
        breakdown, _sep, value = part.partition(":")
        qs = qs.filter(selectors.breakdown_condition(breakdown, value))
    base = selectors.SUBSETS[name].base
    return form, name, filters, drill.rows_queryset(base, qs), None


def _params(job: Job) -> QueryDict:
    return QueryDict(job.params.get("query", ""))


def _run_rows(job: Job, progress: jobs.Progress, out: IO[bytes]) -> jobs.Outcome:
    _form, name, filters, qs, error = drill_rows(_params(job), job.owner)
    if qs is None:
        raise ValidationError(str(error or _("筛选条件有误")))
    fmt = job.params.get("fmt", "csv")
    progress.expect(qs.count())
    base = selectors.SUBSETS[name].base
    if fmt == "xlsx":
        title = str(selectors.SUBSETS[name].label)
        exports.write_rows_xlsx(out, base, qs, title, tick=progress.advance)
    else:
        exports.write_rows_csv(out, base, qs, tick=progress.advance)
    return jobs.Outcome(filename=f"{name}-{filters.period.code}.{fmt}")


def _run_table(job: Job, progress: jobs.Progress, out: IO[bytes]) -> jobs.Outcome:
    params = _params(job)
    try:
        county = county_of(params, job.owner)
    except Http404 as exc:
        raise PermissionDenied(_("无权查看该县（区）")) from exc
    try:
        city = city_of(params, job.owner)
    except Http404 as exc:
        raise PermissionDenied(_("无权查看该地级市")) from exc
    form = filter_form(params, job.owner, county, city)
    if not form.is_valid():
        raise ValidationError(_("筛选条件有误"))
    filters = form.filters()
    dim = dimension(job.owner, filters, county)
    board = cache.dashboard(user=job.owner, filters=filters, dim=dim, rank_by=form.rank_by())
    progress.expect(len(board.units) + 1)
    if job.params.get("fmt") == "xlsx":
        exports.table_workbook(board).save(out)
    else:
        write_csv(out, exports.table_lines(board))
    progress.advance(len(board.units) + 1)
    stem = (
        f"report-{county.code if county else (city.code if city else 'all')}-{filters.period.code}"
    )
    return jobs.Outcome(filename=f"{stem}.{job.params.get('fmt', 'csv')}")


# Both only read, as the pages they export: from the replica when it may serve them.
jobs.register("reporting.rows", gettext_lazy("明细导出"), _run_rows, replica_reads=True)
jobs.register("reporting.table", gettext_lazy("统计表导出"), _run_table, replica_reads=True)

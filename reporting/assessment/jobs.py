"""Which assessment a query string names (for the pages and the export job alike), the rows
behind one unit's indicator, and the XLSX export, which runs as a background job
(arrears/jobs.py), never in a request: computing a city's assessment reads a year of its
records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from arrears import jobs
from arrears.models import City, County, Job, User
from arrears.permissions import can_view_assessment
from arrears.scoping import for_user, get_for_user_or_404, scope_of
from reporting import drill, exports, metrics, periods
from reporting.assessment import services
from reporting.assessment.indicators import INDICATORS, Context
from reporting.assessment.scoring import Assessment, Item, assessment, check_period
from reporting.selectors import BASES


@dataclass(frozen=True)
class Target:
    """An assessment: the period, whose units ("county": a city's; "city": the province's)."""

    period: periods.Period
    dim: str
    city: City | None

    def params(self) -> dict[str, str]:
        out = {"period": self.period.code}
        if self.city is not None:
            out["city_code"] = self.city.code
        return out


def _period(params: QueryDict) -> periods.Period:
    period = periods.parse(params.get("period"), params.get("start"), params.get("end"))
    check_period(period)
    return period


def target(params: QueryDict, user: User, city: City | None = None) -> Target:
    """The assessment the user asks for: ?city_code= (404 outside their scope), else what
    their scope is: the province's cities (a province of one city: its counties), their
    city's counties, or their own county. Department staff are not assessed: 403.
    ValidationError for a period that is not a year or a quarter."""
    period = _period(params)
    code = params.get("city_code", "")
    if city is None and code:
        city = get_for_user_or_404(City.objects.all(), user, code=code)
    if not can_view_assessment(user):
        raise PermissionDenied(_("考核结果供根治欠薪办、市县负责人查看"))
    if city is not None:
        return Target(period, "county", city)
    scope = scope_of(user)
    if scope.everything:
        cities = list(City.objects.order_by("code")[:2])
        if len(cities) == 1:
            return Target(period, "county", cities[0])
        return Target(period, "city", None)
    if scope.city_id is not None:
        return Target(period, "county", City.objects.get(pk=scope.city_id))
    county = County.objects.select_related("city").get(pk=scope.county_id)
    return Target(period, "county", county.city)


def load(t: Target, user: User) -> Assessment:
    return assessment(user=user, period=t.period, dim=t.dim, city=t.city)


def unit_of(t: Target, user: User, code: str) -> int:
    """The id of the unit named by its code, among the units the user may see."""
    if t.dim == "county":
        county = get_for_user_or_404(County.objects.filter(city=t.city), user, code=code)
        return county.pk
    return get_for_user_or_404(City.objects.all(), user, code=code).pk


def source_rows(t: Target, a: Assessment, user: User, unit_id: int, key: str) -> QuerySet[Any]:
    """The rows behind a unit's indicator: live, the indicator's own rows; finalised, the rows
    it counted then (their current state, still through the user's scope)."""
    indicator = INDICATORS[key]
    item = _item(a, unit_id, key)
    if a.result is not None:
        model = apps.get_model(BASES[indicator.base].model)
        qs = for_user(model._default_manager.filter(pk__in=item.row_ids or []), user)
    else:
        ctx = Context(
            user=user,
            period=t.period,
            dim=t.dim,
            city_id=t.city.pk if t.city else None,
            now=timezone.now(),
        )
        qs = indicator.rows(ctx, unit_id)
    return drill.rows_queryset(indicator.base, qs)


def _item(a: Assessment, unit_id: int, key: str) -> Item:
    unit = a.unit(unit_id)
    if unit is None:
        raise Http404
    for item in unit.items:
        if item.key == key:
            return item
    raise Http404


# --- The XLSX -------------------------------------------------------------------------------


def _score_sheet(workbook: Workbook, a: Assessment) -> None:
    sheet = workbook.create_sheet(title=str(_("考核结果")))
    status = (
        _("已定稿（%(who)s，%(at)s）")
        % {
            "who": a.result.finalised_by,
            "at": f"{timezone.localtime(a.result.finalised_at):%Y-%m-%d %H:%M}",
        }
        if a.result
        else _("实时计算，未定稿")
    )
    sheet.append([str(_("考核期间")), a.period.label, str(status)])
    labels = [str(_("排名")), str(_("单位"))]
    kinds = ["int", "text"]
    for rule in a.scheme.rules:
        label = str(INDICATORS[rule.key].label) if rule.key in INDICATORS else rule.key
        labels += [label, f"{label}{_('（得分）')}"]
        kinds += [INDICATORS[rule.key].unit if rule.key in INDICATORS else "text", metrics.SCORE]
    labels += [str(_("总分")), str(_("等级"))]
    kinds += [metrics.SCORE, "text"]
    sheet.append(exports._header(sheet, labels))
    for unit in a.units:
        row: list[Any] = [unit.rank, unit.name]
        for item in unit.items:
            row += [item.value, item.points]
        row += [unit.total, unit.grade]
        sheet.append([exports._cell(sheet, v, k) for v, k in zip(row, kinds, strict=True)])


def _rows_sheets(workbook: Workbook, t: Target, a: Assessment, user: User, tick: Any) -> None:
    """One sheet per indicator that cost points (deductions, an uncleared backlog, the rows
    of a score item short of its full points), listing its rows unit by unit."""
    for rule in a.scheme.rules:
        indicator = INDICATORS.get(rule.key)
        if indicator is None:
            continue
        costly = [
            (unit, item)
            for unit in a.units
            for item in unit.items
            if item.key == rule.key and item.points < item.rule.weight
        ]
        if not costly:
            continue
        sheet = workbook.create_sheet(title=str(indicator.label)[:31])
        columns = drill.COLUMNS[indicator.base]
        sheet.append(exports._header(sheet, [str(_("单位")), *(str(c.label) for c in columns)]))
        for unit, _item in costly:
            rows = source_rows(t, a, user, unit.id, rule.key)
            for obj in rows.iterator(chunk_size=2000):
                cells = drill.cells(indicator.base, obj)
                sheet.append(
                    [
                        exports._cell(sheet, unit.name, "text"),
                        *(
                            exports._cell(sheet, v, c.kind)
                            for c, v in zip(columns, cells, strict=True)
                        ),
                    ]
                )
                tick(1)


def write_xlsx(out: IO[bytes], t: Target, a: Assessment, user: User, tick: Any) -> None:
    workbook = Workbook(write_only=True)
    _score_sheet(workbook, a)
    _rows_sheets(workbook, t, a, user, tick)
    notes = workbook.create_sheet(title=str(_("指标口径")))
    notes.append(exports._header(notes, [str(_("指标")), str(_("口径")), str(_("计分"))]))
    for rule in a.scheme.rules:
        if rule.key in INDICATORS:
            ind = INDICATORS[rule.key]
            notes.append([str(ind.label), str(ind.definition), scoring_text(rule)])
    notes.append(
        [
            str(_("等级")),
            str(_("A级≥%(a)s分，B级≥%(b)s分，其余C级"))
            % {"a": a.scheme.grade_a_min, "b": a.scheme.grade_b_min},
            a.scheme.source,
        ]
    )
    workbook.save(out)


def scoring_text(rule: Any) -> str:
    """How a rule scores, in words (the page's footnote and the export's notes)."""
    if rule.kind == "deduction":
        text = _("每件扣%(p)s分") % {"p": rule.per_unit}
        if rule.cap is not None:
            text += _("，最多扣%(c)s分") % {"c": rule.cap}
        return str(text)
    if rule.kind == "clearance":
        return str(_("为0得%(w)s分，否则不得分") % {"w": rule.weight})
    if rule.target is not None:
        return str(
            _("满分%(w)s分，达到%(t)s得满分，按比例计分") % {"w": rule.weight, "t": rule.target}
        )
    return str(_("满分%(w)s分，按比例计分") % {"w": rule.weight})


def _run(job: Job, progress: jobs.Progress, out: IO[bytes]) -> jobs.Outcome:
    params = QueryDict(job.params.get("query", ""))
    try:
        t = target(params, job.owner)
    except Http404 as exc:
        raise PermissionDenied(_("无权查看该地级市")) from exc
    a = load(t, job.owner)
    write_xlsx(out, t, a, job.owner, progress.advance)
    stem = f"assessment-{t.city.code if t.city else 'province'}-{t.period.code}"
    return jobs.Outcome(filename=f"{stem}.xlsx")


def _finalise(job: Job, progress: jobs.Progress, out: IO[bytes]) -> jobs.Outcome:
    params = QueryDict(job.params.get("query", ""))
    try:
        t = target(params, job.owner)
    except Http404 as exc:
        raise PermissionDenied(_("无权查看该地级市")) from exc
    result = services.assessment_finalise(user=job.owner, period=t.period, city=t.city)
    return jobs.Outcome(report={"result": result.pk, "period": result.period})


# Reads only, as the page it exports: from the replica when it may serve it.
jobs.register("reporting.assessment", gettext_lazy("考核结果导出"), _run, replica_reads=True)
# Finalising reads every unit's source rows (two queries per unit and indicator), which over a
# large city outlasts a request; it writes, so it reads from the primary.
jobs.register(
    "reporting.assessment_finalise", gettext_lazy("考核结果定稿"), _finalise, writes_file=False
)

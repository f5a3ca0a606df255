"""The dashboards' JSON API: every number of the city overview and of a county page, with the
same filters and the same scope as the pages. Amounts are decimal strings in yuan (exact to the
fen), rates fractions with 4 decimals (0.8125 = 81.25%). Read from the replica when it may serve
them (arrears/replica.py); the headers X-Data-As-Of and X-Data-Source say how fresh they are."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arrears import replica
from arrears.api.exceptions import rule_refusal
from arrears.models import City, County, Role, User
from arrears.scoping import get_for_user_or_404
from complaints.models import Channel
from reporting import cache, jobs, metrics, selectors
from reporting.forms import ReportFilterForm


def _metric_field(metric: metrics.Metric) -> serializers.Field:
    help_text = str(metric.definition)
    if metric.unit == metrics.COUNT:
        return serializers.IntegerField(help_text=help_text)
    if metric.unit == metrics.YUAN:
        return serializers.DecimalField(max_digits=16, decimal_places=2, help_text=help_text)
    if metric.unit == metrics.RATE:
        # Rates are at most 1 (recovered ≤ owed is a database constraint on cases); the field
        # does not cap them, so a wrong figure would show rather than be clipped.
        return serializers.DecimalField(
            max_digits=16, decimal_places=4, allow_null=True, help_text=help_text
        )
    return serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True, help_text=help_text
    )


# One field per metric, built from the definitions so the schema documents every figure.
MetricsSerializer = type(
    "ReportMetrics",
    (serializers.Serializer,),
    {key: _metric_field(metric) for key, metric in metrics.METRICS.items()},
)


class PeriodSerializer(serializers.Serializer):
    kind = serializers.CharField()
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label"
    start = serializers.DateField()
    end = serializers.DateField()


class UnitSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True, help_text="县（区）或部门 id；null 为合计或待分派"
    )
    code = serializers.CharField()
    name = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True)
    values = MetricsSerializer()
    previous = MetricsSerializer(help_text="上一期间（环比）")
    last_year = MetricsSerializer(help_text="去年同期（同比）")
    avg_days_change = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        allow_null=True,
        help_text=str(metrics.AVG_DAYS_CHANGE_DEFINITION),
    )


class SliceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label"
    count = serializers.IntegerField()


class BreakdownsSerializer(serializers.Serializer):
    channel = SliceSerializer(many=True, help_text="期间内收到的投诉，按渠道")
    industry = SliceSerializer(many=True, help_text="期间内受理的案件，按行业")
    investment = SliceSerializer(many=True, help_text="期间内受理的案件，按投资类型")
    triage = SliceSerializer(many=True, help_text="期间内受理的案件，按办理分类")
    outcome = SliceSerializer(many=True, help_text="期间内办结的案件，按办理结果")


class TrendSerializer(serializers.Serializer):
    months = serializers.ListField(child=serializers.DateField())
    received = serializers.ListField(child=serializers.IntegerField())
    closed = serializers.ListField(child=serializers.IntegerField())
    on_time = serializers.ListField(child=serializers.IntegerField())
    recovered = serializers.ListField(
        child=serializers.DecimalField(max_digits=16, decimal_places=2)
    )


class OverdueUnitSerializer(serializers.Serializer):
    county_id = serializers.IntegerField(allow_null=True)
    county_name = serializers.CharField(allow_null=True)
    department_id = serializers.IntegerField(allow_null=True)
    department_name = serializers.CharField(allow_null=True)
    n = serializers.IntegerField(help_text="逾期案件数")
    orders = serializers.IntegerField(help_text="超期未整改的责令整改数")


class DefinitionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label"
    unit = serializers.CharField()
    definition = serializers.CharField()
    snapshot = serializers.BooleanField()


class DashboardSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=["city", "county", "department"])
    period = PeriodSerializer()
    previous_period = PeriodSerializer()
    last_year_period = PeriodSerializer()
    computed_at = serializers.DateTimeField()
    rank_by = serializers.CharField()
    total = UnitSerializer()
    units = UnitSerializer(many=True)
    breakdowns = BreakdownsSerializer()
    trend = TrendSerializer()
    overdue_units = OverdueUnitSerializer(many=True)
    close_limit_days = serializers.IntegerField(
        allow_null=True,
        help_text="法定办结时限（立案后工作日数，按市配置），与平均办结用时对照；"
        "所含各市配置不同时为 null",
    )
    definitions = DefinitionSerializer(many=True)


PARAMETERS = [
    OpenApiParameter(
        "period",
        OpenApiTypes.STR,
        description="2026-10（月）、2026-Q3（季度）、2026（年）或 custom；默认本年",
        pattern=r"^(\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?|custom)$",
    ),
    OpenApiParameter("start", OpenApiTypes.DATE, description="period=custom 时的开始日期"),
    OpenApiParameter("end", OpenApiTypes.DATE, description="period=custom 时的结束日期（含）"),
    OpenApiParameter("department", OpenApiTypes.INT, description="部门 id"),
    OpenApiParameter("industry", OpenApiTypes.INT, description="行业 id"),
    OpenApiParameter(
        "channel",
        OpenApiTypes.STR,
        enum=Channel.values,
        description="渠道（仅作用于投诉和案件指标）",
    ),
    OpenApiParameter("rank", OpenApiTypes.STR, enum=list(metrics.RANKABLE), description="排名依据"),
    OpenApiParameter(
        "fresh", OpenApiTypes.STR, enum=["1"], description="1：重新计算，不用缓存的结果"
    ),
]


def _period(p: Any) -> dict[str, Any]:
    return {"kind": p.kind, "code": p.code, "label": p.label, "start": p.start, "end": p.end}


def _unit(u: selectors.Unit) -> dict[str, Any]:
    return {
        "id": u.id,
        "code": u.code,
        "name": u.name,
        "rank": u.rank,
        "values": u.values,
        "previous": u.previous,
        "last_year": u.last_year,
        "avg_days_change": u.avg_days_change,
    }


def _payload(board: selectors.Dashboard) -> dict[str, Any]:
    p = board.filters.period
    return {
        "dimension": board.dim,
        "period": _period(p),
        "previous_period": _period(p.previous()),
        "last_year_period": _period(p.last_year()),
        "computed_at": board.computed_at,
        "rank_by": board.rank_by,
        "total": _unit(board.total),
        "units": [_unit(u) for u in board.units],
        "breakdowns": board.breakdowns,
        "trend": board.trend,
        "overdue_units": board.overdue_units,
        "close_limit_days": board.close_limit,
        "definitions": [
            {
                "key": key,
                "label": str(m.label),
                "unit": m.unit,
                "definition": str(m.definition),
                "snapshot": m.snapshot,
            }
            for key, m in metrics.METRICS.items()
        ],
    }


class _DashboardView(APIView):
    def _board(self, request: Request, county: County | None, city: City | None = None) -> Response:
        user = request.user
        assert isinstance(user, User)
        if user.role == Role.INTEGRATION_CLIENT:
            raise PermissionDenied
        # The form reads start and end only for a custom period; the API refuses a malformed
        # one whatever the period, as its schema (a date) says.
        malformed = {}
        for name in ("start", "end"):
            value = request.query_params.get(name, "")
            try:
                if value:
                    datetime.date.fromisoformat(value)
            except ValueError:
                malformed[name] = [_("日期格式应为 YYYY-MM-DD")]
        if request.query_params.get("fresh", "") not in ("", "1"):
            malformed["fresh"] = [_("fresh 只能为 1")]
        if malformed:
            raise ValidationError(malformed)
        form = ReportFilterForm(request.query_params, user=user, county=county, city=city)
        if "city" not in form.fields and any(
            not v.isdigit() for v in request.query_params.getlist("city")
        ):
            # A user of one city is offered no city filter; a city id that is not one is still
            # refused, as the form refuses a county id that is not one (422).
            return rule_refusal({"city": [_("所选项不存在或不在您的查看范围内")]})
        if not form.is_valid():
            errors = {
                field: [e["message"] for e in errors]
                for field, errors in form.errors.get_json_data().items()
            }
            # Channel and ranking are enums in the schema: a value outside them is malformed
            # (400). The rest is well-formed and refused by the data or the calendar (422): a
            # unit outside the caller's scope, a period that has not begun, an end before the
            # start.
            if errors.keys() & {"channel", "rank"}:
                raise ValidationError(errors)
            return rule_refusal(errors)
        filters = form.filters()
        board, freshness = cache.figures(
            fresh=request.query_params.get("fresh") == "1",
            user=user,
            filters=filters,
            dim=jobs.dimension(user, filters, county),
            rank_by=form.rank_by(),
        )
        response = Response(DashboardSerializer(_payload(board)).data)
        replica.stamp(response, freshness)
        return response


@method_decorator(replica.reads_view, name="get")
class CityDashboardView(_DashboardView):
    @extend_schema(
        summary="总览统计（全省按地级市排名，一个市按县区排名）",
        description="总览的全部数字：各单位与合计、环比与同比、分类、月度趋势、逾期单位。"
        "按用户数据范围统计：省级用户得到各地级市（dimension=city；只有一个市时按县区），"
        "市级用户得到本市各县（区），县（区）用户只得到本县（区）。",
        parameters=[
            *PARAMETERS,
            OpenApiParameter(
                "city", OpenApiTypes.INT, description="只统计该地级市id（按县区排名）"
            ),
            OpenApiParameter("county", OpenApiTypes.INT, description="只统计该县（区）id"),
        ],
        responses=DashboardSerializer,
    )
    def get(self, request: Request) -> Response:
        return self._board(request, None)


@method_decorator(replica.reads_view, name="get")
class CityPageDashboardView(_DashboardView):
    @extend_schema(
        summary="地级市统计（按县区排名）",
        description="一个地级市页面的全部数字，按县（区）分行。不在数据范围内的市返回 404。",
        parameters=PARAMETERS,
        responses=DashboardSerializer,
    )
    def get(self, request: Request, code: str) -> Response:
        city = get_for_user_or_404(City.objects.all(), request.user, code=code)
        return self._board(request, None, city)


@method_decorator(replica.reads_view, name="get")
class CountyDashboardView(_DashboardView):
    @extend_schema(
        summary="县（区）统计（按部门）",
        description="县（区）页面的全部数字，按部门分行。不在数据范围内的县（区）返回 404。",
        parameters=PARAMETERS,
        responses=DashboardSerializer,
    )
    def get(self, request: Request, code: str) -> Response:
        user = request.user
        county = get_for_user_or_404(County.objects.all(), user, code=code)
        return self._board(request, county)

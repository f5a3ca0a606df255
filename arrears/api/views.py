"""API views of the shared building blocks. Thin: validate input, call a selector/service."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arrears import selectors, services, workdays
from arrears.api import serializers as s
from arrears.models import CalendarYear, County, Department, Notification
from arrears.request_user import request_user
from arrears.scoping import for_user


class MeView(APIView):
    @extend_schema(responses=s.MeSerializer, summary="当前用户及其数据范围")
    def get(self, request: Request) -> Response:
        return Response(s.MeSerializer(request.user).data)


class CountyViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.CountySerializer
    queryset = County.objects.none()  # for the schema generator; get_queryset scopes
    lookup_field = "code"
    filterset_fields = ["code"]

    def get_queryset(self) -> Any:
        return for_user(County.objects.all(), request_user(self.request))


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.DepartmentSerializer
    queryset = Department.objects.none()
    filterset_fields = ["kind", "level", "county__code"]

    def get_queryset(self) -> Any:
        return selectors.department_list(user=request_user(self.request))


@extend_schema_field({"type": "boolean"})
class _IsNullFilter(django_filters.TypedChoiceFilter):
    pass


class NotificationFilter(django_filters.FilterSet):
    # Strict where django-filter's BooleanFilter is not: it reads any other value as "not
    # given", so ?read_at__isnull=yes listed everything. Other values are a 400.
    read_at__isnull = _IsNullFilter(
        field_name="read_at",
        lookup_expr="isnull",
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
    )

    class Meta:
        model = Notification
        fields = ["kind"]


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.NotificationSerializer
    queryset = Notification.objects.none()
    filterset_class = NotificationFilter

    def get_queryset(self) -> Any:
        return selectors.notifications_for(user=request_user(self.request))

    @extend_schema(request=s.MarkReadSerializer, responses=s.MarkReadResultSerializer)
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request: Request) -> Response:
        data = s.MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marked = services.notification_mark_read(
            user=request_user(request), ids=data.validated_data.get("ids")
        )
        return Response({"marked": marked})


class _CalendarView(APIView):
    query_serializer: type[Any]

    def params(self, request: Request) -> dict[str, Any]:
        data = self.query_serializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)


class AddWorkingDaysView(_CalendarView):
    query_serializer = s.AddWorkingDaysSerializer

    @extend_schema(
        parameters=[s.AddWorkingDaysSerializer],
        responses=s.CalendarAnswerSerializer,
        summary="起算日加N个工作日（起算日不计入）",
    )
    def get(self, request: Request) -> Response:
        p = self.params(request)
        calendar = workdays.get_calendar()
        result = calendar.add_working_days(p["date"], p["days"])
        return Response({"date": result, "provisional": calendar.is_provisional(p["date"], result)})


class WorkingDaysBetweenView(_CalendarView):
    query_serializer = s.BetweenSerializer

    @extend_schema(
        parameters=[s.BetweenSerializer],
        responses=s.CalendarAnswerSerializer,
        summary="两日期之间的工作日数（不含起始日，含结束日）",
    )
    def get(self, request: Request) -> Response:
        p = self.params(request)
        calendar = workdays.get_calendar()
        return Response(
            {
                "working_days": calendar.working_days_between(p["start"], p["end"]),
                "provisional": calendar.is_provisional(p["start"], p["end"]),
            }
        )


class IsWorkingDayView(_CalendarView):
    query_serializer = s.DateQuerySerializer

    @extend_schema(
        parameters=[s.DateQuerySerializer],
        responses=s.CalendarAnswerSerializer,
        summary="是否工作日，及该工作日截止时刻",
    )
    def get(self, request: Request) -> Response:
        p = self.params(request)
        calendar = workdays.get_calendar()
        return Response(
            {
                "date": p["date"],
                "is_working_day": calendar.is_working_day(p["date"]),
                "end_of_working_day": calendar.end_of_working_day(p["date"]),
                "provisional": calendar.is_provisional(p["date"]),
            }
        )


@extend_schema_view(
    # Typed by hand: the derived bounds of the year column differ between SQLite and PostgreSQL.
    retrieve=extend_schema(parameters=[OpenApiParameter("year", int, OpenApiParameter.PATH)])
)
class CalendarYearViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.CalendarYearSerializer
    queryset = CalendarYear.objects.all()
    lookup_field = "year"
    lookup_value_regex = r"\d{4}"
    pagination_class = None

"""REST endpoints of the projects side: the registry (scoped), the checklist, employers and
their lists, monthly wage records (entered by staff or pushed by an integration client such as
the bank or the monitoring platform) and warnings with their disposition."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from arrears.api.exceptions import rule_refusal
from arrears.api.serializers import ErrorSerializer
from arrears.identifiers import mask_bank_account, mask_phone
from arrears.request_user import request_user
from arrears.scoping import for_user
from complaints.cases.api import CaseSerializer
from complaints.integration.authentication import ApiKeyAuthentication, ClientRateThrottle
from projects import permissions, selectors, services
from projects.models import (
    CHECKLIST,
    Employer,
    EmployerListing,
    ItemState,
    ListKind,
    MonthlyWageRecord,
    Project,
    Warning,
    checked_items,
)

ERRORS = {
    400: OpenApiResponse(description="输入有误（按字段列出错误信息）"),
    403: OpenApiResponse(ErrorSerializer, description="无权执行该操作"),
    404: OpenApiResponse(ErrorSerializer, description="不存在或不在您的数据范围内"),
    409: OpenApiResponse(ErrorSerializer, description="当前状态不允许该操作"),
}


class ProjectSerializer(serializers.ModelSerializer):
    county = serializers.CharField(source="county.code")
    industry = serializers.CharField(source="industry.code")
    # Null for a project no department supervises yet.
    department = serializers.CharField(source="department.name", default=None, allow_null=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "name",
            "county",
            "industry",
            "department",
            "address",
            "investment_type",
            "contract_value",
            "labour_cost_share",
            "start_date",
            "planned_completion",
            "status",
        ]


FACT_KEYS = ("bank", "account", "issuer", "form")


class ChecklistItemSerializer(serializers.Serializer):
    """One "5+3" item of a project as recorded (state "unknown" until first verified); the
    wage account's number is masked."""

    item = serializers.ChoiceField(choices=CHECKLIST)
    name = serializers.CharField()
    state = serializers.ChoiceField(choices=ItemState.choices)
    verified_on = serializers.DateField(allow_null=True)
    verified_by = serializers.CharField(allow_null=True)
    evidence = serializers.CharField()
    amount = serializers.DecimalField(max_digits=15, decimal_places=2, allow_null=True)
    expires_on = serializers.DateField(allow_null=True)
    facts = serializers.DictField(child=serializers.CharField())


def _checklist_rows(project: Project) -> list[dict[str, Any]]:
    recorded = {c.item: c for c in project.checklist.select_related("verified_by")}
    rows = []
    for code, label in checked_items():  # the items checked (compliance.items)
        entry = recorded.get(code)
        facts = {k: str(v) for k, v in (entry.facts if entry else {}).items()}
        if facts.get("account"):
            facts["account"] = mask_bank_account(facts["account"])
        rows.append(
            {
                "item": code,
                "name": str(label),
                "state": entry.state if entry else ItemState.UNKNOWN,
                "verified_on": entry.verified_on if entry else None,
                "verified_by": str(entry.verified_by) if entry and entry.verified_by else None,
                "evidence": entry.evidence if entry else "",
                "amount": entry.amount if entry else None,
                "expires_on": entry.expires_on if entry else None,
                "facts": facts,
            }
        )
    return rows


class ChecklistVerifyIn(serializers.Serializer):
    """A verification of one item; the verifier is the caller, the date today unless given."""

    item = serializers.ChoiceField(choices=CHECKLIST)
    state = serializers.ChoiceField(
        choices=[c for c in ItemState.choices if c[0] != ItemState.UNKNOWN]
    )
    evidence = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    verified_on = serializers.DateField(required=False)
    amount = serializers.DecimalField(
        max_digits=15, decimal_places=2, required=False, allow_null=True
    )
    expires_on = serializers.DateField(required=False, allow_null=True)
    bank = serializers.CharField(max_length=100, required=False, allow_blank=True)
    account = serializers.CharField(max_length=40, required=False, allow_blank=True)
    issuer = serializers.CharField(max_length=100, required=False, allow_blank=True)
    form = serializers.CharField(max_length=50, required=False, allow_blank=True)


class MaskedPhoneField(serializers.CharField):
    """A phone number shown masked (PIPL); the full number is never sent."""

    def to_representation(self, value: Any) -> str:
        return mask_phone(value) if value else ""


class ListingSerializer(serializers.ModelSerializer):
    class Meta:
        model = EmployerListing
        fields = ["id", "kind", "reason", "listed_on", "expires_on", "removed_on", "removal_reason"]


class EmployerSerializer(serializers.ModelSerializer):
    phone = MaskedPhoneField(read_only=True)
    listings = ListingSerializer(many=True, read_only=True, help_text="名单记录（含已移出的）")

    class Meta:
        model = Employer
        fields = [
            "id",
            "name",
            "credit_code",
            "legal_representative",
            "contact",
            "phone",
            "address",
            "listings",
        ]


class ListingAddIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ListKind.choices)
    reason = serializers.CharField(max_length=300)
    listed_on = serializers.DateField()
    expires_on = serializers.DateField(required=False, allow_null=True)


class ListingRemoveIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ListKind.choices)
    removed_on = serializers.DateField()
    reason = serializers.CharField(max_length=300)


class WageRecordSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="code", queryset=Project.objects.all())
    # The column's bound: past it PostgreSQL refused the row with a 500.
    workers_on_roll = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    workers_paid = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    # Required, not the model's default of 0: a push without the amounts is not a month with
    # nothing paid (and the service needs both).
    labour_cost_paid_in = serializers.DecimalField(
        max_digits=15,
        decimal_places=2,
        min_value=Decimal("0"),
        label=gettext_lazy("拨付人工费用（元）"),
    )
    amount_paid = serializers.DecimalField(
        max_digits=15,
        decimal_places=2,
        min_value=Decimal("0"),
        label=gettext_lazy("银行代发金额（元）"),
    )

    class Meta:
        model = MonthlyWageRecord
        fields = [
            "id",
            "project",
            "month",
            "labour_cost_paid_in",
            "workers_on_roll",
            "workers_paid",
            "amount_paid",
            "source",
        ]
        read_only_fields = ["source"]
        validators: list[Any] = []  # (project, month) is an upsert, not a uniqueness error


class WarningSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    case_id = serializers.SerializerMethodField()
    case_number = serializers.SerializerMethodField()

    class Meta:
        model = Warning
        fields = [
            "id",
            "project",
            "rule",
            "level",
            "state",
            "detail",
            "opened_at",
            "resolved_at",
            "disposition",
            "note",
            "case_id",
            "case_number",
        ]

    # Only a case the caller may see is named (a county official may link another
    # department's case).
    def get_case_id(self, warning: Warning) -> int | None:
        return warning.case_id if getattr(warning, "case_visible", False) else None

    def get_case_number(self, warning: Warning) -> str | None:
        case = warning.case if getattr(warning, "case_visible", False) else None
        return case.number if case is not None else None


class DisposeIn(serializers.Serializer):
    disposition = serializers.ChoiceField(choices=list(services.DISPOSITIONS))
    note = serializers.CharField(max_length=1000)
    case_number = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text="转为案件（disposition=case）时必填：本人数据范围内、与预警项目相关的案件编号",
    )


@extend_schema_view(
    list=extend_schema(summary="工程项目（按数据范围）"),
    retrieve=extend_schema(summary="工程项目详情"),
)
class ProjectViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProjectSerializer
    queryset = Project.objects.none()
    filterset_fields = ["status", "investment_type", "county__code", "industry__code"]

    def get_queryset(self) -> Any:
        return selectors.project_list(user=request_user(self.request))

    @extend_schema(
        methods=["GET"],
        summary="项目的“5+3”制度落实情况（八项，账号脱敏）",
        responses={200: ChecklistItemSerializer(many=True), **ERRORS},
    )
    @extend_schema(
        methods=["POST"],
        summary="登记一项“5+3”制度的核查结果（核查人为当前用户）",
        request=ChecklistVerifyIn,
        responses={200: ChecklistItemSerializer, **ERRORS},
    )
    # One project's eight items: neither paged nor filtered like the project list.
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def checklist(self, request: Request, pk: str) -> Response:
        project = self.get_object()  # scoped: 404 outside the caller's scope
        if request.method == "GET":
            return Response(ChecklistItemSerializer(_checklist_rows(project), many=True).data)
        user = request_user(request)
        if not permissions.can_inspect(user):
            raise PermissionDenied(_("只有监察员和主管部门可以核查"))
        incoming = ChecklistVerifyIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        given = {key: data.pop(key, "").strip() for key in FACT_KEYS}
        facts = {key: value for key, value in given.items() if value}
        entry = services.checklist_set(
            project=project, user=user, facts=facts, refuse_older=True, **data
        )
        row = next(r for r in _checklist_rows(project) if r["item"] == entry.item)
        return Response(ChecklistItemSerializer(row).data)


@extend_schema_view(
    list=extend_schema(
        summary="用人单位（按数据范围：可见其项目或投诉的单位；市级可见全部）",
        parameters=[
            OpenApiParameter("search", str, description="单位名称或统一社会信用代码（部分匹配）"),
            OpenApiParameter(
                "list", str, enum=ListKind.values, description="只列出当前在该名单中的单位"
            ),
        ],
    ),
    retrieve=extend_schema(summary="用人单位详情（电话脱敏）"),
)
class EmployerViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EmployerSerializer
    queryset = Employer.objects.none()
    filter_backends: list[Any] = []  # search and list are read below, through the selector
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        params = self.request.query_params
        listed = params.get("list", "")
        if listed and listed not in ListKind.values:
            raise serializers.ValidationError({"list": [_("未知的名单")]})
        return selectors.employer_search(
            user=request_user(self.request),
            query=params.get("search", "").strip(),
            listed_on=listed,
        ).prefetch_related("listings")

    def get_object(self) -> Any:
        # Not the generic lookup: an employer's scope comes from its projects and complaints.
        return selectors.employer_detail(user=request_user(self.request), pk=int(self.kwargs["pk"]))

    @extend_schema(
        summary="列入名单（市根治欠薪办）",
        request=ListingAddIn,
        responses={201: ListingSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="listings")
    def add_listing(self, request: Request, pk: str) -> Response:
        employer = self.get_object()  # 404 outside the scope before 403 for the role
        data = ListingAddIn(data=request.data)
        data.is_valid(raise_exception=True)
        listing = services.employer_listing_add(
            employer=employer, user=request_user(request), **data.validated_data
        )
        return Response(ListingSerializer(listing).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="移出名单（市根治欠薪办；记录移出日期和事由）",
        request=ListingRemoveIn,
        responses={200: ListingSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="listings/remove")
    def remove_listing(self, request: Request, pk: str) -> Response:
        employer = self.get_object()
        data = ListingRemoveIn(data=request.data)
        data.is_valid(raise_exception=True)
        listing = services.employer_listing_remove(
            employer=employer, user=request_user(request), **data.validated_data
        )
        return Response(ListingSerializer(listing).data)


class WageRecordViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Staff (session) see and enter the records of projects in their scope; integration
    clients (API key) push them for any project, e.g. from the bank's monitoring feed."""

    serializer_class = WageRecordSerializer
    queryset = MonthlyWageRecord.objects.none()
    authentication_classes = [ApiKeyAuthentication, *viewsets.GenericViewSet.authentication_classes]
    throttle_classes = [ClientRateThrottle]
    filterset_fields = ["project__code", "month"]

    def get_queryset(self) -> Any:
        user = request_user(self.request)
        if getattr(self.request, "integration_client", None) is not None:
            return MonthlyWageRecord.objects.filter(source=f"api:{user.username}")
        visible = for_user(Project.objects.all(), user).values("pk")
        return MonthlyWageRecord.objects.filter(project__in=visible).select_related("project")

    @extend_schema(
        summary="登记或更正某项目某月的工资支付（同一项目同一月份为更新）",
        responses={201: WageRecordSerializer, **ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = WageRecordSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        project = data.pop("project")
        user = request_user(request)
        client = getattr(request, "integration_client", None)
        if client is None and not for_user(Project.objects.filter(pk=project.pk), user).exists():
            return rule_refusal({"project": [_("不存在或不在您的数据范围内")]})
        source = f"api:{user.username}" if client is not None else "entered"
        record = services.wage_record_save(project=project, source=source, **data)
        return Response(WageRecordSerializer(record).data, status=status.HTTP_201_CREATED)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class _IdFilter(django_filters.NumberFilter):
    # An id: a whole number within bigint (NumberFilter's decimal would take "0.5" as 0).
    field_class = forms.IntegerField


class WarningFilter(django_filters.FilterSet):
    # An employer's warnings across every project it is a party to (a warning has no employer
    # of its own); scoping is still the viewset's for_user.
    employer = _IdFilter(
        method="of_employer", label=gettext_lazy("用人单位"), min_value=1, max_value=2**63 - 1
    )

    class Meta:
        model = Warning
        fields = ["state", "rule", "level"]

    def of_employer(self, qs: Any, name: str, value: Any) -> Any:
        return selectors.of_employer(qs, int(value))


class WarningCaseIn(serializers.Serializer):
    """A new case from a warning. Without the figures, the page's defaults are taken
    (services.warning_case_defaults: the workers not paid and the labour cost paid in but not
    paid out in the latest month on record)."""

    workers_owed = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text="涉及人数；不填时按最近一个月的考勤与发放人数之差",
    )
    amount_owed = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="欠薪金额（元）；不填时按最近一个月拨付人工费用与代发金额之差",
    )
    note = serializers.CharField(max_length=500, help_text="处置说明")


@extend_schema_view(list=extend_schema(summary="待处置的欠薪预警（按数据范围）"))
class WarningViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = WarningSerializer
    queryset = Warning.objects.none()
    filterset_class = WarningFilter

    def get_queryset(self) -> Any:
        user = request_user(self.request)
        return selectors.with_case_visibility(
            for_user(Warning.objects.select_related("project", "case"), user), user
        )

    @extend_schema(request=DisposeIn, responses={200: WarningSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def dispose(self, request: Request, pk: str) -> Response:
        warning = self.get_object()
        data = DisposeIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.warning_dispose(warning=warning, user=request_user(request), **data.validated_data)
        return Response(WarningSerializer(self.get_queryset().get(pk=warning.pk)).data)

    @extend_schema(
        summary="由预警新建案件（与页面“转为新案件”同一服务；预警以“已转为案件”处置）",
        request=WarningCaseIn,
        responses={201: CaseSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="cases")
    def new_case(self, request: Request, pk: str) -> Response:
        warning = self.get_object()  # scoped: 404 outside the caller's scope, before the role
        data = WarningCaseIn(data=request.data)
        data.is_valid(raise_exception=True)
        figures = dict(data.validated_data)
        if "workers_owed" not in figures or "amount_owed" not in figures:
            defaults = services.warning_case_defaults(warning=warning)
            figures.setdefault("workers_owed", defaults["workers_owed"])
            figures.setdefault("amount_owed", defaults["amount_owed"])
        case = services.warning_open_case(warning=warning, user=request_user(request), **figures)
        return Response(CaseSerializer(case).data, status=status.HTTP_201_CREATED)

"""REST endpoints for cases: list/detail scoped like the pages, one endpoint per action, each
calling the same service as the case page. Illegal transitions answer 409."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from arrears.api.serializers import ErrorSerializer
from arrears.models import User
from arrears.request_user import request_user
from complaints.cases import selectors, services
from complaints.cases.outcomes import outcome_choices
from complaints.limitation import limitation_warning
from complaints.models import (
    RECORDABLE,
    Case,
    CaseEntry,
    EntryKind,
    Outcome,
    Payer,
    TriageClass,
)
from complaints.tracking import format_tracking_no

ERRORS = {
    400: OpenApiResponse(description="输入有误（按字段列出错误信息）"),
    403: OpenApiResponse(ErrorSerializer, description="无权执行该操作"),
    404: OpenApiResponse(ErrorSerializer, description="不存在或不在您的数据范围内"),
    409: OpenApiResponse(ErrorSerializer, description="案件当前状态不允许该操作"),
}


class EntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.__str__", default=None)
    kind_display = serializers.CharField(source="get_kind_display")

    class Meta:
        model = CaseEntry
        fields = ["id", "kind", "kind_display", "at", "actor", "text", "due_date", "data"]


class CaseSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display")
    county = serializers.CharField(source="county.code")
    department = serializers.CharField(source="department.name")
    owner = serializers.CharField(source="owner.__str__")
    workers_owed = serializers.IntegerField()
    workers_paid = serializers.IntegerField()
    # Declared: derived integer bounds differ between SQLite and PostgreSQL (see test_api).
    working_days_taken = serializers.IntegerField(allow_null=True)
    satisfaction = serializers.IntegerField(allow_null=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "state",
            "state_display",
            "county",
            "department",
            "owner",
            "employer_name",
            "employer_credit_code",
            "project_name",
            "workers_owed",
            "amount_owed",
            "recovered_amount",
            "workers_paid",
            "triage_class",
            "suggested_class",
            "criminal_flag",
            "filed_on",
            "closed_at",
            "outcome",
            "working_days_taken",
            "closed_on_time",
            "closed_in_limit",
            "satisfaction",
            "allowed_actions",
        ]

    def get_allowed_actions(self, obj: Case) -> list[str]:
        return services.allowed_actions(obj)


class OutcomeRefusalSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    reason = serializers.CharField()


class CaseDetailSerializer(CaseSerializer):
    entries = EntrySerializer(many=True)
    workers_adjustment = serializers.IntegerField(
        read_only=True, help_text="核定的涉及人数与各投诉人数之和的差"
    )
    owed_adjustment = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="核定的欠薪金额与各投诉金额之和的差（元）",
    )
    outcomes_available = serializers.SerializerMethodField(
        help_text="结案时现在可选的办理结果（complaints.cases.outcomes 的规则）"
    )
    outcomes_refused = serializers.SerializerMethodField(help_text="现在不可选的办理结果及原因")
    limitation_warnings = serializers.SerializerMethodField(
        help_text="超过投诉时效的投诉（查询码：提示），给办理人员核实；不影响受理"
    )

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "owed_adjustment",
            "workers_adjustment",
            "entries",
            "outcomes_available",
            "outcomes_refused",
            "limitation_warnings",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Outcome.choices)))
    def get_outcomes_available(self, obj: Case) -> list[str]:
        return outcome_choices(obj)[0]

    @extend_schema_field(OutcomeRefusalSerializer(many=True))
    def get_outcomes_refused(self, obj: Case) -> list[dict[str, str]]:
        return [{"outcome": o, "reason": r} for o, r in outcome_choices(obj)[1].items()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_limitation_warnings(self, obj: Case) -> list[str]:
        return [
            f"{format_tracking_no(c.tracking_no)}：{warning}"
            for c in obj.complaints.all()
            if (warning := limitation_warning(c))
        ]


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class FileIn(serializers.Serializer):
    filed_on = serializers.DateField(required=False)


class TriageIn(serializers.Serializer):
    triage_class = serializers.ChoiceField(choices=TriageClass.choices)
    reason = serializers.CharField(max_length=300, required=False, default="")
    leader = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, default=None
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), many=True, required=False
    )
    plan = serializers.CharField(required=False, default="", allow_blank=True)


class RecordIn(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[(k.value, k.label) for k in EntryKind if k in RECORDABLE]
    )
    text = serializers.CharField(max_length=2000)
    due_date = serializers.DateField(required=False, allow_null=True, default=None)


class PaymentIn(serializers.Serializer):
    paid_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    workers_paid = serializers.IntegerField(min_value=0)
    payer = serializers.ChoiceField(
        choices=Payer.choices,
        default=Payer.EMPLOYER,
        help_text="支付方：用人单位、施工总承包单位、建设单位垫付、应急周转金垫付（开始归还计时）",
    )
    note = serializers.CharField(required=False, default="", allow_blank=True)


class FundRepaymentIn(serializers.Serializer):
    payment = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="应急周转金垫付的支付记录编号"
    )
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    repaid_on = serializers.DateField()
    note = serializers.CharField(required=False, default="", allow_blank=True)


def _fund_repayment(case: Case, user: Any, data: dict[str, Any]) -> Any:
    payment = case.payments.filter(pk=data.pop("payment")).first()
    if payment is None:
        raise ValidationError({"payment": [_("该案件没有这条支付记录")]})
    return services.payment_record_fund_repayment(payment=payment, user=user, **data)


class ReviseOwedIn(serializers.Serializer):
    amount_owed = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None
    )
    workers_owed = serializers.IntegerField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=300)


class ExtendIn(serializers.Serializer):
    working_days = serializers.IntegerField(min_value=1, max_value=60)
    reason = serializers.CharField(max_length=300)


class DecideIn(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, default="", allow_blank=True)


class PoliceNoteIn(serializers.Serializer):
    note = serializers.CharField(max_length=500)


class CloseIn(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(max_length=2000)


class FeedbackIn(serializers.Serializer):
    satisfaction = serializers.IntegerField(min_value=1, max_value=5)
    note = serializers.CharField(required=False, default="", allow_blank=True)


@extend_schema_view(
    list=extend_schema(
        summary="案件列表（按数据范围）", responses={200: CaseSerializer(many=True), **ERRORS}
    ),
    retrieve=extend_schema(
        summary="案件详情及办案记录", responses={200: CaseDetailSerializer, **ERRORS}
    ),
)
class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Case.objects.none()

    def get_serializer_class(self) -> Any:
        return CaseDetailSerializer if self.action == "retrieve" else CaseSerializer

    def get_queryset(self) -> Any:
        user = request_user(self.request)
        qs = selectors.case_list(user=user)
        if self.action != "list":  # a major case's leader and task team see it too
            qs = Case.objects.visible_to(user)
        return qs.prefetch_related("entries__actor").order_by("-pk")

    def _run(
        self, request: Request, payload: type[serializers.Serializer] | None, call: Any
    ) -> Response:
        case = self.get_object()  # 404 outside the scope, before the input is looked at
        data: dict[str, Any] = {}
        if payload is not None:
            incoming = payload(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = dict(incoming.validated_data)
        call(case, request_user(request), data)
        case.refresh_from_db()
        return Response(CaseDetailSerializer(case).data)

    @extend_schema(request=None, responses={200: CaseDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        return self._run(request, None, lambda c, u, d: services.case_accept(case=c, user=u))

    @extend_schema(request=ReasonIn, responses={200: CaseDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str) -> Response:
        return self._run(
            request, ReasonIn, lambda c, u, d: services.case_refuse(case=c, user=u, **d)
        )

    @extend_schema(request=FileIn, responses={200: CaseDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="file")
    def file_case(self, request: Request, pk: str) -> Response:
        return self._run(request, FileIn, lambda c, u, d: services.case_file(case=c, user=u, **d))

    @extend_schema(request=TriageIn, responses={200: CaseDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def triage(self, request: Request, pk: str) -> Response:
        return self._run(
            request, TriageIn, lambda c, u, d: services.case_triage(case=c, user=u, **d)
        )

    @extend_schema(request=RecordIn, responses={200: CaseDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def entries(self, request: Request, pk: str) -> Response:
        return self._run(
            request, RecordIn, lambda c, u, d: services.case_record(case=c, user=u, **d)
        )

    @extend_schema(request=PaymentIn, responses={200: CaseDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def payments(self, request: Request, pk: str) -> Response:
        return self._run(
            request, PaymentIn, lambda c, u, d: services.case_record_payment(case=c, user=u, **d)
        )

    @extend_schema(
        summary="登记归还应急周转金（欠薪单位归还周转金垫付的工资；全部归还后归还时限结束）",
        request=FundRepaymentIn,
        responses={200: CaseDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="fund-repayments")
    def fund_repayments(self, request: Request, pk: str) -> Response:
        return self._run(request, FundRepaymentIn, _fund_repayment)

    @extend_schema(
        summary="核定欠薪金额（调查核实后调整欠薪金额或涉及人数，须填写理由，记入办案记录）",
        request=ReviseOwedIn,
        responses={200: CaseDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="owed-revision")
    def owed_revision(self, request: Request, pk: str) -> Response:
        return self._run(
            request, ReviseOwedIn, lambda c, u, d: services.case_revise_owed(case=c, user=u, **d)
        )

    @extend_schema(
        summary="提请移送公安机关（涉嫌拒不支付劳动报酬罪；负责人须在3日内审批）",
        request=PoliceNoteIn,
        responses={200: CaseDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="police-proposal")
    def police_proposal(self, request: Request, pk: str) -> Response:
        return self._run(
            request,
            PoliceNoteIn,
            lambda c, u, d: services.case_propose_police(case=c, user=u, **d),
        )

    @extend_schema(
        summary="审批移送公安机关（承办单位负责人或县区负责人；批准后须在24小时内移交）",
        request=DecideIn,
        responses={200: CaseDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="police-decision")
    def police_decision(self, request: Request, pk: str) -> Response:
        return self._run(
            request, DecideIn, lambda c, u, d: services.case_decide_police(case=c, user=u, **d)
        )

    @extend_schema(
        summary="移送公安机关（移交经批准的案件，结案结果“移送公安机关”以此为准）",
        request=PoliceNoteIn,
        responses={200: CaseDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="police-transfer")
    def police_transfer(self, request: Request, pk: str) -> Response:
        return self._run(
            request,
            PoliceNoteIn,
            lambda c, u, d: services.case_transfer_police(case=c, user=u, **d),
        )

    @extend_schema(request=ExtendIn, responses={200: CaseDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str) -> Response:
        return self._run(
            request, ExtendIn, lambda c, u, d: services.case_request_extension(case=c, user=u, **d)
        )

    @extend_schema(request=DecideIn, responses={200: CaseDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="extension-decision")
    def extension_decision(self, request: Request, pk: str) -> Response:
        return self._run(
            request,
            DecideIn,
            lambda c, u, d: services.case_decide_pending_extension(case=c, user=u, **d),
        )

    @extend_schema(request=CloseIn, responses={200: CaseDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        return self._run(request, CloseIn, lambda c, u, d: services.case_close(case=c, user=u, **d))

    @extend_schema(request=ReasonIn, responses={200: CaseDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        return self._run(
            request, ReasonIn, lambda c, u, d: services.case_reopen(case=c, user=u, **d)
        )

    @extend_schema(request=FeedbackIn, responses={200: CaseDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, pk: str) -> Response:
        return self._run(
            request, FeedbackIn, lambda c, u, d: services.case_feedback(case=c, user=u, **d)
        )

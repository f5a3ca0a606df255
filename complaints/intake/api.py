"""REST endpoints of the intake side. Each action calls the same service as the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import APIView

from arrears.api.exceptions import refused_by_data, rule_refusal
from arrears.models import Department
from arrears.ratelimit import client_ip
from arrears.request_user import request_user
from complaints.intake import referrals, selectors
from complaints.intake import serializers as s
from complaints.intake import services as intake_services
from complaints.intake.filters import ComplaintFilter, ReferralFilter
from complaints.integration.authentication import (
    ApiKeyAuthentication,
    ClientRateThrottle,
    IsIntegrationClient,
)
from complaints.models import Complaint, IntegrationClient
from complaints.tracking import normalize_tracking_no

ERRORS = {
    400: OpenApiResponse(
        description="输入有误：按字段列出错误信息（中文，Accept-Language: en 为英文）"
    ),
    401: OpenApiResponse(
        s.ErrorSerializer,
        description="缺少接口密钥，或密钥无效、已过期、已吊销（`detail` 说明原因）",
    ),
    403: OpenApiResponse(
        s.ErrorSerializer,
        description="无权调用，或调用地址不在本客户端的允许地址列表中（`detail` 说明原因）",
    ),
    429: OpenApiResponse(s.ErrorSerializer, description="超过本客户端的调用频率限制"),
}


STAFF_ERRORS = {
    400: OpenApiResponse(description="输入有误或当前状态不允许该操作（按字段列出错误信息）"),
    403: OpenApiResponse(s.ErrorSerializer, description="未登录或无权执行该操作"),
    404: OpenApiResponse(s.ErrorSerializer, description="不存在或不在您的数据范围内"),
}


def _client(request: Request) -> IntegrationClient:
    client: IntegrationClient = request.integration_client  # type: ignore[attr-defined]
    return client


def _check(raw: Any, serializer: s.ReferralInputSerializer) -> tuple[str, Any]:
    """A referral's shape: ("ok", validated data) or ("invalid" (not the schema's shape) |
    "rejected" (a well-formed value the rules refuse), errors). One serializer checks every
    referral of a batch: its fields are built once (building them was a quarter of a
    batch's time), and run_validation is what is_valid runs."""
    if not isinstance(raw, dict):
        return "invalid", {"detail": [_("每条线索应为一个 JSON 对象")]}
    try:
        data = serializer.run_validation(raw)
    except ValidationError as exc:
        errors = as_serializer_error(exc)
        # A date before 2000 is well-formed and refused, like the service's own checks.
        return ("rejected" if refused_by_data(errors) else "invalid"), errors
    return "ok", dict(data)


def _answer(outcome: referrals.Outcome) -> tuple[str, Complaint | None, Any]:
    if isinstance(outcome, DjangoValidationError):
        errors = (
            outcome.message_dict if hasattr(outcome, "error_dict") else {"detail": outcome.messages}
        )
        return "rejected", None, errors
    if isinstance(outcome, referrals.ReferralConflict):
        return (
            "conflict",
            outcome.complaint,
            {"external_id": [_("该来源编号已用于内容不同的线索")]},
        )
    complaint, created = outcome
    return ("created" if created else "replayed"), complaint, None


def _submit_all(
    client: IntegrationClient, raws: list[Any]
) -> list[tuple[str, Complaint | None, Any]]:
    """Each referral: ("created" | "replayed", complaint, None), or ("invalid" | "rejected",
    None, errors), or ("conflict", complaint, errors). The valid ones are taken in together
    (referrals_submit_many: a constant number of queries however many there are); a bad one
    leaves nothing behind and does not stop the others."""
    serializer = s.ReferralInputSerializer()
    checked = [_check(raw, serializer) for raw in raws]
    valid = [(data.pop("external_id"), data) for outcome, data in checked if outcome == "ok"]
    with transaction.atomic():
        taken = iter(referrals.referrals_submit_many(client=client, referrals=valid))
    return [
        _answer(next(taken)) if outcome == "ok" else (outcome, None, errors)
        for outcome, errors in checked
    ]


@extend_schema_view(
    list=extend_schema(
        summary="本客户端提交的线索（游标分页）",
        responses={200: s.ReferralSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="按来源编号查询线索的办理状态、承办单位、公开进展和结果",
        responses={200: s.ReferralSerializer, 404: s.ErrorSerializer, **ERRORS},
    ),
)
class ReferralViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsIntegrationClient]
    throttle_classes = [ClientRateThrottle]
    serializer_class = s.ReferralSerializer
    filterset_class = ReferralFilter
    queryset = Complaint.objects.none()
    lookup_field = "external_id"
    # References may contain "/" and other characters: anything up to the final slash.
    lookup_value_regex = ".+"

    def get_queryset(self) -> Any:
        return selectors.referrals_for(client=_client(self.request))

    def retrieve(self, request: Request, external_id: str) -> Response:
        complaint = selectors.referral_detail(client=_client(request), external_id=external_id)
        if complaint is None:  # also for references other clients sent
            raise Http404
        return Response(s.ReferralSerializer(complaint).data)

    @extend_schema(
        summary="提交一条线索（按 external_id 幂等）",
        request=s.ReferralInputSerializer,
        responses={
            201: s.ReferralSerializer,
            200: OpenApiResponse(s.ReferralSerializer, description="重复提交，返回首次结果"),
            409: OpenApiResponse(
                s.ConflictSerializer, description="同一来源编号已用于内容不同的线索"
            ),
            **ERRORS,
        },
    )
    def create(self, request: Request) -> Response:
        [(outcome, complaint, errors)] = _submit_all(_client(request), [request.data])
        if outcome == "invalid":
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        if outcome == "rejected":
            return rule_refusal(errors)
        assert complaint is not None
        body = s.ReferralSerializer(complaint).data
        if outcome == "conflict":
            return Response(
                {
                    "detail": _("该来源编号已用于内容不同的线索"),
                    "external_id": complaint.external_id,
                    "referral": body,
                },
                status=status.HTTP_409_CONFLICT,
            )
        code = status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK
        return Response(body, status=code)

    @extend_schema(
        summary="批量提交线索（最多500条），逐条返回结果，有效的照常保存",
        request=s.BatchInputSerializer,
        responses={200: s.BatchResultSerializer, **ERRORS},
    )
    @action(detail=False, methods=["post"])
    def batch(self, request: Request) -> Response:
        envelope = s.BatchInputSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        client = _client(request)
        results, counts = [], {"created": 0, "replayed": 0, "rejected": 0}
        shown = s.ReferralSerializer()  # one instance, its fields built once, for every item
        raws = envelope.validated_data["referrals"]
        for index, (raw, (outcome, complaint, errors)) in enumerate(
            zip(raws, _submit_all(client, raws), strict=True)
        ):
            if outcome in ("conflict", "invalid"):
                outcome, complaint = "rejected", None
            counts[outcome] += 1
            results.append(
                {
                    "index": index,
                    "external_id": raw.get("external_id") if isinstance(raw, dict) else None,
                    "outcome": outcome,
                    "referral": shown.to_representation(complaint) if complaint else None,
                    "errors": errors,
                }
            )
        return Response({**counts, "results": results})


class ReferralEvidenceView(APIView):
    """Evidence files for a referral already submitted, by its reference (a separate endpoint:
    references may contain "/", so they cannot be followed by a sub-path)."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsIntegrationClient]
    throttle_classes = [ClientRateThrottle]
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="为已提交的线索上传证据材料（全部保存或全部不保存）",
        request={"multipart/form-data": s.ReferralEvidenceInputSerializer},
        responses={201: s.EvidenceSerializer(many=True), 404: s.ErrorSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        external_id = str(request.POST.get("external_id", "")).strip()
        if not external_id:
            return Response(
                {"external_id": [_("请填写来源编号")]}, status=status.HTTP_400_BAD_REQUEST
            )
        try:
            stored = referrals.referral_evidence_add(
                client=_client(request),
                external_id=external_id,
                files=request.FILES.getlist("evidence"),
            )
        except ObjectDoesNotExist:
            raise Http404 from None
        return Response(
            s.EvidenceSerializer(stored, many=True).data, status=status.HTTP_201_CREATED
        )


@extend_schema_view(
    list=extend_schema(
        summary="投诉列表（按数据范围，个人信息脱敏）",
        responses={200: s.ComplaintSerializer(many=True), **STAFF_ERRORS},
    ),
    retrieve=extend_schema(
        summary="投诉详情（个人信息脱敏）", responses={200: s.ComplaintSerializer, **STAFF_ERRORS}
    ),
)
class ComplaintViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ComplaintSerializer
    filterset_class = ComplaintFilter
    queryset = Complaint.objects.none()
    lookup_field = "tracking_no"

    def get_queryset(self) -> Any:
        return selectors.complaint_api_list(user=request_user(self.request))

    def get_object(self) -> Any:
        # Accepted as people write it: with or without the dash, any case, with spaces.
        self.kwargs["tracking_no"] = normalize_tracking_no(self.kwargs["tracking_no"])
        return super().get_object()

    def _object(self) -> Complaint:
        complaint: Complaint = self.get_object()  # scoped: 404 outside the user's scope
        return complaint

    @extend_schema(request=None, responses={200: s.ComplaintSerializer, **STAFF_ERRORS})
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, tracking_no: str) -> Response:
        complaint = intake_services.complaint_sign(
            complaint=self._object(), user=request_user(request)
        )
        return Response(s.ComplaintSerializer(complaint).data)

    @extend_schema(
        request=s.ReturnSerializer, responses={200: s.ComplaintSerializer, **STAFF_ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, tracking_no: str) -> Response:
        complaint = self._object()  # 404 before anything is said about the input
        data = s.ReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        complaint = intake_services.complaint_return(
            complaint=complaint, user=request_user(request), reason=data.validated_data["reason"]
        )
        return Response(s.ComplaintSerializer(complaint).data)

    @extend_schema(
        request=s.DispatchSerializer, responses={200: s.ComplaintSerializer, **STAFF_ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_to(self, request: Request, tracking_no: str) -> Response:
        complaint = self._object()
        data = s.DispatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        department = Department.objects.filter(pk=data.validated_data["department"]).first()
        if department is None:
            return rule_refusal({"department": [_("未知的承办单位")]})
        complaint = intake_services.complaint_dispatch(
            complaint=complaint, user=request_user(request), department=department
        )
        return Response(s.ComplaintSerializer(complaint).data)

    @extend_schema(
        request=s.RevealSerializer, responses={200: s.RevealResultSerializer, **STAFF_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request: Request, tracking_no: str) -> Response:
        complaint = self._object()
        data = s.RevealSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        field = data.validated_data["field"]
        value = intake_services.complaint_reveal(
            complaint=complaint, user=request_user(request), field=field, ip=client_ip(request)
        )
        return Response({"field": field, "value": value})

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from arrears.api.serializers import (
    ChoiceLabelField,
    ErrorSerializer,  # noqa: F401 - the error shape of these endpoints
)
from arrears.identifiers import mask_phone, mask_resident_id
from complaints.intake import selectors
from complaints.integration.callbacks import public_status
from complaints.limitation import limitation_warning
from complaints.models import Channel, Complaint, ComplaintEvent, ComplaintStatus
from complaints.tracking import format_tracking_no


class SafeDateTimeField(serializers.DateTimeField):
    """A date-time whose far-past or far-future values are refused (422), not an overflow."""

    def to_internal_value(self, value: Any) -> Any:
        try:
            return super().to_internal_value(value)
        except (OverflowError, ValueError) as exc:
            raise serializers.ValidationError(_("日期时间超出范围"), code="out_of_range") from exc


def _not_before_2000(value: Any) -> Any:
    """Dates before 2000 are typing errors here (and far ones overflow time zone arithmetic)."""
    if value is not None and value.year < 2000:
        raise serializers.ValidationError(_("日期不能早于2000年"), code="out_of_range")
    return value


class ComplaintInputSerializer(serializers.Serializer):
    """The complaint as any channel sends it. Types are checked here; identifiers (ID number
    check digit, credit code check character, phone formats) and the rules between fields
    are checked by the intake service, the same for every channel."""

    complainant_name = serializers.CharField(max_length=50)
    complainant_phone = serializers.CharField(max_length=30)
    complainant_id_number = serializers.CharField(max_length=30, required=False, allow_blank=True)
    complainant_address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    employer_name = serializers.CharField(max_length=200)
    employer_credit_code = serializers.CharField(max_length=30, required=False, allow_blank=True)
    employer_address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    employer_contact = serializers.CharField(max_length=50, required=False, allow_blank=True)
    employer_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    project_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    project_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    project_address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    city_code = serializers.CharField(
        max_length=6,
        required=False,
        allow_blank=True,
        help_text=_("地级市的6位行政区划代码（全省客户端选填）；不填则按县（区）、项目或地址分派"),
    )
    county_code = serializers.CharField(
        max_length=6,
        required=False,
        allow_blank=True,
        help_text=_("6位行政区划代码；不填则按项目或地址分派"),
    )
    industry_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    workers_owed = serializers.IntegerField(min_value=1, max_value=100000)
    amount_owed = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("999999999.99")
    )
    period_start = serializers.DateField(required=False, allow_null=True)
    period_end = serializers.DateField(required=False, allow_null=True)
    facts = serializers.CharField(max_length=5000)
    request = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    received_at = SafeDateTimeField(required=False)

    def validate_received_at(self, value: Any) -> Any:
        return _not_before_2000(value)

    def validate_period_start(self, value: Any) -> Any:
        return _not_before_2000(value)

    def validate_period_end(self, value: Any) -> Any:
        return _not_before_2000(value)


class ReferralInputSerializer(ComplaintInputSerializer):
    work_order_type = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        help_text=_(
            "工单类型（选填），须为本客户端配置的类型，如12345的 consultation（咨询）、"
            "help（求助）、complaint（投诉），线索平台的 clue；其时限随状态回调返回"
        ),
    )
    external_id = serializers.CharField(
        max_length=200,
        trim_whitespace=False,
        help_text=_("来源系统自己的编号（原样保存，含空格）；同一编号重复提交是幂等的"),
    )


class BatchInputSerializer(serializers.Serializer):
    referrals = serializers.ListField(
        child=serializers.JSONField(allow_null=True),
        min_length=1,
        max_length=500,
        help_text=_("最多500条，每条格式同单条提交"),
    )


class PublicEventSerializer(serializers.ModelSerializer):
    text = serializers.CharField(source="public_text")

    class Meta:
        model = ComplaintEvent
        fields = ["kind", "text", "at"]


class ReferralSerializer(serializers.Serializer):
    """What the referring system may tell the citizen: status, unit, public timeline, result."""

    external_id = serializers.CharField()
    tracking_no = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField()
    unit = serializers.CharField(allow_null=True)
    received_at = serializers.DateTimeField()
    timeline = PublicEventSerializer(many=True)
    result = serializers.CharField(allow_null=True)

    def to_representation(self, instance: Complaint) -> dict[str, Any]:
        data = {
            "external_id": instance.external_id,
            **public_status(instance),
            "tracking_no": format_tracking_no(instance.tracking_no),
            "received_at": instance.received_at,
            "timeline": selectors.public_events(complaint=instance),
        }
        return super().to_representation(data)


class BatchOutcome(models.TextChoices):
    CREATED = "created", _("已创建")
    REPLAYED = "replayed", _("重复提交，返回首次结果")
    REJECTED = "rejected", _("未通过")


class BatchItemSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    outcome = serializers.ChoiceField(choices=BatchOutcome.choices)
    referral = ReferralSerializer(allow_null=True)


# "errors" is the natural key for an item's problems, but it is also the name of Serializer's
# own validation-errors property, so the field is declared after the class body.
BatchItemSerializer._declared_fields["errors"] = serializers.DictField(allow_null=True)


class BatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    replayed = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = BatchItemSerializer(many=True)


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    external_id = serializers.CharField()
    referral = ReferralSerializer()


class ComplaintSerializer(serializers.ModelSerializer):
    """Staff view of a complaint: personal identifiers masked (reveal is a logged action)."""

    complainant_phone = serializers.SerializerMethodField()
    complainant_id_number = serializers.SerializerMethodField()
    county = serializers.CharField(source="county.code", allow_null=True, default=None)
    department = serializers.CharField(source="department.name", allow_null=True, default=None)
    tracking_no = serializers.SerializerMethodField()
    status_display = ChoiceLabelField(ComplaintStatus, source="status")
    channel_display = ChoiceLabelField(Channel, source="channel")
    # Declared, not derived: the derived bounds of an integer column differ between SQLite
    # and PostgreSQL, and the committed schema must be the same on both.
    workers_owed = serializers.IntegerField(min_value=1)
    limitation_warning = serializers.SerializerMethodField(
        help_text=_("超过投诉时效（自欠薪截止日期起2年）时给办理人员的提示；投诉照常受理")
    )

    class Meta:
        model = Complaint
        fields = [
            "id",
            "tracking_no",
            "channel",
            "channel_display",
            "received_at",
            "status",
            "status_display",
            "complainant_name",
            "complainant_phone",
            "complainant_id_number",
            "employer_name",
            "employer_credit_code",
            "project_name",
            "county",
            "department",
            "workers_owed",
            "amount_owed",
            "period_start",
            "period_end",
            "facts",
            "request",
            "limitation_warning",
        ]

    def get_tracking_no(self, obj: Complaint) -> str:
        return format_tracking_no(obj.tracking_no)

    def get_limitation_warning(self, obj: Complaint) -> str | None:
        return limitation_warning(obj)

    def get_complainant_phone(self, obj: Complaint) -> str:
        return mask_phone(obj.complainant_phone)

    def get_complainant_id_number(self, obj: Complaint) -> str:
        return mask_resident_id(obj.complainant_id_number)


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class DispatchSerializer(serializers.Serializer):
    department = serializers.IntegerField(help_text=_("县（区）级承办单位ID"))


class RevealSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=["complainant_phone", "complainant_id_number"])


class RevealResultSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


class ReferralEvidenceInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=200, help_text="提交线索时的来源编号")
    evidence = serializers.ListField(
        child=serializers.FileField(),
        help_text="证据材料（图片、PDF、Word、Excel、录音），可多个，按类型和内容检查",
    )


class EvidenceSerializer(serializers.Serializer):
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()

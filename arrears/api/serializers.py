from __future__ import annotations

from typing import Any

from django.db.models import Choices
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from arrears.identifiers import mask_phone
from arrears.models import County, Department, Industry, Notification, User
from arrears.selectors import scope_label


class ChoiceLabelField(serializers.CharField):
    """The label of a choice field's value, in the request's language (``source`` names the
    field itself, not ``get_<field>_display``). Django's ``get_FOO_display`` rebuilds the
    choices as a dict on every call, hashing and so translating every label: two of them were
    40% of the time of a 50-row page of /api/v1/complaints/. The labels are translated once
    per language here."""

    def __init__(self, choices: type[Choices], **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self._choices = choices
        self._labels: dict[str | None, dict[Any, str]] = {}

    def to_representation(self, value: Any) -> str:
        language = get_language()
        labels = self._labels.get(language)
        if labels is None:
            labels = {v: str(label) for v, label in self._choices.choices}
            self._labels[language] = labels
        # An unknown value shows as itself, as get_FOO_display does.
        return labels.get(value, str(value))


class IndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = ["code", "name", "is_construction"]


class CountySerializer(serializers.ModelSerializer):
    class Meta:
        model = County
        fields = ["id", "code", "name", "short_name"]


class DepartmentSerializer(serializers.ModelSerializer):
    county = CountySerializer(read_only=True, allow_null=True)  # null: a city department
    industries = IndustrySerializer(many=True, read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "name", "kind", "kind_display", "level", "county", "industries"]


class MeSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    # Null for users bound to no county or department (the city office, administrators).
    county = CountySerializer(read_only=True, allow_null=True)
    department = DepartmentSerializer(read_only=True, allow_null=True)
    phone = serializers.SerializerMethodField(help_text=_("已脱敏"))
    scope = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "role",
            "role_display",
            "county",
            "department",
            "phone",
            "scope",
        ]

    def get_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)

    def get_scope(self, obj: User) -> str:
        return scope_label(user=obj)


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at"]


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=500,
        help_text=_("要标为已读的通知ID；省略则全部标为已读"),
    )


class MarkReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class AddWorkingDaysSerializer(serializers.Serializer):
    date = serializers.DateField()
    days = serializers.IntegerField(min_value=-3650, max_value=3650)


class BetweenSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class DateQuerySerializer(serializers.Serializer):
    date = serializers.DateField()


class CalendarAnswerSerializer(serializers.Serializer):
    date = serializers.DateField(required=False)
    working_days = serializers.IntegerField(required=False)
    is_working_day = serializers.BooleanField(required=False)
    end_of_working_day = serializers.DateTimeField(required=False)
    provisional = serializers.BooleanField(help_text=_("结果依赖尚未载入正式安排的年份时为 true"))


class CalendarYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    status = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named "source"
    loaded_at = serializers.DateTimeField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(
        required=False,
        help_text=_("机器可读的原因（仅部分错误给出），如 two_factor_required：须先完成两步验证"),
    )

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from arrears.forms import StyledForm
from complaints.models import Channel, Complaint, ComplaintStatus
from complaints.tracking import normalize_tracking_no


class RecentIsoDateTimeField(IsoDateTimeField):
    """An ISO date-time from 2000 on: earlier ones are typing errors and far ones overflow."""

    def to_python(self, value: object) -> object:
        try:
            parsed = super().to_python(value)
        except OverflowError as exc:
            raise forms.ValidationError(_("日期时间超出范围")) from exc
        if parsed is not None and parsed.year < 2000:
            raise forms.ValidationError(_("日期不能早于2000年"))
        return parsed


class RecentIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = RecentIsoDateTimeField


class ComplaintFilter(django_filters.FilterSet):
    tracking_no = django_filters.CharFilter(label=_("查询码"), method="filter_tracking_no")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ComplaintStatus.choices)
    channel = django_filters.ChoiceFilter(label=_("渠道"), choices=Channel.choices)
    county = django_filters.CharFilter(label=_("县（区）代码"), field_name="county__code")
    received_after = RecentIsoDateTimeFilter(
        label=_("收到时间起"), field_name="received_at", lookup_expr="gte"
    )
    received_before = RecentIsoDateTimeFilter(
        label=_("收到时间止"), field_name="received_at", lookup_expr="lt"
    )
    employer = django_filters.CharFilter(
        label=_("被投诉单位"), field_name="employer_name", lookup_expr="icontains"
    )

    class Meta:
        model = Complaint
        fields = [
            "tracking_no",
            "status",
            "channel",
            "county",
            "received_after",
            "received_before",
            "employer",
        ]
        form = StyledForm

    def filter_tracking_no(
        self, queryset: QuerySet[Complaint], name: str, value: str
    ) -> QuerySet[Complaint]:
        """With or without the dash, any case, spaces: the stored form is compared."""
        return queryset.filter(tracking_no=normalize_tracking_no(value)) if value else queryset


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ComplaintStatus.choices)
    received_after = RecentIsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = RecentIsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Complaint
        fields = ["status", "received_after", "received_before"]

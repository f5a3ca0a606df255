import datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from arrears.forms import StyledForm
from arrears.models import County
from complaints.models import Channel, Complaint, ComplaintStatus
from complaints.tracking import normalize_tracking_no


class RecentIsoDateTimeField(IsoDateTimeField):
    """An ISO date-time from 2000 on: earlier ones are typing errors and far ones overflow."""

    def to_python(self, value: object) -> object:
        try:
            parsed = super().to_python(value)
        except OverflowError as exc:
            raise forms.ValidationError(_("日期时间超出范围"), code="out_of_range") from exc
        if parsed is not None and parsed.year < 2000:
            # Well-formed, refused: 422 in the API (arrears/api/exceptions.py).
            raise forms.ValidationError(_("日期不能早于2000年"), code="out_of_range")
        if isinstance(parsed, datetime.datetime) and parsed.tzinfo is not None:
            # Python takes offsets up to ±24 h, PostgreSQL up to ±15:59 (a +20:53 was a 500):
            # the same instant in UTC fits both.
            parsed = parsed.astimezone(datetime.UTC)
        return parsed


class RecentIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = RecentIsoDateTimeField


class CountySelect(forms.Select):
    """The counties of the list's own rows by name, valued by their division code. The rows
    are already scoped, so the select never names a county outside the user's scope; read
    when drawn (one query), so the API, which never draws it, pays nothing."""

    def __init__(self, rows: QuerySet[Complaint] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows = rows

    def get_context(self, name: str, value: object, attrs: object) -> dict[str, object]:
        counties = County.objects.none()
        if self.rows is not None:
            counties = County.objects.filter(pk__in=self.rows.order_by().values("county_id"))
        self.choices = [
            ("", _("全部")),
            *counties.order_by("sort_order", "code").values_list("code", "name"),
        ]
        return super().get_context(name, value, attrs)  # type: ignore[arg-type]


class ComplaintFilter(django_filters.FilterSet):
    tracking_no = django_filters.CharFilter(label=_("查询码"), method="filter_tracking_no")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ComplaintStatus.choices)
    channel = django_filters.ChoiceFilter(label=_("渠道"), choices=Channel.choices)
    # Still the division code on the wire (the API's `county=369902`); people pick a name.
    county = django_filters.CharFilter(
        label=_("县（区）"), field_name="county__code", widget=CountySelect
    )
    received_after = RecentIsoDateTimeFilter(
        label=_("收到时间起"),
        field_name="received_at",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_before = RecentIsoDateTimeFilter(
        label=_("收到时间止"),
        field_name="received_at",
        lookup_expr="lt",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    employer = django_filters.CharFilter(
        label=_("被投诉单位"), field_name="employer_name", lookup_expr="icontains"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["county"].extra["widget"] = CountySelect(rows=self.queryset)

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

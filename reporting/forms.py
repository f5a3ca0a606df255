"""The dashboards' filters: period, county, department, industry, channel (and the ranking).
One form for the pages, the exports and the API, so they read parameters the same way."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from arrears.forms import StyledForm
from arrears.models import County, Department, Industry
from arrears.scoping import for_user
from complaints.models import Channel
from reporting import metrics, periods
from reporting.selectors import Filters


class ReportFilterForm(StyledForm):
    period = forms.CharField(
        label=_("期间"),
        required=False,
        help_text=_("2026-10（月）、2026-Q3（季度）、2026（年）或 custom（自定义）"),
    )
    start = forms.CharField(label=_("开始日期"), required=False)
    end = forms.CharField(label=_("结束日期"), required=False)
    county = forms.ModelChoiceField(
        label=_("县（区）"), queryset=County.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("部门"), queryset=Department.objects.none(), required=False
    )
    industry = forms.ModelChoiceField(
        label=_("行业"), queryset=Industry.objects.order_by("code"), required=False
    )
    channel = forms.ChoiceField(
        label=_("渠道"), choices=[("", _("全部")), *Channel.choices], required=False
    )
    rank = forms.ChoiceField(
        label=_("排名依据"),
        choices=[(key, metrics.METRICS[key].label) for key in metrics.RANKABLE],
        required=False,
    )

    def __init__(self, *args: Any, user: Any, county: County | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        counties = for_user(County.objects.all(), user)
        departments = for_user(Department.objects.select_related("county"), user)
        self.fixed_county = county
        if county is not None:
            departments = departments.filter(county=county)
            del self.fields["county"]
        else:
            self.fields["county"].queryset = counties.order_by("code")  # type: ignore[attr-defined]
        self.fields["department"].queryset = departments.order_by("county__code", "kind")  # type: ignore[attr-defined]
        for name in ("county", "department", "industry"):
            if name in self.fields:
                self.fields[name].error_messages["invalid_choice"] = _(
                    "所选项不存在或不在您的查看范围内"
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            data["period_obj"] = periods.parse(
                data.get("period"), data.get("start"), data.get("end")
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data

    def filters(self) -> Filters:
        """The validated filters (call after is_valid())."""
        data = self.cleaned_data
        county = self.fixed_county or data.get("county")
        return Filters(
            period=data["period_obj"],
            county_id=county.pk if county else None,
            department_id=data["department"].pk if data.get("department") else None,
            industry_id=data["industry"].pk if data.get("industry") else None,
            channel=data.get("channel") or "",
        )

    def rank_by(self) -> str:
        return self.cleaned_data.get("rank") or "on_time_rate"

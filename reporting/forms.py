"""The dashboards' filters: period, county, department, industry, channel (and the ranking).
One form for the pages, the exports and the API, so they read parameters the same way."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from arrears.forms import QuickSelect, StyledForm
from arrears.models import City, County, Department, Industry
from arrears.scoping import for_user
from complaints.models import Channel
from reporting import metrics, periods
from reporting.selectors import Filters

PERIOD_KINDS = [
    ("year", _("年度")),
    ("quarter", _("季度")),
    ("month", _("月份")),
    ("custom", _("自定义")),
]


def _quarter_text(q: int) -> str:
    return gettext("第%(q)s季度") % {"q": q}


_quarter_label = lazy(_quarter_text, str)


class ReportFilterForm(StyledForm):
    # The parameter links, exports and the API use: "2026-10", "2026-Q3", "2026" or "custom"
    # with start and end. People pick it with the fields below; `clean` writes it from them.
    period = forms.CharField(label=_("期间"), required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("期间"), choices=PERIOD_KINDS, required=False)
    year = forms.TypedChoiceField(label=_("年度"), coerce=int, choices=[], required=False)
    quarter = forms.TypedChoiceField(
        label=_("季度"),
        coerce=int,
        # Lazy: a label built when the module loads would stay in the language of that moment.
        choices=[(q, _quarter_label(q)) for q in range(1, 5)],
        required=False,
    )
    month = forms.CharField(
        label=_("月份"), required=False, widget=forms.TextInput(attrs={"type": "month"})
    )
    start = forms.CharField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.CharField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # QuickSelect: a province's lists are long (82 counties, 644 departments at 10 cities).
    city = forms.ModelChoiceField(
        label=_("地级市"), queryset=City.objects.none(), required=False, widget=QuickSelect
    )
    county = forms.ModelChoiceField(
        label=_("县（区）"), queryset=County.objects.none(), required=False, widget=QuickSelect
    )
    department = forms.ModelChoiceField(
        label=_("部门"), queryset=Department.objects.none(), required=False, widget=QuickSelect
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

    def __init__(
        self,
        *args: Any,
        user: Any,
        county: County | None = None,
        city: City | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [(y, str(y)) for y in range(this_year, 1999, -1)]  # type: ignore[attr-defined]
        self._show_period()
        cities = for_user(City.objects.all(), user)
        counties = for_user(County.objects.all(), user)
        departments = for_user(Department.objects.select_related("county"), user)
        self.fixed_county = county
        self.fixed_city = city or (county.city if county is not None else None)
        if self.fixed_city is not None:
            counties = counties.filter(city=self.fixed_city)
            departments = departments.filter(city=self.fixed_city)
        if self.fixed_city is not None or cities.count() < 2:
            # A page about one city, or a user (or a deployment) with one city: no choice.
            del self.fields["city"]
        else:
            self.fields["city"].queryset = cities.order_by("code")  # type: ignore[attr-defined]
        if county is not None:
            departments = departments.filter(county=county)
            del self.fields["county"]
        else:
            self.fields["county"].queryset = counties.order_by("code")  # type: ignore[attr-defined]
        self.fields["department"].queryset = departments.order_by("county__code", "kind")  # type: ignore[attr-defined]
        for name in ("city", "county", "department", "industry"):
            if name in self.fields:
                self.fields[name].error_messages["invalid_choice"] = _(
                    "所选项不存在或不在您的查看范围内"
                )

    def _show_period(self) -> None:
        """Fill the picker from `period` (a link, an export, the API), so the page shows the
        period it is about; a picker already submitted is left as it was."""
        if not self.is_bound or self.data.get("kind"):
            return
        try:
            period = periods.parse(
                self.data.get("period"), self.data.get("start"), self.data.get("end")
            )
        except ValidationError:
            return
        data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict or a dict
        data["kind"] = period.kind
        data["year"] = str(period.start.year)
        data["quarter"] = str((period.start.month - 1) // 3 + 1)
        data["month"] = f"{period.start:%Y-%m}"
        data.setdefault("start", period.start.isoformat())
        data.setdefault("end", period.end.isoformat())
        self.data = data

    def _picked_period(self, data: dict[str, Any]) -> str | None:
        """The `period` code the picker names, or None when it was not used."""
        kind, year = data.get("kind"), data.get("year")
        if kind == "year" and year:
            return str(year)
        if kind == "quarter" and year and data.get("quarter"):
            return f"{year}-Q{data['quarter']}"
        if kind == "month" and data.get("month"):
            return str(data["month"])
        if kind == "custom":
            return "custom"
        return None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (picked := self._picked_period(data)) is not None:
            data["period"] = picked
        try:
            data["period_obj"] = periods.parse(
                data.get("period"), data.get("start"), data.get("end")
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                # With the picker, the hidden code's errors belong to the picker people see;
                # links and the API name `period` themselves.
                picker = field == "period" and bool(self.data.get("kind"))
                target = "kind" if picker else field
                for message in messages:
                    self.add_error(target if target in self.fields else None, message)
        return data

    def filters(self) -> Filters:
        """The validated filters (call after is_valid())."""
        data = self.cleaned_data
        county = self.fixed_county or data.get("county")
        city = self.fixed_city or data.get("city")
        return Filters(
            period=data["period_obj"],
            city_id=city.pk if city else None,
            county_id=county.pk if county else None,
            department_id=data["department"].pk if data.get("department") else None,
            industry_id=data["industry"].pk if data.get("industry") else None,
            channel=data.get("channel") or "",
        )

    def rank_by(self) -> str:
        return self.cleaned_data.get("rank") or "on_time_rate"

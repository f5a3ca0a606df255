"""HTML forms of the intake side. They parse types; the intake service validates the rest
(identifiers, dates, amounts) and its errors are put back on the form's fields."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from arrears.forms import MultipleFileField, StyledForm
from arrears.models import County, Department
from arrears.scoping import for_user
from complaints.intake.services import FORM_TOKEN, complaint_check, new_form_token
from complaints.models import Channel, Satisfaction

# A form's sections: a heading, its fields in order, and whether it starts folded away.
Sections = list[tuple[Promise, list[str], bool]]


class _CountyIterator(ModelChoiceIterator):
    """The counties, each named with its city where they span several: "云岭市 城关区", not
    two indistinguishable 城关区 (decided when the choices are drawn, not when the form is
    made)."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        rows = list(self.queryset.select_related("city").order_by("city__code", "code"))
        several = len({c.city_id for c in rows}) > 1
        for county in rows:
            value, label = self.choice(county)
            yield (value, f"{county.city.name} {label}" if several else label)


class _CountyField(forms.ModelChoiceField):
    iterator = _CountyIterator


class ComplaintForm(StyledForm):
    """一键投诉 on a phone. It asks first what a worker knows by heart — who they are, where
    they worked and for whom, how much and for how many — and folds away what needs papers
    or is optional (ID number, credit code, dates, evidence)."""

    sections: ClassVar[Sections] = [
        (_("您的联系方式"), ["complainant_name", "complainant_phone"], False),
        (
            _("在哪里干活，谁欠的工资"),
            ["employer_name", "project_name", "project_address", "county_code"],
            False,
        ),
        (_("欠薪情况"), ["amount_owed", "workers_owed", "facts"], False),
        (
            _("补充信息（选填，可以不填）"),
            [
                "complainant_id_number",
                "period_start",
                "period_end",
                "employer_credit_code",
                "employer_contact",
                "employer_phone",
                "request",
                "evidence",
            ],
            True,
        ),
    ]
    field_order = [name for _title, names, _folded in sections for name in names]

    complainant_name = forms.CharField(label=_("您的姓名"), max_length=50)
    complainant_phone = forms.CharField(
        label=_("手机号码"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    complainant_id_number = forms.CharField(
        label=_("身份证号码（选填）"), max_length=30, required=False
    )
    employer_name = forms.CharField(label=_("欠薪单位或老板名称"), max_length=200)
    employer_credit_code = forms.CharField(
        label=_("统一社会信用代码（选填）"), max_length=30, required=False
    )
    employer_contact = forms.CharField(label=_("单位联系人（选填）"), max_length=50, required=False)
    employer_phone = forms.CharField(label=_("单位联系电话（选填）"), max_length=30, required=False)
    project_name = forms.CharField(label=_("工程项目名称"), max_length=200, required=False)
    project_address = forms.CharField(label=_("干活的地点"), max_length=300, required=False)
    county_code = _CountyField(
        label=_("所在县（区）"),
        queryset=County.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("不清楚"),
    )
    workers_owed = forms.IntegerField(
        label=_("被欠薪人数"),
        min_value=1,
        max_value=100000,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    amount_owed = forms.DecimalField(
        label=_("欠薪金额（元）"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    period_start = forms.DateField(
        label=_("欠薪开始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    period_end = forms.DateField(
        label=_("欠薪截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    facts = forms.CharField(
        label=_("情况说明"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    request = forms.CharField(
        label=_("您的诉求"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )
    evidence = MultipleFileField(
        label=_("证据材料（合同、考勤、工资条、欠条等，选填）"), required=False
    )
    # One-time token, drawn when the empty form is shown (see complaint_create): submitting
    # the same page twice files one complaint. A missing or malformed one is ignored.
    form_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", new_form_token())

    def clean_form_token(self) -> str | None:
        token = self.cleaned_data.get("form_token") or ""
        return token if FORM_TOKEN.fullmatch(token) else None

    channel_for_check = Channel.WEB_FORM

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            # The service would not be reached this time, and its checks (ID check digit,
            # phone, dates) would only show after the worker fixed these: run them now on
            # what did parse, and add what they find to the fields without an error yet.
            found = complaint_check(data=self.data_for_service(), channel=self.channel_for_check)
            for field, messages in found.items():
                if field in self.fields and field not in self.errors:
                    for message in messages:
                        self.add_error(field, message)
        return cleaned

    def fields_in_error(self) -> list[Any]:
        """The visible fields with an error, in the order shown: the summary at the top."""
        return [field for field in self.visible_fields() if field.errors]

    def section_list(self) -> list[dict[str, Any]]:
        """The sections with their bound fields; a folded one opens when it holds an error or
        something typed, so nothing the worker must fix is hidden."""
        result = []
        for title, names, folded in self.sections:
            fields = [self[name] for name in names if name in self.fields]
            filled = self.is_bound and any(
                f.errors or self.data.get(f.html_name) or self.files.get(f.html_name)
                for f in fields
            )
            result.append(
                {"title": title, "fields": fields, "folded": folded, "open": not folded or filled}
            )
        return result

    def data_for_service(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("evidence", "form_token")}
        county = data.pop("county_code", None)
        data["county_code"] = county.code if county else ""
        return data

    def absorb(self, error: ValidationError) -> None:
        """Put the service's field errors on the form (unknown fields at the top)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, messages in error.message_dict.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message)


def _now_to_the_minute() -> Any:
    return timezone.localtime().replace(second=0, microsecond=0)


# The duty officer types what someone on the phone or at the window says: the form speaks to
# the officer about the complainant, not to the worker ("您的姓名").
STAFF_LABELS = {
    "complainant_name": _("投诉人姓名"),
    "complainant_phone": _("投诉人联系电话"),
    "complainant_id_number": _("投诉人身份证号码（选填）"),
    "employer_name": _("被投诉单位或老板名称"),
    "project_address": _("务工地点（工程项目地址）"),
    "request": _("投诉人诉求"),
}


class StaffComplaintForm(ComplaintForm):
    """The duty line / service window: the same fields, plus channel, the time of the call or
    visit (now unless changed) and the addresses, each kept with its party."""

    sections: ClassVar[Sections] = [
        (_("来电 / 来访"), ["channel", "received_at"], False),
        (
            _("投诉人"),
            [
                "complainant_name",
                "complainant_phone",
                "complainant_id_number",
                "complainant_address",
            ],
            False,
        ),
        (
            _("被投诉单位"),
            [
                "employer_name",
                "employer_credit_code",
                "employer_address",
                "employer_contact",
                "employer_phone",
            ],
            False,
        ),
        (
            _("工程项目与欠薪情况"),
            [
                "project_name",
                "project_address",
                "county_code",
                "amount_owed",
                "workers_owed",
                "period_start",
                "period_end",
            ],
            False,
        ),
        (_("情况说明与诉求"), ["facts", "request", "evidence"], False),
    ]
    field_order = [name for _title, names, _folded in sections for name in names]

    channel = forms.ChoiceField(
        label=_("渠道"),
        choices=[
            ("duty_phone", _("24小时值班电话")),
            ("service_window", _("一站式维权专窗")),
            ("walk_in", _("来访")),
            ("letters_visits", _("信访")),
            ("inspection", _("检查发现")),
        ],
    )
    complainant_address = forms.CharField(
        label=_("投诉人住址（选填）"), max_length=200, required=False
    )
    employer_address = forms.CharField(label=_("单位地址（选填）"), max_length=200, required=False)
    received_at = forms.DateTimeField(
        label=_("来电/来访时间"),
        required=False,
        # Now, in the city's time (the current time zone renders it), to the minute: the
        # officer changes it only for a call taken earlier.
        initial=_now_to_the_minute,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in STAFF_LABELS.items():
            self.fields[name].label = label

    @property
    def channel_for_check(self) -> str:  # type: ignore[override]
        return str(self.cleaned_data.get("channel") or Channel.DUTY_PHONE)

    def data_for_service(self) -> dict[str, Any]:
        data = super().data_for_service()
        data.pop("channel", None)
        return data


class TrackForm(StyledForm):
    tracking_no = forms.CharField(label=_("查询码"), max_length=20)
    phone_last4 = forms.CharField(
        label=_("手机号后四位"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )


class RateForm(StyledForm):
    """The public rating page: who it is (as on the tracking page) and how satisfied."""

    phone_last4 = forms.CharField(
        label=_("手机号后四位"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    satisfaction = forms.TypedChoiceField(
        label=_("您对办理情况的评价"),
        coerce=int,
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Large radio buttons, one a line, for a phone (StyledForm gave it form-control).
        self.fields["satisfaction"].widget.attrs["class"] = "form-check-input"


class ReturnForm(StyledForm):
    reason = forms.CharField(
        label=_("退回理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class _ByCountyIterator(ModelChoiceIterator):
    """The departments grouped under their county (an <optgroup> each), in county order."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        groups: dict[str, list[Any]] = {}
        rows = list(self.queryset.select_related("county__city").order_by("county__code", "name"))
        # Across cities a county's name is not unique (城关区): the group names its city too.
        several = len({obj.county.city_id for obj in rows}) > 1
        for obj in rows:
            label = f"{obj.county.city.name} {obj.county.name}" if several else obj.county.name
            groups.setdefault(label, []).append(self.choice(obj))
        yield from groups.items()


class _DepartmentByCountyField(forms.ModelChoiceField):
    iterator = _ByCountyIterator


class DispatchForm(StyledForm):
    # Grouped by county: the city office picks "东湖区 › 住建局", not one of forty look-alikes.
    department = _DepartmentByCountyField(
        label=_("承办单位"),
        queryset=Department.objects.filter(county__isnull=False).select_related("county"),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user is not None:
            # Only the units the office may send to: a city's office, its own city's.
            field = cast(forms.ModelChoiceField, self.fields["department"])
            field.queryset = for_user(
                Department.objects.filter(county__isnull=False).select_related("county"), user
            )

"""HTML forms of the intake side. They parse types; the intake service validates the rest
(identifiers, dates, amounts) and its errors are put back on the form's fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from arrears.forms import StyledForm
from arrears.models import County, Department
from complaints.services.intake import FORM_TOKEN, new_form_token


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class ComplaintForm(StyledForm):
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
    county_code = forms.ModelChoiceField(
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


class StaffComplaintForm(ComplaintForm):
    """The duty line / service window: the same fields, plus channel and the address."""

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
    complainant_address = forms.CharField(label=_("投诉人住址"), max_length=200, required=False)
    employer_address = forms.CharField(label=_("单位地址"), max_length=200, required=False)
    received_at = forms.DateTimeField(
        label=_("来电/来访时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    field_order = ["channel", "received_at"]

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


class ReturnForm(StyledForm):
    reason = forms.CharField(
        label=_("退回理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class DispatchForm(StyledForm):
    department = forms.ModelChoiceField(
        label=_("承办单位"),
        queryset=Department.objects.filter(county__isnull=False).select_related("county"),
    )

"""Forms of the projects pages: each checks types (dates, choices) and feeds one service, which
checks the rules."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.forms import StyledForm
from projects.models import DepositEvent, DepositEventKind, ListKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def error_texts(form: forms.Form) -> list[str]:
    """Every error of a bound form as "label：message", for the page's messages."""
    texts: list[str] = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        texts.extend(f"{label}：{error}" if label else str(error) for error in errors)
    return texts


class ListingAddForm(StyledForm):
    kind = forms.ChoiceField(label=_("名单"), choices=ListKind.choices)
    reason = forms.CharField(label=_("列入事由"), max_length=300)
    listed_on = forms.DateField(label=_("列入日期"), widget=DATE, initial=timezone.localdate)
    expires_on = forms.DateField(
        label=_("期满日期"),
        widget=DATE,
        required=False,
        help_text=_("失信名单未填时按默认期限计算"),
    )


class ListingRemoveForm(StyledForm):
    kind = forms.ChoiceField(label=_("名单"), choices=ListKind.choices)
    removed_on = forms.DateField(label=_("移出日期"), widget=DATE, initial=timezone.localdate)
    removal_reason = forms.CharField(label=_("移出事由"), max_length=300)


class CampaignForm(StyledForm):
    name = forms.CharField(label=_("专项行动名称"), max_length=100)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    scope_note = forms.CharField(label=_("范围"), max_length=300, required=False)


class WageRecordForm(StyledForm):
    """One month of a project's wage roll typed in; the same figures a bank's file row carries,
    saved by the same service (projects.services.wage_record_save) the import calls."""

    month = forms.CharField(
        label=_("月份"),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    labour_cost_paid_in = forms.DecimalField(
        label=_("拨付人工费用（元）"), max_digits=15, decimal_places=2, min_value=0
    )
    workers_on_roll = forms.IntegerField(label=_("考勤人数"), min_value=0)
    workers_paid = forms.IntegerField(label=_("发放人数"), min_value=0)
    amount_paid = forms.DecimalField(
        label=_("银行代发金额（元）"), max_digits=15, decimal_places=2, min_value=0
    )

    def clean_month(self) -> datetime.date:
        value = self.cleaned_data["month"].strip()
        try:
            return datetime.date.fromisoformat(value[:7] + "-01")
        except ValueError:
            raise forms.ValidationError(_("月份应为 YYYY-MM")) from None


class WarningCaseForm(StyledForm):
    """A new case from a warning: the figures start from services.warning_case_defaults."""

    workers_owed = forms.IntegerField(label=_("涉及人数"), min_value=1)
    amount_owed = forms.DecimalField(
        label=_("欠薪金额（元）"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    note = forms.CharField(
        label=_("处置说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class DrawField(forms.ModelChoiceField):
    """A draw on the deposit, named by its date, case and amount."""

    def label_from_instance(self, obj: Any) -> str:
        number = obj.case.number if obj.case is not None else ""
        return f"{obj.occurred_on:%Y-%m-%d} {number} {obj.amount} {_('元')}"


class DepositEventForm(StyledForm):
    """One event of a project's wage deposit; services.deposit_event_record checks the rules
    (amounts against the balance, the case, the draw) and moves the clocks."""

    kind = forms.ChoiceField(label=_("事项"), choices=DepositEventKind.choices)
    occurred_on = forms.DateField(label=_("日期"), widget=DATE, initial=timezone.localdate)
    amount = forms.DecimalField(
        label=_("金额（元）"), max_digits=15, decimal_places=2, min_value=Decimal("0.01")
    )
    bank = forms.CharField(label=_("银行"), max_length=100, required=False)
    expires_on = forms.DateField(
        label=_("保函到期日期"), widget=DATE, required=False, help_text=_("仅银行保函填写")
    )
    case_number = forms.CharField(
        label=_("案件编号"), max_length=20, required=False, help_text=_("仅动用保证金填写")
    )
    draw = DrawField(
        label=_("动用决定"),
        queryset=DepositEvent.objects.none(),
        required=False,
        help_text=_("仅保证金支付选择"),
    )
    note = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, *args: Any, project: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        draw = self.fields["draw"]
        assert isinstance(draw, forms.ModelChoiceField)
        draw.queryset = (
            DepositEvent.objects.filter(project=project, kind=DepositEventKind.DRAWN)
            .select_related("case")
            .order_by("-occurred_on", "-pk")
        )


class RemovalRequestForm(StyledForm):
    applicant = forms.CharField(
        label=_("申请人"), max_length=100, help_text=_("用人单位，或代其申请的人")
    )
    statement = forms.CharField(label=_("申请理由"), max_length=500)
    requested_on = forms.DateField(label=_("申请日期"), widget=DATE, initial=timezone.localdate)


class RemovalDecisionForm(StyledForm):
    decision = forms.ChoiceField(
        label=_("审核结果"), choices=[("approve", _("准予提前移出")), ("refuse", _("不予提前移出"))]
    )
    reason = forms.CharField(
        label=_("审核意见"),
        max_length=500,
        required=False,
        help_text=_("不予提前移出时必填"),
    )

"""Forms of the case page: one per action, each feeding the matching service."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from arrears.forms import MultipleFileField, StyledForm
from arrears.models import Role, User
from complaints.cases.outcomes import outcome_choices
from complaints.cases.selectors import case_leader_choices
from complaints.models import RECORDABLE, Case, EntryKind, Outcome, Payer, TriageClass


class ReasonForm(StyledForm):
    reason = forms.CharField(
        label=_("理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class FileForm(StyledForm):
    filed_on = forms.DateField(
        label=_("立案日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class TriageForm(StyledForm):
    triage_class = forms.ChoiceField(label=_("办理分类"), choices=TriageClass.choices)
    reason = forms.CharField(label=_("理由（与建议不同时必填）"), max_length=300, required=False)
    leader = forms.ModelChoiceField(
        label=_("包案领导（重大案件）"),
        required=False,
        queryset=User.objects.filter(
            is_active=True, role__in=[Role.CITY_LEADER, Role.COUNTY_OFFICIAL]
        ),
    )
    team = forms.ModelMultipleChoiceField(
        label=_("工作专班"),
        required=False,
        queryset=User.objects.filter(is_active=True).exclude(role=Role.INTEGRATION_CLIENT),
    )
    plan = forms.CharField(
        label=_("处置方案"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if case is not None:
            # Only the case's own city and county: a province holds many cities' leaders.
            leader = cast(forms.ModelChoiceField, self.fields["leader"])
            leader.queryset = case_leader_choices(case)
            team = cast(forms.ModelMultipleChoiceField, self.fields["team"])
            team.queryset = User.objects.filter(
                is_active=True, city_id=case.county.city_id
            ).exclude(role=Role.INTEGRATION_CLIENT)


class RecordForm(StyledForm):
    kind = forms.ChoiceField(
        label=_("类型"), choices=[(k.value, k.label) for k in EntryKind if k in RECORDABLE]
    )
    text = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 2}))
    evidence = MultipleFileField(label=_("证据材料（选填）"), required=False)
    due_date = forms.DateField(
        label=_("限期（责令支付）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ReviseOwedForm(StyledForm):
    amount_owed = forms.DecimalField(
        label=_("核定欠薪金额（元）"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    workers_owed = forms.IntegerField(label=_("核定涉及人数"), min_value=1, required=False)
    reason = forms.CharField(
        label=_("核定理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class PaymentForm(StyledForm):
    paid_on = forms.DateField(
        label=_("支付日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=12, decimal_places=2)
    workers_paid = forms.IntegerField(label=_("支付人数"), min_value=0)
    # Not required: a form (or a script) that names no payer records the employer's payment.
    payer = forms.ChoiceField(
        label=_("支付方"), choices=Payer.choices, initial=Payer.EMPLOYER, required=False
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=300)

    def clean_payer(self) -> str:
        return self.cleaned_data.get("payer") or Payer.EMPLOYER


class FundRepaymentForm(StyledForm):
    """The employer repays an advance of the emergency fund: which advance (those of the case
    still owed), how much, when."""

    payment = forms.TypedChoiceField(label=_("垫付记录"), coerce=int, choices=[])
    amount = forms.DecimalField(label=_("归还金额（元）"), max_digits=12, decimal_places=2)
    repaid_on = forms.DateField(
        label=_("归还日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=300)

    def __init__(self, *args: Any, case: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.advances = {p.pk: p for p in fund_advances(case)} if case is not None else {}
        cast(forms.TypedChoiceField, self.fields["payment"]).choices = [
            (
                p.pk,
                _("%(d)s 垫付 %(a)s 元，尚欠 %(o)s 元")
                % {"d": p.paid_on.isoformat(), "a": p.amount, "o": p.fund_outstanding},
            )
            for p in self.advances.values()
        ]

    def clean_payment(self) -> Any:
        pk = self.cleaned_data["payment"]
        if pk not in self.advances:
            raise forms.ValidationError(_("请选择尚未归还的周转金垫付记录"))
        return self.advances[pk]


def fund_advances(case: Any) -> list[Any]:
    """The case's emergency-fund advances not yet repaid in full (from its prefetched payments)."""
    return [
        p
        for p in case.payments.all()
        if p.payer == Payer.EMERGENCY_FUND and p.fund_repaid < p.amount
    ]


class NoteForm(StyledForm):
    note = forms.CharField(
        label=_("说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExtensionForm(StyledForm):
    working_days = forms.IntegerField(label=_("延长工作日数"), min_value=1, max_value=60)
    reason = forms.CharField(label=_("理由"), max_length=300)


class DecisionForm(StyledForm):
    approve = forms.TypedChoiceField(
        label=_("审批"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("批准")), ("no", _("不批准"))],
    )
    note = forms.CharField(label=_("意见"), required=False, max_length=300)


class CloseForm(StyledForm):
    """Offers only the outcomes whose rule holds now (complaints.cases.outcomes); the others
    are listed with the reason. Any outcome is accepted as input: the service checks the rule
    and its message explains a refusal better than "not a valid choice"."""

    outcome = forms.ChoiceField(label=_("办理结果"), choices=Outcome.choices)
    note = forms.CharField(label=_("结案说明"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, case: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refused: dict[str, str] = {}
        if case is not None:
            available, self.refused = outcome_choices(case)
            self.fields["outcome"].widget.choices = [
                (value, label) for value, label in Outcome.choices if value in available
            ]


class FeedbackForm(StyledForm):
    satisfaction = forms.TypedChoiceField(
        label=_("满意度"), coerce=int, choices=[(i, str(i)) for i in range(5, 0, -1)]
    )
    note = forms.CharField(label=_("回访情况"), required=False, max_length=300)

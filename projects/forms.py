"""Forms of the projects pages: each checks types (dates, choices) and feeds one service, which
checks the rules."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.forms import StyledForm
from projects.models import ListKind

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

"""The audit page's filters, shared by the page and its export (a background job of kind
`arrears.audit_export`), so a file holds exactly what the page lists."""

from __future__ import annotations

import datetime
import json
from typing import IO, Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import jobs
from arrears.models import AuditEvent, Job, SecurityEvent, SecurityKind, SecurityResult
from arrears.models.audit import AuditAction
from arrears.permissions import can_read_audit
from arrears.spreadsheets import neutralise, write_csv
from arrears.streaming import stream

SECURITY, CHANGES = "security", "changes"


class AuditFilterForm(forms.Form):
    trail = forms.ChoiceField(
        label=gettext_lazy("记录"),
        choices=[(SECURITY, gettext_lazy("安全事件")), (CHANGES, gettext_lazy("数据变更"))],
        required=False,
    )
    since = forms.DateField(label=gettext_lazy("起始日期"), required=False)
    until = forms.DateField(label=gettext_lazy("截止日期"), required=False)
    actor = forms.CharField(label=gettext_lazy("操作人"), required=False, max_length=150)
    kind = forms.CharField(label=gettext_lazy("事件类型/操作"), required=False, max_length=40)
    obj = forms.CharField(label=gettext_lazy("对象"), required=False, max_length=200)
    result = forms.ChoiceField(
        label=gettext_lazy("结果"),
        choices=[("", gettext_lazy("全部")), *SecurityResult.choices],
        required=False,
    )
    address = forms.CharField(label=gettext_lazy("地址"), required=False, max_length=64)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise ValidationError(_("起始日期不能晚于截止日期"))
        return data


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _common(qs: QuerySet[Any], data: dict[str, Any]) -> QuerySet[Any]:
    if data.get("since"):
        qs = qs.filter(occurred_at__gte=_day_start(data["since"]))
    if data.get("until"):
        qs = qs.filter(occurred_at__lt=_day_start(data["until"] + datetime.timedelta(days=1)))
    if data.get("actor"):
        qs = qs.filter(actor_label__icontains=data["actor"])
    return qs.order_by("-occurred_at", "-id")


def _security(data: dict[str, Any]) -> QuerySet[SecurityEvent]:
    qs = SecurityEvent.objects.all()
    if data.get("kind"):
        qs = qs.filter(kind=data["kind"])
    if data.get("result"):
        qs = qs.filter(result=data["result"])
    if data.get("address"):
        qs = qs.filter(address__startswith=data["address"])
    if text := data.get("obj"):
        qs = qs.filter(Q(object_repr__icontains=text) | Q(object_id=text) | Q(object_type=text))
    return qs


def _changes(data: dict[str, Any]) -> QuerySet[AuditEvent]:
    # The page and the file name each row's type: one join, not a query per row.
    qs = AuditEvent.objects.select_related("content_type")
    if data.get("kind"):
        qs = qs.filter(action=data["kind"])
    if text := data.get("obj"):
        qs = qs.filter(
            Q(object_repr__icontains=text) | Q(object_id=text) | Q(content_type__model=text.lower())
        )
    return qs


def filtered(data: dict[str, Any]) -> QuerySet[Any]:
    """The rows of one trail that the (cleaned) filters select, newest first."""
    if (data.get("trail") or SECURITY) == SECURITY:
        return _common(_security(data), data)
    return _common(_changes(data), data)


def kind_choices(trail: str) -> list[tuple[str, Any]]:
    return list(SecurityKind.choices) if trail == SECURITY else list(AuditAction.choices)


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return neutralise(value) if isinstance(value, str) else value


def _lines(qs: QuerySet[Any], trail: str, tick: Any) -> Any:
    for line in _raw_lines(qs, trail, tick):
        yield [_cell(v) for v in line]


def _raw_lines(qs: QuerySet[Any], trail: str, tick: Any) -> Any:
    if trail == SECURITY:
        yield [_("序号"), _("时间"), _("事件类型"), _("操作人"), _("地址"), _("对象类型"),
               _("对象ID"), _("对象"), _("结果"), _("详情"), _("校验码")]  # fmt: skip
        labels = dict(SecurityKind.choices)
        for e in stream(qs, chunk_size=2000):
            yield [e.seq, timezone.localtime(e.occurred_at).isoformat(), labels.get(e.kind, e.kind),
                   e.actor_label, e.address, e.object_type, e.object_id, e.object_repr,
                   e.get_result_display(), e.detail, e.mac]  # fmt: skip
            tick()
    else:
        yield [_("序号"), _("时间"), _("操作"), _("操作人"), _("对象类型"), _("对象ID"),
               _("对象"), _("变更内容"), _("批量操作"), _("校验码")]  # fmt: skip
        for e in stream(qs.select_related("content_type"), chunk_size=2000):
            yield [e.seq, timezone.localtime(e.occurred_at).isoformat(), e.get_action_display(),
                   e.actor_label, e.content_type.model, e.object_id, e.object_repr, e.changes,
                   e.bulk, e.mac]  # fmt: skip
            tick()


def _run_export(job: Job, progress: jobs.Progress, out: IO[bytes]) -> jobs.Outcome:
    # Checked again in the worker: the role may have been taken away since the request.
    if not can_read_audit(job.owner):
        raise PermissionDenied(_("无权导出审计记录"))
    form = AuditFilterForm(job.params.get("filters", {}))
    if not form.is_valid():
        raise ValidationError(_("筛选条件有误"))
    trail = form.cleaned_data.get("trail") or SECURITY
    qs = filtered(form.cleaned_data)
    progress.expect(qs.count())
    write_csv(out, _lines(qs, trail, progress.advance))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return jobs.Outcome(filename=f"audit-{trail}-{stamp}.csv")


jobs.register("arrears.audit_export", gettext_lazy("审计记录导出"), _run_export)

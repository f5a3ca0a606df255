"""The rows behind a figure: columns per counted model, shared by the drill-down page and the
row exports (CSV and XLSX). No personal data of complainants is listed: a figure's rows are
cases, complaints by tracking number, projects and decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from arrears.spreadsheets import neutralise
from complaints.tracking import format_tracking_no

# Cell kinds decide the XLSX number format and how the page shows them.
TEXT, INT, YUAN, DATE, DATETIME, BOOL = "text", "int", "yuan", "date", "datetime", "bool"


# How a column's stored value becomes its cell, beside `kind`: as it is, a choice's label, or a
# tracking number in its display form.
RAW, LABEL, TRACKING = "raw", "label", "tracking"


@dataclass(frozen=True)
class Column:
    """`value` reads the cell from a model instance (the page, and the exports on SQLite);
    `path` names the same value as an ORM path, for the exports through PostgreSQL's COPY
    (reporting/copy_export.py), and `show` how it is displayed. Both must agree:
    tests/reporting/test_copy_export.py exports every base both ways and compares the files."""

    label: Any
    kind: str
    value: Callable[[Any], Any]
    path: str
    show: str = RAW


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


@lru_cache(maxsize=256)
def _labels(model: str, field: str, language: str) -> dict[Any, str]:
    choices = apps.get_model(model)._meta.get_field(field).flatchoices
    return {value: str(label) for value, label in choices}


def _show(obj: Any, field: str) -> str:
    """A choice's label; the labels are looked up once per language, not per row (calling
    get_FOO_display() on a million rows spent seconds translating the same labels)."""
    value = getattr(obj, field)
    return _labels(obj._meta.label, field, get_language() or "").get(value, value or "")


def _name(obj: Any) -> str:
    return obj.name if obj is not None else ""


CASE = [
    Column(_("案件编号"), TEXT, lambda c: c.number or "", "number"),
    Column(_("状态"), TEXT, lambda c: _show(c, "state"), "state", LABEL),
    Column(_("县（区）"), TEXT, lambda c: _name(c.county), "county__name"),
    Column(_("承办单位"), TEXT, lambda c: _name(c.department), "department__name"),
    Column(_("被投诉单位"), TEXT, lambda c: c.employer_name, "employer_name"),
    Column(_("涉及人数"), INT, lambda c: c.workers_owed, "workers_owed"),
    Column(_("欠薪金额（元）"), YUAN, lambda c: c.amount_owed, "amount_owed"),
    Column(_("追回工资（元）"), YUAN, lambda c: c.recovered_amount, "recovered_amount"),
    Column(_("受理时间"), DATETIME, lambda c: _local(c.accepted_at), "accepted_at"),
    Column(_("结案时间"), DATETIME, lambda c: _local(c.closed_at), "closed_at"),
    Column(_("办理用时（工作日）"), INT, lambda c: c.working_days_taken, "working_days_taken"),
    Column(_("按期办结"), BOOL, lambda c: c.closed_on_time, "closed_on_time"),
    Column(_("办理结果"), TEXT, lambda c: _show(c, "outcome"), "outcome", LABEL),
]

COLUMNS: dict[str, list[Column]] = {
    "complaint": [
        Column(
            _("查询码"), TEXT, lambda c: format_tracking_no(c.tracking_no), "tracking_no", TRACKING
        ),
        Column(_("收到时间"), DATETIME, lambda c: _local(c.received_at), "received_at"),
        Column(_("渠道"), TEXT, lambda c: _show(c, "channel"), "channel", LABEL),
        Column(_("县（区）"), TEXT, lambda c: _name(c.county), "county__name"),
        Column(_("承办单位"), TEXT, lambda c: _name(c.department), "department__name"),
        Column(_("被投诉单位"), TEXT, lambda c: c.employer_name, "employer_name"),
        Column(_("涉及人数"), INT, lambda c: c.workers_owed, "workers_owed"),
        Column(_("欠薪金额（元）"), YUAN, lambda c: c.amount_owed, "amount_owed"),
        Column(_("状态"), TEXT, lambda c: _show(c, "status"), "status", LABEL),
    ],
    "case": CASE,
    "payment": [
        Column(_("案件编号"), TEXT, lambda p: p.case.number or "", "case__number"),
        Column(_("县（区）"), TEXT, lambda p: _name(p.case.county), "case__county__name"),
        Column(_("承办单位"), TEXT, lambda p: _name(p.case.department), "case__department__name"),
        Column(_("被投诉单位"), TEXT, lambda p: p.case.employer_name, "case__employer_name"),
        Column(_("支付日期"), DATE, lambda p: p.paid_on, "paid_on"),
        Column(_("金额（元）"), YUAN, lambda p: p.amount, "amount"),
        Column(_("支付人数"), INT, lambda p: p.workers_paid, "workers_paid"),
    ],
    "entry": [
        Column(_("案件编号"), TEXT, lambda e: e.case.number or "", "case__number"),
        Column(_("县（区）"), TEXT, lambda e: _name(e.case.county), "case__county__name"),
        Column(_("承办单位"), TEXT, lambda e: _name(e.case.department), "case__department__name"),
        Column(_("被投诉单位"), TEXT, lambda e: e.case.employer_name, "case__employer_name"),
        Column(_("类型"), TEXT, lambda e: _show(e, "kind"), "kind", LABEL),
        Column(_("时间"), DATETIME, lambda e: _local(e.at), "at"),
    ],
    "warning": [
        Column(_("项目"), TEXT, lambda w: w.project.name, "project__name"),
        Column(_("县（区）"), TEXT, lambda w: _name(w.county), "county__name"),
        Column(_("责任部门"), TEXT, lambda w: _name(w.department), "department__name"),
        Column(_("预警规则"), TEXT, lambda w: _show(w, "rule"), "rule", LABEL),
        Column(_("预警等级"), TEXT, lambda w: _show(w, "level"), "level", LABEL),
        Column(_("预警时间"), DATETIME, lambda w: _local(w.opened_at), "opened_at"),
        Column(_("状态"), TEXT, lambda w: _show(w, "state"), "state", LABEL),
        Column(_("处置时间"), DATETIME, lambda w: _local(w.resolved_at), "resolved_at"),
    ],
    "inspection": [
        Column(_("项目"), TEXT, lambda i: i.project.name, "project__name"),
        Column(_("县（区）"), TEXT, lambda i: _name(i.county), "county__name"),
        Column(_("检查单位"), TEXT, lambda i: _name(i.department), "department__name"),
        Column(_("检查日期"), DATE, lambda i: i.inspected_on, "inspected_on"),
        Column(_("专项行动"), TEXT, lambda i: _name(i.campaign), "campaign__name"),
    ],
    "order": [
        Column(
            _("项目"),
            TEXT,
            lambda o: o.finding.inspection.project.name,
            "finding__inspection__project__name",
        ),
        Column(
            _("县（区）"),
            TEXT,
            lambda o: _name(o.finding.inspection.county),
            "finding__inspection__county__name",
        ),
        Column(_("问题"), TEXT, lambda o: o.finding.description, "finding__description"),
        Column(_("下达日期"), DATE, lambda o: o.issued_on, "issued_on"),
        Column(_("整改期限（工作日）"), INT, lambda o: o.working_days, "working_days"),
        Column(_("复查日期"), DATE, lambda o: o.verified_on, "verified_on"),
        Column(_("整改到位"), BOOL, lambda o: o.rectified, "rectified"),
    ],
    "fine": [
        Column(_("项目"), TEXT, lambda f: f.inspection.project.name, "inspection__project__name"),
        Column(
            _("县（区）"), TEXT, lambda f: _name(f.inspection.county), "inspection__county__name"
        ),
        Column(_("法律依据"), TEXT, lambda f: _show(f, "article"), "article", LABEL),
        Column(_("罚款金额（元）"), YUAN, lambda f: f.amount, "amount"),
        Column(_("处罚决定日期"), DATE, lambda f: f.decided_on, "decided_on"),
    ],
    "project": [
        Column(_("项目编号"), TEXT, lambda p: p.code, "code"),
        Column(_("项目名称"), TEXT, lambda p: p.name, "name"),
        Column(_("县（区）"), TEXT, lambda p: _name(p.county), "county__name"),
        Column(_("行业"), TEXT, lambda p: _name(p.industry), "industry__name"),
        Column(
            _("投资类型"), TEXT, lambda p: _show(p, "investment_type"), "investment_type", LABEL
        ),
    ],
    "circular_unit": [
        Column(_("文号"), TEXT, lambda u: u.circular.number, "circular__number"),
        Column(_("印发日期"), DATE, lambda u: u.circular.issued_on, "circular__issued_on"),
        Column(_("县（区）"), TEXT, lambda u: _name(u.county), "county__name"),
        Column(_("部门"), TEXT, lambda u: _name(u.department), "department__name"),
        Column(_("通报事由"), TEXT, lambda u: u.reason, "reason"),
    ],
}

RELATED = {
    "complaint": ["county", "department"],
    "case": ["county", "department"],
    "payment": ["case__county", "case__department"],
    "entry": ["case__county", "case__department"],
    "warning": ["project", "county", "department"],
    "inspection": ["project", "county", "department", "campaign"],
    "order": ["finding__inspection__project", "finding__inspection__county"],
    "fine": ["inspection__project", "inspection__county"],
    "project": ["county", "industry"],
    "circular_unit": ["circular", "county", "department"],
}

# Where each row links to (the page of the record), if it has one.
LINKS: dict[str, Callable[[Any], str]] = {
    "complaint": lambda c: reverse("complaint-detail", args=[c.tracking_no]),
    "case": lambda c: reverse("case-page", args=[c.pk]),
    "payment": lambda p: reverse("case-page", args=[p.case_id]),
    "entry": lambda e: reverse("case-page", args=[e.case_id]),
    "warning": lambda w: reverse("project-page", args=[w.project_id]),
    "inspection": lambda i: reverse("project-page", args=[i.project_id]),
    "order": lambda o: reverse("project-page", args=[o.finding.inspection.project_id]),
    "fine": lambda f: reverse("project-page", args=[f.inspection.project_id]),
    "project": lambda p: reverse("project-page", args=[p.pk]),
    "circular_unit": lambda u: reverse("circular-page", args=[u.circular_id]),
}


def rows_queryset(base: str, qs: QuerySet[Any]) -> QuerySet[Any]:
    """The subset with what its columns read joined in, newest first."""
    return qs.select_related(*RELATED[base]).order_by("-pk")


def cells(base: str, obj: Any) -> list[Any]:
    return [column.value(obj) for column in COLUMNS[base]]


def text(kind: str, value: Any) -> str:
    """A cell as CSV text: amounts with 2 decimals in yuan, dates ISO, booleans 是/否."""
    if value is None:
        return ""
    if kind == BOOL:
        return str(_("是") if value else _("否"))
    if kind == YUAN:
        return f"{Decimal(value):.2f}"
    if kind == DATETIME:
        return value.strftime("%Y-%m-%d %H:%M")
    if kind == DATE:
        return value.isoformat()
    if kind == INT:
        return str(value)
    return neutralise(str(value))

"""Campaigns, inspections with their findings and rectification orders, verification, fines."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import config, deadlines
from arrears.errors import Conflict
from arrears.models import Deadline, User
from arrears.scoping import scope_of
from projects.models import (
    Campaign,
    Finding,
    Fine,
    Inspection,
    ItemState,
    Project,
    RectificationOrder,
    checked_items,
)
from projects.models.inspections import RECTIFICATION
from projects.permissions import can_manage_campaigns
from projects.services.compliance import checklist_set

# --- Inspections ----------------------------------------------------------------------------

# The articles a fine may rest on (保障农民工工资支付条例); their ranges are configuration
# (projects/settings.py: fines.<article>.minimum / maximum).
FINE_ARTICLES = ("art54", "art55", "art56", "art57")


def fine_range(article: str, city: int | None = None) -> tuple[Decimal, Decimal]:
    """The configured range of fines under `article`, in yuan, in `city` (each city sets its
    own within the statute's range; arrears.config per_city)."""
    low = config.get(f"fines.{article}.minimum", city=city)
    high = config.get(f"fines.{article}.maximum", city=city)
    return min(low, high), max(low, high)


def campaign_create(
    *, name: str, starts_on: datetime.date, ends_on: datetime.date, user: User, scope_note: str = ""
) -> Any:
    """Launch a special action (专项行动) with its period and scope."""
    if not can_manage_campaigns(user):
        raise PermissionDenied(_("只有根治欠薪办可以发起专项行动"))
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("请填写专项行动名称")]
    if ends_on < starts_on:
        errors["ends_on"] = [_("结束日期不能早于开始日期")]
    if errors:
        raise ValidationError(errors)
    # A city's office runs its city's campaign; the province office one for every city.
    return Campaign.objects.create(
        name=name.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        scope_note=scope_note.strip(),
        city_id=None if scope_of(user).everything else user.city_id,
    )


def inspection_record(
    *,
    project: Project,
    inspector: User,
    inspected_on: datetime.date,
    findings: list[dict[str, Any]],
    campaign: Any = None,
    note: str = "",
) -> Any:
    """An inspection with its findings. Each finding marks the checklist item not compliant
    and issues a rectification order whose deadline (default 3 working days, or the
    finding's own) is a clock of the deadline mechanism: reminded and escalated by the sweep."""
    if inspected_on > timezone.localdate():
        raise ValidationError({"inspected_on": [_("检查日期不能晚于今天")]})
    if campaign is not None and campaign.city_id not in (None, project.county.city_id):
        raise ValidationError({"campaign": [_("该专项行动不是本市的")]})
    if campaign is not None and not campaign.starts_on <= inspected_on <= campaign.ends_on:
        raise ValidationError({"campaign": [_("检查日期不在专项行动期间内")]})
    default_days = config.get("rectification.default_days", city=project.county.city_id)
    _check_findings(findings, default_days)
    with transaction.atomic():
        inspection = Inspection.objects.create(
            project=project,
            campaign=campaign,
            inspected_on=inspected_on,
            inspector=inspector,
            note=note,
            county=project.county,
            department=project.department,
        )
        for finding_data in findings:
            finding = Finding.objects.create(
                inspection=inspection,
                item=finding_data["item"],
                description=finding_data["description"].strip(),
            )
            checklist_set(
                project=project,
                item=finding.item,
                state=ItemState.NOT_COMPLIANT,
                user=inspector,
                verified_on=inspected_on,
                evidence=finding.description,
            )
            days = int(finding_data.get("working_days") or default_days)
            order = RectificationOrder.objects.create(
                finding=finding, working_days=days, issued_on=inspected_on
            )
            deadlines.deadline_open(
                subject=order,
                kind=RECTIFICATION,
                started_on=inspected_on,
                working_days=days,
                county_id=project.county_id,
                department_id=project.department_id,
                owner=inspector,
            )
    return inspection


def _check_findings(findings: list[dict[str, Any]], default_days: int) -> None:
    """Refuse the first finding without a known item, a description, or a period of 1 to 60
    working days (numbered from 1, as the form shows them)."""
    for number, finding in enumerate(findings, start=1):
        # Only the items checked (compliance.items) may be found wanting.
        if finding.get("item") not in dict(checked_items()):
            raise ValidationError({"findings": [_("第%(n)s项：未知的制度项") % {"n": number}]})
        if not str(finding.get("description", "")).strip():
            raise ValidationError({"findings": [_("第%(n)s项：请描述问题") % {"n": number}]})
        days = int(finding.get("working_days") or default_days)
        if not 1 <= days <= 60:
            raise ValidationError(
                {"findings": [_("第%(n)s项：整改期限应为1至60个工作日") % {"n": number}]}
            )


def rectification_verify(*, order: Any, user: User, rectified: bool, note: str = "") -> Any:
    """Follow-up verification: rectified (the item becomes compliant, the clock is met or
    missed by when this happens) or not (the clock runs on and escalates)."""
    with transaction.atomic():
        updated = (
            type(order)
            .objects.filter(pk=order.pk, rectified__isnull=True)
            .update(
                rectified=rectified,
                verified_on=timezone.localdate(),
                verified_by=user,
                verification_note=note.strip(),
            )
        )
        if not updated:
            raise Conflict(_("该整改已复查"))
        order.refresh_from_db()
        if rectified:
            clock = (
                Deadline.objects.for_subject(order)
                .filter(kind=RECTIFICATION, state__in=deadlines.RUNNING)
                .first()
            )
            if clock is not None:
                deadlines.deadline_close(deadline=clock)
            finding = order.finding
            checklist_set(
                project=finding.inspection.project,
                item=finding.item,
                state=ItemState.COMPLIANT,
                user=user,
                evidence=_("整改复查到位：%(n)s") % {"n": note.strip()},
                checked_only=False,  # ordered while the item was checked
            )
        else:
            # Not rectified: the order stays open for another verification.
            type(order).objects.filter(pk=order.pk).update(rectified=None)
    return order


def fine_record(
    *, inspection: Any, article: str, amount: Decimal, decided_on: datetime.date
) -> Any:
    if article not in FINE_ARTICLES:
        raise ValidationError({"article": [_("未知的法律依据")]})
    low, high = fine_range(article, city=inspection.county.city_id)
    if not low <= amount <= high:
        raise ValidationError(
            {"amount": [_("该条款的罚款为 %(l)s 至 %(h)s 元") % {"l": low, "h": high}]}
        )
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": [_("处罚决定日期不能晚于今天")]})
    return Fine.objects.create(
        inspection=inspection, article=article, amount=amount, decided_on=decided_on
    )

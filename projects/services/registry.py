"""The registries: a project's supervising department, employers on the lists, and the
wage deposit a project must lodge."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import config
from arrears.errors import Conflict
from arrears.models import User
from complaints.intake.routing import department_for
from complaints.models import Case
from projects.models import (
    Employer,
    EmployerListing,
    ListKind,
    PartyRole,
    Project,
)
from projects.permissions import can_manage_lists


def project_assign_department(*, project: Project) -> Project:
    """The supervising department: the project county's department for its industry."""

    project.department = department_for(project.county, project.industry)
    project.save(update_fields=["department"])
    return project


# --- Employer lists -------------------------------------------------------------------------


def _check_list_manager(user: User) -> None:
    if not can_manage_lists(user):
        raise PermissionDenied(_("只有市根治欠薪办可以管理名单"))


def listings_expire(*, today: datetime.date | None = None, employer: Any = None) -> int:
    """Take off the lists every listing whose end date has passed (the dishonest list runs
    three years by default): removed on its end date, with the reason recorded. Beat runs it
    daily; listing an employer again runs it first for that employer. Idempotent."""
    today = today or timezone.localdate()
    expired = EmployerListing.objects.filter(removed_on__isnull=True, expires_on__lt=today)
    if employer is not None:
        expired = expired.filter(employer=employer)
    changed = 0
    for ends, pks in _group_by_end(expired):
        changed += EmployerListing.objects.filter(pk__in=pks, removed_on__isnull=True).update(
            removed_on=ends, removal_reason=_("期满自动移出")
        )
    return changed


def _group_by_end(listings: Any) -> list[tuple[datetime.date, list[int]]]:
    groups: dict[datetime.date, list[int]] = {}
    for pk, ends in listings.values_list("pk", "expires_on"):
        groups.setdefault(ends, []).append(pk)
    return sorted(groups.items())


def employer_listing_add(
    *,
    employer: Employer,
    kind: str,
    reason: str,
    listed_on: datetime.date,
    user: User,
    expires_on: datetime.date | None = None,
) -> EmployerListing:
    """Put an employer on the key-supervision or dishonest-employer list. The dishonest list
    runs for the configured years when no end date is given (人社部令45号)."""
    _check_list_manager(user)
    errors: dict[str, list[str]] = {}
    if kind not in ListKind.values:
        errors["kind"] = [_("未知的名单")]
    if not reason.strip():
        errors["reason"] = [_("请填写列入事由")]
    if listed_on > timezone.localdate():
        errors["listed_on"] = [_("列入日期不能晚于今天")]
    if expires_on is not None and expires_on <= listed_on:
        errors["expires_on"] = [_("期满日期应晚于列入日期")]
    if errors:
        raise ValidationError(errors)
    listings_expire(employer=employer)  # a listing that has run out is not current
    if expires_on is None and kind == ListKind.DISHONEST:
        years = config.get("lists.dishonest_years")
        try:
            expires_on = listed_on.replace(year=listed_on.year + years)
        except ValueError:  # 29 February
            expires_on = listed_on.replace(year=listed_on.year + years, day=28)
    try:
        # The partial unique constraint (one current listing per list) decides a race
        # between two clerks; the savepoint keeps the caller's transaction usable.
        with transaction.atomic():
            return EmployerListing.objects.create(
                employer=employer,
                kind=kind,
                reason=reason.strip()[:300],
                listed_on=listed_on,
                expires_on=expires_on,
                decided_by=user,
            )
    except IntegrityError:
        raise Conflict(_("该单位已在“%(l)s”中") % {"l": ListKind(kind).label}) from None


def employer_listing_remove(
    *, employer: Employer, kind: str, removed_on: datetime.date, reason: str, user: User
) -> EmployerListing:
    """Take an employer off a list: the listing keeps its history with the removal date and
    reason (never deleted). A conditional update, so two removals record one."""
    _check_list_manager(user)
    errors: dict[str, list[str]] = {}
    if kind not in ListKind.values:
        errors["kind"] = [_("未知的名单")]
    if not reason.strip():
        errors["removal_reason"] = [_("请填写移出事由")]
    if removed_on > timezone.localdate():
        errors["removed_on"] = [_("移出日期不能晚于今天")]
    if errors:
        raise ValidationError(errors)
    current = EmployerListing.objects.filter(
        employer=employer, kind=kind, removed_on__isnull=True
    ).first()
    if current is None:
        raise Conflict(_("该单位不在“%(l)s”中") % {"l": ListKind(kind).label})
    if removed_on < current.listed_on:
        raise ValidationError({"removed_on": [_("移出日期不能早于列入日期")]})
    updated = EmployerListing.objects.filter(pk=current.pk, removed_on__isnull=True).update(
        removed_on=removed_on, removal_reason=reason.strip()[:300]
    )
    if not updated:
        raise Conflict(_("该名单记录已移出"))
    current.refresh_from_db()
    return current


# --- Wage deposit ---------------------------------------------------------------------------


def _window_text(days: int, text: str) -> str:
    """The reason with its window: 两年 for the default 730 days, else the days."""
    span = _("两年") if days == 730 else _("%(d)s天") % {"d": days}
    return text % {"w": span}


def required_deposit(
    *, project: Project, today: datetime.date | None = None
) -> tuple[Decimal, str] | None:
    """The wage deposit the general contractor should lodge: contract value × the configured
    rate, reduced for a clean record and raised for arrears (cases against it within
    `deposit.record_window_days`, two years by default). None while the contract value or the
    general contractor is unknown."""
    if not project.contract_value:
        return None
    contractor = (
        project.parties.filter(role=PartyRole.GENERAL_CONTRACTOR).select_related("employer").first()
    )
    if contractor is None:
        return None
    today = today or timezone.localdate()
    city = project.county.city_id
    window = int(config.get("deposit.record_window_days", city=city))
    since = today - datetime.timedelta(days=window)
    employer = contractor.employer
    arrears = (
        Case.objects.filter(created_at__date__gte=since)
        .filter(employer_credit_code=employer.credit_code)
        .exists()
        or Case.objects.filter(created_at__date__gte=since, employer_name=employer.name).exists()
    )
    rate = config.get("deposit.base_rate_percent", city=city) / 100
    if arrears:
        factor, reason = (
            config.get("deposit.arrears_factor", city=city),
            _window_text(window, _("%(w)s内有拖欠记录，提高比例")),
        )
    else:
        factor, reason = (
            config.get("deposit.clean_record_factor", city=city),
            _window_text(window, _("%(w)s内无拖欠记录，减免")),
        )
    amount = (project.contract_value * rate * factor).quantize(Decimal("0.01"))
    return amount, reason

"""The registries: a project's supervising department, employers on the lists, and the
wage deposit a project must lodge."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import config
from arrears.errors import Conflict
from arrears.models import User
from complaints.intake.routing import department_for
from complaints.models import OPEN_STATES, Case
from projects.models import (
    Employer,
    EmployerListing,
    ListingRemovalRequest,
    ListKind,
    PartyRole,
    Project,
    RemovalState,
)
from projects.permissions import can_manage_lists, can_request_removal
from projects.services.deposits import add_months


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


# --- Early removal from the dishonest-employer list ----------------------------------------
# 人社部令45号: an employer that has paid the arrears and been listed for the configured months
# (6) may ask to be removed before its term ends; the city office decides.


def _owing_cases(employer: Employer) -> Any:
    """The employer's cases still being handled with money still owed, in every unit and city
    (the rule is about the employer, not about who asks): by credit code, and by name for
    cases recorded without one."""
    same = Q(employer_credit_code=employer.credit_code) | Q(
        employer_credit_code="", employer_name=employer.name
    )
    return Case.objects.filter(same, state__in=OPEN_STATES).filter(
        recovered_amount__lt=F("amount_owed")
    )


def early_removal_problems(
    *, listing: EmployerListing, today: datetime.date | None = None
) -> list[str]:
    """Why the listing may not be removed early now ([] when it may): it must be a current
    dishonest-employer listing, listed at least the configured months ago, and its employer
    must have no open case with money still owed."""
    today = today or timezone.localdate()
    if listing.kind != ListKind.DISHONEST:
        return [_("只有失信联合惩戒对象名单可以申请提前移出")]
    if not listing.is_current:
        return [_("该名单记录已移出或已期满")]
    problems = []
    months = config.get("lists.early_removal_months")
    earliest = add_months(listing.listed_on, months)
    if today < earliest:
        problems.append(
            _("列入未满%(m)s个月（%(d)s 起方可提前移出）") % {"m": months, "d": earliest}
        )
    owing = _owing_cases(listing.employer).aggregate(
        n=Count("pk"), owed=Sum(F("amount_owed") - F("recovered_amount"))
    )
    if owing["n"]:
        problems.append(
            _("该单位尚有%(n)s件未结案件仍欠工资%(a)s元")
            % {"n": owing["n"], "a": owing["owed"].quantize(Decimal("0.01"))}
        )
    return problems


def _dishonest_listing(employer: Employer) -> EmployerListing:
    listing = EmployerListing.objects.filter(
        employer=employer, kind=ListKind.DISHONEST, removed_on__isnull=True
    ).first()
    if listing is None or not listing.is_current:
        raise Conflict(_("该单位不在失信联合惩戒对象名单中"))
    return listing


def listing_removal_request(
    *,
    employer: Employer,
    user: User,
    applicant: str,
    statement: str,
    requested_on: datetime.date | None = None,
) -> ListingRemovalRequest:
    """Record the employer's request for early removal from the dishonest-employer list (made
    by the employer, or by an officer on its behalf). Accepted whatever the conditions: the
    office's decision checks them and says which are not met."""
    if not can_request_removal(user):
        raise PermissionDenied(_("您不能登记提前移出申请"))
    requested_on = requested_on or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if not applicant.strip():
        errors["applicant"] = [_("请填写申请人")]
    if not statement.strip():
        errors["statement"] = [_("请填写申请理由")]
    if requested_on > timezone.localdate():
        errors["requested_on"] = [_("申请日期不能晚于今天")]
    if errors:
        raise ValidationError(errors)
    listing = _dishonest_listing(employer)
    if requested_on < listing.listed_on:
        raise ValidationError({"requested_on": [_("申请日期不能早于列入日期")]})
    try:
        # The partial unique constraint keeps one request under review per listing.
        with transaction.atomic():
            return ListingRemovalRequest.objects.create(
                listing=listing,
                applicant=applicant.strip()[:100],
                statement=statement.strip()[:500],
                requested_on=requested_on,
                recorded_by=user,
            )
    except IntegrityError:
        raise Conflict(_("该单位已有待审核的提前移出申请")) from None


def listing_removal_decide(
    *, employer: Employer, user: User, approve: bool, reason: str
) -> ListingRemovalRequest:
    """The city office's decision on the pending request. Approval checks the conditions
    again on the day (refused with every unmet one as the reason, nothing recorded) and takes
    the employer off the list today, the removal's reason recorded on the listing; a refusal
    records its reason. The request's state moves by a conditional update, so two decisions
    at once record one."""
    _check_list_manager(user)
    request = (
        ListingRemovalRequest.objects.filter(listing__employer=employer, state=RemovalState.PENDING)
        .select_related("listing", "listing__employer")
        .first()
    )
    if request is None:
        raise Conflict(_("该单位没有待审核的提前移出申请"))
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationError({"reason": [_("不予提前移出时请填写理由")]})
    today = timezone.localdate()
    with transaction.atomic():
        if approve:
            problems = early_removal_problems(listing=request.listing, today=today)
            if problems:
                raise ValidationError({"reason": problems})
        decided = ListingRemovalRequest.objects.filter(
            pk=request.pk, state=RemovalState.PENDING
        ).update(
            state=RemovalState.APPROVED if approve else RemovalState.REFUSED,
            decided_by=user,
            decided_on=today,
            decision_reason=reason[:500],
        )
        if not decided:
            raise Conflict(_("该申请已审核"))
        if approve:
            removal = _("清偿欠薪后提前移出（%(a)s申请）") % {"a": request.applicant}
            employer_listing_remove(
                employer=employer,
                kind=ListKind.DISHONEST,
                removed_on=today,
                reason=f"{removal}：{reason}" if reason else removal,
                user=user,
            )
    request.refresh_from_db()
    return request


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

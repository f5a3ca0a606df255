"""The 5+3 checklist, monthly wage records and the early warnings computed from them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import config, locks
from arrears.errors import Conflict
from arrears.models import Role, User
from arrears.notifications import Text
from arrears.scoping import for_user
from arrears.services import notification_send
from arrears.streaming import by_pk
from complaints.cases import services as case_services
from complaints.models import Case, Channel
from projects.models import (
    CHECKLIST,
    ChecklistItem,
    ItemState,
    MonthlyWageRecord,
    Project,
    ProjectStatus,
    Warning,
    WarningRule,
    WarningState,
    checked_items,
)
from projects.permissions import can_dispose_warning


def checklist_set(
    *,
    project: Project,
    item: str,
    state: str,
    user: User,
    evidence: str = "",
    verified_on: datetime.date | None = None,
    amount: Decimal | None = None,
    expires_on: datetime.date | None = None,
    facts: dict[str, Any] | None = None,
    refuse_older: bool = False,
    checked_only: bool = True,
) -> ChecklistItem:
    """Record the verified state of one "5+3" item of a project. With `refuse_older`, a
    verification dated before the one on record is a Conflict rather than overwriting newer
    facts (an API client replaying or syncing late); inspections and rectification checks
    keep their own order of events and do not ask for it. Only the items checked
    (`compliance.items`) are accepted, unless `checked_only` is off: a rectification ordered
    before its item was taken out is still verified."""
    if item not in dict(CHECKLIST):
        raise ValidationError({"item": [_("未知的制度项")]})
    if checked_only and item not in dict(checked_items()):
        raise ValidationError({"item": [_("该制度项不在核查范围内（compliance.items）")]})
    if state not in ItemState.values:
        raise ValidationError({"state": [_("未知的落实情况")]})
    verified_on = verified_on or timezone.localdate()
    if verified_on > timezone.localdate():
        raise ValidationError({"verified_on": [_("核查日期不能晚于今天")]})
    if amount is not None and amount < 0:
        raise ValidationError({"amount": [_("金额不能为负数")]})
    with transaction.atomic():
        if refuse_older:
            # Locked, so two verifications at once are checked one after the other.
            recorded = (
                locks.lock_rows(ChecklistItem.objects.filter(project=project, item=item))
                .values_list("verified_on", flat=True)
                .first()
            )
            if recorded is not None and verified_on < recorded:
                raise Conflict(
                    _("该项已有 %(d)s 的核查结果，不能以更早的日期覆盖") % {"d": recorded}
                )
        entry, _created = ChecklistItem.objects.update_or_create(
            project=project,
            item=item,
            defaults={
                "state": state,
                "verified_by": user,
                "verified_on": verified_on,
                "evidence": evidence,
                "amount": amount,
                "expires_on": expires_on,
                "facts": facts or {},
            },
        )
    return entry


def _first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def wage_record_save(
    *,
    project: Project,
    month: datetime.date,
    labour_cost_paid_in: Decimal,
    workers_on_roll: int,
    workers_paid: int,
    amount_paid: Decimal,
    source: str = "entered",
) -> MonthlyWageRecord:
    """Enter (or correct) one month of a project's wage payments."""
    errors: dict[str, list[str]] = {}
    month = _first_of_month(month)
    if month > _first_of_month(timezone.localdate()):
        errors["month"] = [_("月份不能晚于本月")]
    if labour_cost_paid_in < 0 or amount_paid < 0:
        errors["amount_paid"] = [_("金额不能为负数")]
    if workers_on_roll < 0 or workers_paid < 0:
        errors["workers_paid"] = [_("人数不能为负数")]
    # More paid than on the roll is allowed: leavers are paid off in their last month.
    if errors:
        raise ValidationError(errors)
    record, _created = MonthlyWageRecord.objects.update_or_create(
        project=project,
        month=month,
        defaults={
            "labour_cost_paid_in": labour_cost_paid_in,
            "workers_on_roll": workers_on_roll,
            "workers_paid": workers_paid,
            "amount_paid": amount_paid,
            "source": source,
        },
    )
    return record


# --- Early warnings -------------------------------------------------------------------------


def _months_back(today: datetime.date, n: int) -> datetime.date:
    month = _first_of_month(today)
    for _i in range(n):
        month = _first_of_month(month - datetime.timedelta(days=1))
    return month


def _agreed_monthly_labour_cost(project: Project) -> Decimal | None:
    if not (
        project.contract_value
        and project.labour_cost_share
        and project.start_date
        and project.planned_completion
    ):
        return None
    months = max(
        (project.planned_completion.year - project.start_date.year) * 12
        + project.planned_completion.month
        - project.start_date.month,
        1,
    )
    return (project.contract_value * project.labour_cost_share / 100 / months).quantize(
        Decimal("0.01")
    )


def _level(rule: str, city: int) -> str:
    """The level (red or yellow) the city gives a rule's finding (warnings.level.*)."""
    return str(config.get(f"warnings.level.{rule}", city=city))


def conditions(project: Project, today: datetime.date) -> dict[str, tuple[str, str] | None]:
    """Each rule's finding for a project on a day: (level, what is wrong) or None. Months are
    complete calendar months before `today`'s month; the levels, the months of the no-wages
    rule and the other thresholds are the project's city's configuration."""
    city = project.county.city_id
    n_months = int(config.get("warnings.no_wages_months", city=city))
    # The last n complete months, oldest first (n >= 1; the other rules read the last one).
    months = [_months_back(today, n) for n in range(max(n_months, 1), 0, -1)]
    last, first = months[-1], months[0]
    records = {r.month: r for r in project.wage_records.filter(month__in=months)}
    found: dict[str, tuple[str, str] | None] = dict.fromkeys(WarningRule.values)

    def unpaid(month: datetime.date) -> bool:
        record = records.get(month)
        return record is not None and record.workers_on_roll > 0 and record.amount_paid == 0

    started = project.start_date is None or project.start_date < first
    if started and all(unpaid(month) for month in months):
        found[WarningRule.NO_WAGES_TWO_MONTHS] = (
            _level("no_wages", city),
            _("%(months)s 连续 %(n)s 个月有考勤、无工资发放")
            % {"months": "、".join(f"{m:%Y-%m}" for m in months), "n": len(months)},
        )
    record = records.get(last)
    if record is not None:
        agreed = _agreed_monthly_labour_cost(project)
        ratio = config.get("warnings.labour_cost_ratio", city=city)
        if agreed and record.labour_cost_paid_in < agreed * ratio:
            found[WarningRule.LABOUR_COST_NOT_PAID_IN] = (
                _level("labour_cost", city),
                _("%(m)s 拨付人工费用 %(p)s 元，低于约定 %(a)s 元")
                % {"m": f"{last:%Y-%m}", "p": record.labour_cost_paid_in, "a": agreed},
            )
        if record.workers_paid < record.workers_on_roll:
            found[WarningRule.FEWER_PAID_THAN_ROLL] = (
                _level("fewer_paid", city),
                _("%(m)s 考勤 %(r)s 人，发放 %(p)s 人")
                % {"m": f"{last:%Y-%m}", "r": record.workers_on_roll, "p": record.workers_paid},
            )
        minimum = config.get("warnings.minimum_wage_yuan", city=city)
        if record.workers_paid > 0 and record.amount_paid / record.workers_paid < minimum:
            average = (record.amount_paid / record.workers_paid).quantize(Decimal("0.01"))
            found[WarningRule.BELOW_MINIMUM_WAGE] = (
                _level("below_minimum", city),
                _("%(m)s 人均发放 %(v)s 元，低于最低工资 %(min)s 元")
                % {"m": f"{last:%Y-%m}", "v": average, "min": minimum},
            )
    deposit = project.checklist.filter(item="deposit").first()
    if deposit is not None and deposit.expires_on is not None:
        days = (deposit.expires_on - today).days
        if days < 0:
            found[WarningRule.DEPOSIT_EXPIRING] = (
                _level("deposit_expired", city),
                _("保证金/保函已于 %(d)s 到期") % {"d": deposit.expires_on},
            )
        elif days <= config.get("warnings.deposit_expiry_days", city=city):
            found[WarningRule.DEPOSIT_EXPIRING] = (
                _level("deposit_expiring", city),
                _("保证金/保函将于 %(d)s 到期") % {"d": deposit.expires_on},
            )
    return found


def warnings_evaluate(*, today: datetime.date | None = None) -> dict[str, int]:
    """Evaluate every rule for every project in construction: open a warning where a
    condition holds and none is open (one per rule and project, by a database constraint),
    close open ones whose condition has gone. Idempotent; safe to run twice at once."""
    today = today or timezone.localdate()
    opened = closed = 0
    projects = Project.objects.filter(status=ProjectStatus.IN_CONSTRUCTION).select_related(
        "county", "department"
    )
    # In batches by primary key, not through a cursor: each warning below commits as it is
    # written, behind a pooler in transaction mode too (arrears/streaming.py).
    for project in by_pk(projects, batch=500):
        found = conditions(project, today)
        current = {
            w.rule: w for w in Warning.objects.filter(project=project, state=WarningState.OPEN)
        }
        for rule, finding in found.items():
            warning = current.get(rule)
            if finding is None and warning is not None:
                closed += _warning_resolve(
                    warning, disposition="auto", note=_("预警条件已消除（系统自动关闭）")
                )
            elif finding is not None and warning is None:
                level, detail = finding
                try:
                    with transaction.atomic():
                        created = Warning.objects.create(
                            project=project,
                            rule=rule,
                            level=level,
                            county=project.county,
                            department=project.department,
                            detail=detail[:300],
                        )
                except IntegrityError:
                    continue  # another evaluation opened it a moment ago
                opened += 1
                staff = User.objects.filter(
                    is_active=True,
                    department=project.department,
                    role__in=[Role.DEPARTMENT_OFFICIAL, Role.INSPECTOR],
                )
                notification_send(
                    recipients=staff,
                    kind="warning.opened",
                    title=Text(gettext_lazy("欠薪预警：%(p)s"), p=project.name),
                    body=detail,
                    url=project.get_absolute_url(),
                    dedupe_key=f"warning:{created.pk}",
                    subject=project,  # the inbox groups a project's warnings
                )
    return {"opened": opened, "closed": closed}


def _warning_resolve(warning: Warning, **fields: Any) -> int:
    """Resolve a warning that is still open, recording `fields` (disposition, note, case): a
    conditional update, so a disposition and the evaluation (or two clerks) resolve it once.
    The number of rows changed, 0 when it was already resolved."""
    return Warning.objects.filter(pk=warning.pk, state=WarningState.OPEN).update(
        state=WarningState.RESOLVED, resolved_at=timezone.now(), **fields
    )


DISPOSITIONS = {
    "interview": gettext_lazy("已约谈"),
    "resolved": gettext_lazy("已解决"),
    "case": gettext_lazy("已转为案件"),
}


def _case_for_warning(*, warning: Warning, user: User, case_number: str) -> Any:
    """The case a warning is turned into, chosen by its number: it must be one the user may
    see (the same scoping as the case pages) and concern the warning's project — linked to
    it, or, when intake could not match the project, against one of the project's parties
    (by credit code)."""
    number = case_number.strip().upper()
    if not number:
        raise ValidationError({"case_number": [_("转为案件时请填写案件编号")]})
    case = for_user(Case.objects.filter(number=number), user).first()
    if case is None:
        raise ValidationError({"case_number": [_("案件不存在或不在您的数据范围内")]})
    if case.project_id is not None:
        related = case.project_id == warning.project_id
    else:
        codes = warning.project.parties.values_list("employer__credit_code", flat=True)
        related = bool(case.employer_credit_code) and case.employer_credit_code in set(codes)
    if not related:
        raise ValidationError({"case_number": [_("该案件与预警项目无关")]})
    return case


# The party a case from a warning is against, in order of preference: the general contractor
# answers for its subcontractors' wages (保障农民工工资支付条例 art. 30).
_LIABLE_FIRST = ["general_contractor", "labour_subcontractor", "subcontractor", "builder"]


def warning_case_defaults(*, warning: Warning) -> dict[str, Any]:
    """What a case opened from the warning starts with: the project's liable employer, and
    from the latest month on record the workers not paid (all on the roll when none was) and
    the labour cost paid in but not paid out. The officer corrects the figures on the form."""
    parties = sorted(
        warning.project.parties.select_related("employer"),
        key=lambda p: (_LIABLE_FIRST.index(p.role) if p.role in _LIABLE_FIRST else 9, p.pk),
    )
    employer = parties[0].employer if parties else None
    record = warning.project.wage_records.order_by("-month").first()
    workers, amount = 0, Decimal(0)
    if record is not None:
        workers = record.workers_on_roll - record.workers_paid or record.workers_on_roll
        amount = max(record.labour_cost_paid_in - record.amount_paid, Decimal(0))
    return {
        "employer": employer,
        "workers_owed": max(workers, 0),
        "amount_owed": amount,
    }


def warning_open_case(
    *, warning: Warning, user: User, workers_owed: int, amount_owed: Decimal, note: str
) -> Case:
    """Turn a warning into a NEW case (rather than link one, see warning_dispose): opened by
    the case service like any other (numbered, clocked, on the timeline) in the warning's county
    and department, about its project and liable employer; the warning is resolved with the
    disposition "case" and records it. Who may do it, and where, as for linking a case."""
    if not can_dispose_warning(user):
        raise PermissionDenied(_("您不能处置预警"))
    if not note.strip():
        raise ValidationError({"note": [_("请填写处置说明")]})
    if warning.department is None:
        raise ValidationError({"department": [_("该预警尚无责任部门，无法转为案件")]})
    defaults = warning_case_defaults(warning=warning)
    employer = defaults["employer"]
    if employer is None:
        raise ValidationError({"employer": [_("该项目未登记参建单位，无法确定被投诉单位")]})
    with transaction.atomic():
        if not Warning.objects.filter(pk=warning.pk, state=WarningState.OPEN).exists():
            raise Conflict(_("该预警已处置"))
        case = case_services.case_open(
            user=user,
            county=warning.county,
            department=warning.department,
            employer_name=employer.name,
            employer_credit_code=employer.credit_code,
            project=warning.project,
            industry_id=warning.project.industry_id,
            workers_owed=workers_owed,
            amount_owed=amount_owed,
            # A warning is the task force's own finding, as an inspection's is; the channel
            # keeps the reports' by-channel counts honest (no complaint came in).
            channel=Channel.INSPECTION,
            note=_("由欠薪预警转为案件：%(r)s · %(d)s")
            % {"r": warning.get_rule_display(), "d": warning.detail},
        )
        if not _warning_resolve(
            warning, disposition="case", note=note.strip(), case=case
        ):  # resolved meanwhile by the evaluation or another officer: the case goes too
            raise Conflict(_("该预警已处置"))
    warning.refresh_from_db()
    return case


def warning_dispose(
    *, warning: Warning, user: User, disposition: str, note: str, case_number: str = ""
) -> Warning:
    """The department's disposition of a warning (interview held, resolved, turned into a
    case — which links the case, see `_case_for_warning`). A warning whose condition still
    holds is reopened by the next evaluation — which says why it could not be closed."""
    if not can_dispose_warning(user):
        raise PermissionDenied(_("您不能处置预警"))
    if disposition not in DISPOSITIONS:
        raise ValidationError({"disposition": [_("未知的处置方式")]})
    if not note.strip():
        raise ValidationError({"note": [_("请填写处置说明")]})
    case = None
    if disposition == "case":
        case = _case_for_warning(warning=warning, user=user, case_number=case_number)
    elif case_number.strip():
        raise ValidationError({"case_number": [_("只有“转为案件”才关联案件")]})
    updated = _warning_resolve(warning, disposition=disposition, note=note.strip(), case=case)
    if not updated:
        raise Conflict(_("该预警已处置"))
    warning.refresh_from_db()
    return warning

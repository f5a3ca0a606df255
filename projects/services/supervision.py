"""Writes of the office's supervision: a 通报 drafted from the overdue work, issued (numbered,
dated, immutable from then on) or corrected by a new one; a 约谈 with its deadline clock,
closed by recording the result."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import config, deadlines, locks
from arrears.errors import Conflict
from arrears.models import City, County, Department, Role, User
from arrears.notifications import Text
from arrears.scoping import for_user
from arrears.services import notification_send
from complaints.models import Case
from projects import supervision_selectors as reads
from projects.models import (
    INTERVIEW,
    Circular,
    CircularItem,
    CircularState,
    CircularUnit,
    Employer,
    Interview,
    InterviewKind,
    InterviewState,
    Project,
    RectificationOrder,
    Warning,
)
from projects.permissions import can_interview, can_interview_unit, can_issue_circulars

# --- Circulars ------------------------------------------------------------------------------


@dataclass
class UnitDraft:
    """One unit a new circular names, with its reason and the overdue work behind it."""

    county: County
    reason: str
    department: Department | None = None
    employer: Employer | None = None
    cases: list[Case] = field(default_factory=list)
    orders: list[RectificationOrder] = field(default_factory=list)


def _check_units(units: list[UnitDraft], user: User) -> int:
    """Refuse units outside the user's scope, of two cities, named twice or without a reason,
    and work that is not the unit's or not overdue now; return the units' city."""
    if not units:
        raise ValidationError({"units": [_("请至少选择一个被通报单位")]})
    visible = set(for_user(County.objects.all(), user).values_list("pk", flat=True))
    cities = {u.county.city_id for u in units}
    if any(u.county.pk not in visible for u in units) or len(cities) != 1:
        raise ValidationError({"units": [_("被通报单位应为本市的县（区）、部门或用人单位")]})
    seen: set[tuple[Any, ...]] = set()
    now = timezone.now()
    # Only the rows chosen are read again, each still overdue now and in the user's scope.
    chosen_cases = [c.pk for u in units for c in u.cases]
    chosen_orders = [o.pk for u in units for o in u.orders]
    late_cases = {
        c.pk: c for c in reads.overdue_cases(user=user, now=now).filter(pk__in=chosen_cases)
    }
    late_orders = {
        o.pk: o for o in reads.late_orders(user=user, now=now).filter(pk__in=chosen_orders)
    }
    for number, unit in enumerate(units, start=1):
        key = (unit.county.pk, unit.department.pk if unit.department else None, unit.employer)
        if key in seen:
            raise ValidationError({"units": [_("第%(n)s个单位重复") % {"n": number}]})
        seen.add(key)
        if unit.department is not None and unit.department.county_id != unit.county.pk:
            raise ValidationError(
                {"units": [_("第%(n)s个单位：部门不属于该县（区）") % {"n": number}]}
            )
        if not unit.reason.strip():
            raise ValidationError({"units": [_("第%(n)s个单位：请填写通报事由") % {"n": number}]})
        for case in unit.cases:
            found = late_cases.get(case.pk)
            if (
                found is None
                or found.county_id != unit.county.pk
                or (unit.department is not None and found.department_id != unit.department.pk)
            ):
                raise ValidationError(
                    {"units": [_("第%(n)s个单位：所选案件不是该单位的逾期案件") % {"n": number}]}
                )
        for order in unit.orders:
            found_order = late_orders.get(order.pk)
            inspection = found_order.finding.inspection if found_order else None
            if (
                inspection is None
                or inspection.county_id != unit.county.pk
                or (unit.department is not None and inspection.department_id != unit.department.pk)
            ):
                raise ValidationError(
                    {"units": [_("第%(n)s个单位：所选整改不是该单位的逾期整改") % {"n": number}]}
                )
        # The summaries are written from the rows just read (with their missed due time).
        unit.cases = [late_cases[c.pk] for c in unit.cases]
        unit.orders = [late_orders[o.pk] for o in unit.orders]
    return cities.pop()


def circular_create(
    *,
    user: User,
    title: str,
    units: list[UnitDraft],
    preamble: str = "",
    closing: str = "",
    supersedes: Circular | None = None,
) -> Circular:
    """Draft a 通报 naming `units`, each with its reason and the overdue cases and orders that
    motivated it (as they stand now, written into the draft)."""
    if not can_issue_circulars(user):
        raise PermissionDenied(_("只有根治欠薪办可以拟制通报"))
    if not title.strip():
        raise ValidationError({"title": [_("请填写标题")]})
    city_id = _check_units(units, user)
    if supersedes is not None and (
        supersedes.state != CircularState.ISSUED or supersedes.city_id != city_id
    ):
        raise ValidationError({"supersedes": [_("只能更正本市已印发的通报")]})
    with transaction.atomic():
        circular = Circular.objects.create(
            city_id=city_id,
            title=title.strip(),
            preamble=preamble.strip(),
            closing=closing.strip(),
            drafted_by=user,
            supersedes=supersedes,
        )
        _write_units(circular, units)
    return circular


def _write_units(circular: Circular, units: list[UnitDraft]) -> None:
    for position, unit in enumerate(units):
        row = CircularUnit.objects.create(
            circular=circular,
            county=unit.county,
            department=unit.department,
            employer=unit.employer,
            reason=unit.reason.strip(),
            position=position,
        )
        CircularItem.objects.bulk_create(
            [
                CircularItem(unit=row, case=c, summary=reads.case_summary(c)[:300])
                for c in unit.cases
            ]
            + [
                CircularItem(unit=row, order=o, summary=reads.order_summary(o)[:300])
                for o in unit.orders
            ]
        )


def _draft(circular: Circular, user: User) -> Circular:
    """The circular's row locked, if it is still a draft the user may change."""
    if not can_issue_circulars(user):
        raise PermissionDenied(_("只有根治欠薪办可以修改通报"))
    current = locks.lock_row(Circular.objects.all(), pk=circular.pk)
    if current.state != CircularState.DRAFT:
        raise Conflict(_("通报已印发，不能修改；如需更正，请另行拟制更正通报"))
    return current


def circular_update(
    *, circular: Circular, user: User, title: str, preamble: str = "", closing: str = ""
) -> Circular:
    """Reword a draft (its units and their work are chosen when it is drafted)."""
    if not title.strip():
        raise ValidationError({"title": [_("请填写标题")]})
    with transaction.atomic():
        current = _draft(circular, user)
        current.title, current.preamble, current.closing = (
            title.strip(),
            preamble.strip(),
            closing.strip(),
        )
        current.save(update_fields=["title", "preamble", "closing"])
    return current


def circular_discard(*, circular: Circular, user: User) -> None:
    """Throw a draft away (an issued circular is a record and stays)."""
    with transaction.atomic():
        current = _draft(circular, user)
        CircularItem.objects.filter(unit__circular=current).delete()
        current.units.all().delete()
        current.delete()


def number_prefix(city: City) -> str:
    """The issuing office's code in the 文号: configured per city, else "<short name>欠薪办通"."""
    configured = str(config.get("circulars.number_prefix", city=city.pk)).strip()
    return configured or f"{city.short_name or city.name}欠薪办通"


def circular_issue(
    *, circular: Circular, user: User, issued_on: datetime.date | None = None
) -> Circular:
    """Issue a draft: the next number of its city's year ("云岭欠薪办通〔2026〕3号"), its date,
    and from then on no change. The city's row is locked while the number is drawn, so two
    issues at once take consecutive numbers (the unique constraint is the backstop)."""
    issued_on = issued_on or timezone.localdate()
    if issued_on > timezone.localdate():
        raise ValidationError({"issued_on": [_("印发日期不能晚于今天")]})
    with transaction.atomic():
        current = _draft(circular, user)
        city = locks.lock_row(City.objects.all(), pk=current.city_id)
        if not current.units.exists():
            raise ValidationError({"units": [_("通报没有被通报单位")]})
        year = issued_on.year
        last = Circular.objects.filter(city=city, year=year).aggregate(n=Max("sequence"))["n"]
        sequence = (last or 0) + 1
        number = f"{number_prefix(city)}〔{year}〕{sequence}号"
        # Conditional on the state: the draft lock above already holds, this is the record.
        updated = Circular.objects.filter(pk=current.pk, state=CircularState.DRAFT).update(
            state=CircularState.ISSUED,
            year=year,
            sequence=sequence,
            number=number,
            issued_on=issued_on,
            issued_by=user,
        )
        if not updated:
            raise Conflict(_("通报已印发"))
        current.refresh_from_db()
        _tell_units(current)
    return current


def _tell_units(circular: Circular) -> None:
    """Each named county's officials and each named department's heads find it in their
    inbox (they see it on the 通报 page from now on)."""
    units = list(circular.units.all())
    counties = {u.county_id for u in units}
    departments = {u.department_id for u in units if u.department_id}
    recipients = User.objects.filter(is_active=True).filter(
        Q(role=Role.COUNTY_OFFICIAL, county_id__in=counties, department__isnull=True)
        | Q(role=Role.DEPARTMENT_OFFICIAL, department_id__in=departments)
    )
    notification_send(
        recipients=recipients,
        kind="circular.issued",
        title=Text(gettext_lazy("通报：%(t)s（%(n)s）"), t=circular.title, n=circular.number),
        url=circular.get_absolute_url(),
        dedupe_key=f"circular.issued:{circular.pk}",
        subject=circular,
    )


def circular_correct(*, circular: Circular, user: User) -> Circular:
    """Start a correction of an issued circular: a new draft with the same units, reasons and
    work, which replaces it once issued (the first stays on record as it was)."""
    if circular.state != CircularState.ISSUED:
        raise ValidationError(_("草稿可直接修改，无需更正"))
    if not can_issue_circulars(user):
        raise PermissionDenied(_("只有根治欠薪办可以拟制通报"))
    with transaction.atomic():
        draft = Circular.objects.create(
            city_id=circular.city_id,
            title=circular.title,
            preamble=circular.preamble,
            closing=circular.closing,
            drafted_by=user,
            supersedes=circular,
        )
        for unit in circular.units.prefetch_related("items"):
            items = list(unit.items.all())
            unit.pk, unit.circular = None, draft
            unit.save()
            CircularItem.objects.bulk_create(
                [
                    CircularItem(
                        unit=unit, case_id=i.case_id, order_id=i.order_id, summary=i.summary
                    )
                    for i in items
                ]
            )
    return draft


# --- Interviews -----------------------------------------------------------------------------


def _in_county(obj: Any, county: County, path: str) -> bool:
    value: Any = obj
    for part in path.split("."):
        value = getattr(value, part)
    return bool(value == county.pk)


def interview_create(
    *,
    user: User,
    kind: str,
    county: County,
    held_on: datetime.date,
    matter: str,
    department: Department | None = None,
    employer: Employer | None = None,
    attendees: str = "",
    working_days: int | None = None,
    warning: Warning | None = None,
    case: Case | None = None,
    project: Project | None = None,
) -> Interview:
    """Record a 约谈 and start its clock: the interviewed must settle within `working_days`
    (default interviews.default_days, the speech's "3日内"), counted in working days like a
    rectification order; the sweep reminds and escalates it like any clock."""
    if kind not in InterviewKind.values:
        raise ValidationError({"kind": [_("未知的约谈对象")]})
    allowed = can_interview_unit(user) if kind == InterviewKind.UNIT else can_interview(user)
    if not allowed:
        raise PermissionDenied(_("您不能登记此类约谈"))
    errors: dict[str, list[str]] = {}
    if kind == InterviewKind.EMPLOYER and employer is None:
        errors["employer"] = [_("请选择被约谈的用人单位")]
    if kind == InterviewKind.UNIT:
        employer = None
    if not matter.strip():
        errors["matter"] = [_("请填写约谈事项")]
    if held_on > timezone.localdate():
        errors["held_on"] = [_("约谈日期不能晚于今天")]
    if department is not None and department.county_id != county.pk:
        errors["department"] = [_("部门不属于该县（区）")]
    days = working_days or config.get("interviews.default_days", city=county.city_id)
    if not 1 <= days <= 30:
        errors["working_days"] = [_("限期应为1至30个工作日")]
    for name, obj, path in (
        ("warning", warning, "county_id"),
        ("case", case, "county_id"),
        ("project", project, "county_id"),
    ):
        if obj is not None and not _in_county(obj, county, path):
            errors[name] = [_("关联的事项不在该县（区）")]
    if errors:
        raise ValidationError(errors)
    _check_visible(user, county, department, warning, case, project)
    with transaction.atomic():
        interview = Interview.objects.create(
            kind=kind,
            employer=employer,
            county=county,
            department=department,
            held_on=held_on,
            held_by=user,
            attendees=attendees.strip(),
            matter=matter.strip(),
            working_days=days,
            warning=warning,
            case=case,
            project=project,
        )
        deadlines.deadline_open(
            subject=interview,
            kind=INTERVIEW,
            started_on=held_on,
            working_days=days,
            county_id=county.pk,
            department_id=department.pk if department else None,
            owner=user,
        )
    return interview


def _check_visible(user: User, county: County, department: Any, *linked: Any) -> None:
    """The unit and every linked record must be within the user's scope (a county's official
    may not start a clock on another county)."""
    if not for_user(County.objects.filter(pk=county.pk), user).exists():
        raise PermissionDenied(_("该县（区）不在您的范围内"))
    if (
        department is not None
        and not for_user(Department.objects.filter(pk=department.pk), user).exists()
    ):
        raise PermissionDenied(_("该部门不在您的范围内"))
    for obj in linked:
        if obj is not None and not for_user(type(obj).objects.filter(pk=obj.pk), user).exists():
            raise PermissionDenied(_("关联的事项不在您的范围内"))


def interview_record_result(
    *,
    interview: Interview,
    user: User,
    resolved: bool,
    result: str,
    at: datetime.datetime | None = None,
) -> Interview:
    """Record how the interview ended: the clock closes (met if in time, missed after its due
    time) and the interview is resolved or not. A conditional update: recorded once."""
    if not can_interview(user):
        raise PermissionDenied(_("您不能登记约谈结果"))
    if not result.strip():
        raise ValidationError({"result": [_("请填写解决情况")]})
    at = at or timezone.now()
    with transaction.atomic():
        updated = Interview.objects.filter(pk=interview.pk, state=InterviewState.OPEN).update(
            state=InterviewState.RESOLVED if resolved else InterviewState.UNRESOLVED,
            result=result.strip(),
            result_on=timezone.localdate(at),
            result_by=user,
        )
        if not updated:
            raise Conflict(_("该约谈已登记结果"))
        clock = reads.interview_clock(interview=interview)
        if clock is not None and clock.state in deadlines.RUNNING:
            deadlines.deadline_close(deadline=clock, at=at)
        interview.refresh_from_db()
    return interview

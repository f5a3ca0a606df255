"""The wage deposit's events and the clocks they open and close (人社部发〔2021〕65号):

- lodging: 20 working days from the project's start date (开工日期), the day the general
  contractor's duty begins on site; opened by the daily `deposit_clocks_ensure` for projects
  in construction with no deposit on record, closed by a lodged deposit or a guarantee letter;
- payout: 5 working days from a decision to draw on the deposit for a case (动用), one clock per
  draw, closed when payouts cover the amount drawn;
- top-up: 10 working days from a payout, closed once top-ups cover every payout;
- guarantee letter: opened one month (configurable) before the letter in force expires, due on
  its last working day before the expiry, closed by a new letter or a cash deposit.

Every clock is a Deadline of arrears.deadlines, reminded and escalated by its sweep."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import config, deadlines, locks, workdays
from arrears.models import ConfigValue, Deadline, User
from arrears.scoping import for_user
from complaints.models import Case
from projects.models import (
    DepositEvent,
    DepositEventKind,
    ItemState,
    Project,
    ProjectStatus,
)
from projects.models.compliance import ChecklistItem
from projects.models.deposits import (
    DEPOSIT_GUARANTEE,
    DEPOSIT_LODGE,
    DEPOSIT_PAYOUT,
    DEPOSIT_TOPUP,
)
from projects.permissions import can_inspect
from projects.services.compliance import checklist_set

# The events that put a deposit in place (the latest of them is the deposit in force).
PROVIDING = (DepositEventKind.LODGED, DepositEventKind.GUARANTEE)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by whole calendar months, on the month's last day when it has no such day
    (a letter expiring on 31 March is reminded from 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    following = datetime.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last = (following - datetime.timedelta(days=1)).day
    return datetime.date(year, month + 1, min(day.day, last))


def _sum(events: Any, *kinds: str) -> Decimal:
    total = events.filter(kind__in=kinds).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0")


def deposit_position(*, project: Project) -> dict[str, Any]:
    """The deposit in force (the latest lodging or letter), what payouts took from it and is
    still to be topped up, and what draws have not been paid yet. A handful of aggregates."""
    events = DepositEvent.objects.filter(project=project)
    base = events.filter(kind__in=PROVIDING).order_by("-occurred_on", "-pk").first()
    shortfall = max(
        _sum(events, DepositEventKind.PAID_OUT) - _sum(events, DepositEventKind.TOPPED_UP),
        Decimal("0"),
    )
    unpaid = max(
        _sum(events, DepositEventKind.DRAWN) - _sum(events, DepositEventKind.PAID_OUT),
        Decimal("0"),
    )
    balance = max(base.amount - shortfall, Decimal("0")) if base is not None else Decimal("0")
    return {
        "in_force": base,
        "balance": balance,
        "shortfall": shortfall,
        "unpaid_draws": unpaid,
        "available": max(balance - unpaid, Decimal("0")),
    }


def _clocks(subject: models.Model, kind: str) -> Any:
    return Deadline.objects.for_subject(subject).filter(kind=kind)


def _running(subject: models.Model, kind: str) -> Deadline | None:
    return _clocks(subject, kind).filter(state__in=deadlines.RUNNING).first()


def _close_at(day: datetime.date) -> datetime.datetime:
    """When an event dated `day` stops a clock: now if it happened today, else the end of that
    day's working hours, so a clock is met exactly when the event's date is not after its due
    date (a deadline is due at the end of its last working day)."""
    return min(timezone.now(), workdays.end_of_working_day(day))


def _close(subject: models.Model, kind: str, day: datetime.date) -> None:
    clock = _running(subject, kind)
    if clock is not None:
        deadlines.deadline_close(deadline=clock, at=_close_at(day))


def _open(project: Project, subject: models.Model, kind: str, day: datetime.date, n: int) -> Any:
    return deadlines.deadline_open(
        subject=subject,
        kind=kind,
        started_on=day,
        working_days=n,
        county_id=project.county_id,
        department_id=project.department_id,
    )


def _case_for(project: Project, user: User, number: str) -> Case:
    """The case a draw pays: one the user may see, about this project (linked to it, or, when
    intake matched no project, against one of its parties by credit code)."""
    number = number.strip().upper()
    if not number:
        raise ValidationError({"case_number": [_("动用保证金时请填写案件编号")]})
    case = for_user(Case.objects.filter(number=number), user).first()
    if case is None:
        raise ValidationError({"case_number": [_("案件不存在或不在您的数据范围内")]})
    if case.project_id is not None:
        related = case.project_id == project.pk
    else:
        codes = set(project.parties.values_list("employer__credit_code", flat=True))
        related = bool(case.employer_credit_code) and case.employer_credit_code in codes
    if not related:
        raise ValidationError({"case_number": [_("该案件与本项目无关")]})
    return case


def _check(
    *,
    kind: str,
    occurred_on: datetime.date,
    amount: Decimal,
    expires_on: datetime.date | None,
) -> None:
    errors: dict[str, list[str]] = {}
    if kind not in DepositEventKind.values:
        errors["kind"] = [_("未知的保证金事项")]
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = [_("日期不能晚于今天")]
    if amount <= 0:
        errors["amount"] = [_("金额应大于0")]
    if kind == DepositEventKind.GUARANTEE:
        if expires_on is None:
            errors["expires_on"] = [_("请填写保函到期日期")]
        elif expires_on <= max(occurred_on, timezone.localdate()):
            errors["expires_on"] = [_("保函到期日期应晚于今天和出具日期")]
    elif expires_on is not None:
        errors["expires_on"] = [_("只有银行保函填写到期日期")]
    if errors:
        raise ValidationError(errors)


def deposit_event_record(
    *,
    project: Project,
    user: User,
    kind: str,
    occurred_on: datetime.date,
    amount: Decimal,
    bank: str = "",
    expires_on: datetime.date | None = None,
    case_number: str = "",
    draw: DepositEvent | None = None,
    note: str = "",
) -> DepositEvent:
    """Record one event of the project's wage deposit and move its clocks: a deposit or a
    letter stops the lodging clock (and a letter's renewal the expiry clock) and marks the
    checklist's deposit item; a draw starts its payout clock; a payout stops it once the draw
    is paid and starts the top-up clock; a top-up stops that once every payout is restored."""
    if not can_inspect(user):
        raise PermissionDenied(_("只有监察员和主管部门可以登记工资保证金"))
    _check(kind=kind, occurred_on=occurred_on, amount=amount, expires_on=expires_on)
    if kind != DepositEventKind.PAID_OUT and draw is not None:
        raise ValidationError({"draw": [_("只有保证金支付需要选择动用决定")]})
    if kind != DepositEventKind.DRAWN and case_number.strip():
        raise ValidationError({"case_number": [_("只有动用保证金需要填写案件编号")]})
    case = _case_for(project, user, case_number) if kind == DepositEventKind.DRAWN else None
    with transaction.atomic():
        # One recorder at a time per project: the amounts below are read and checked against
        # what the previous event left, never against a page loaded before a colleague's.
        locks.lock_row(Project.objects.all(), pk=project.pk)
        position = deposit_position(project=project)
        _check_amounts(kind, amount, occurred_on, draw, project, position)
        event = DepositEvent.objects.create(
            project=project,
            kind=kind,
            occurred_on=occurred_on,
            amount=amount,
            bank=bank.strip()[:100],
            expires_on=expires_on,
            case=case,
            draw=draw,
            note=note.strip()[:300],
            recorded_by=user,
        )
        _move_clocks(event, project, user)
    return event


def _check_amounts(
    kind: str,
    amount: Decimal,
    occurred_on: datetime.date,
    draw: DepositEvent | None,
    project: Project,
    position: Any,
) -> None:
    if kind == DepositEventKind.DRAWN:
        if position["in_force"] is None:
            raise ValidationError({"kind": [_("该项目尚未登记保证金或保函，无法动用")]})
        if amount > position["available"]:
            raise ValidationError(
                {"amount": [_("超过可动用余额 %(a)s 元") % {"a": position["available"]}]}
            )
    elif kind == DepositEventKind.PAID_OUT:
        if draw is None or draw.project_id != project.pk or draw.kind != DepositEventKind.DRAWN:
            raise ValidationError({"draw": [_("请选择本项目的动用决定")]})
        if occurred_on < draw.occurred_on:
            raise ValidationError({"occurred_on": [_("支付日期不能早于动用决定日期")]})
        left = draw.amount - _sum(draw.payouts.all(), DepositEventKind.PAID_OUT)
        if left <= 0:
            raise ValidationError({"draw": [_("该动用决定已支付完毕")]})
        if amount > left:
            raise ValidationError(
                {"amount": [_("超过该动用决定尚未支付的 %(a)s 元") % {"a": left}]}
            )
    elif kind == DepositEventKind.TOPPED_UP:
        if position["shortfall"] <= 0:
            raise ValidationError({"kind": [_("保证金没有需要补足的金额")]})
        if amount > position["shortfall"]:
            raise ValidationError(
                {"amount": [_("超过待补足金额 %(a)s 元") % {"a": position["shortfall"]}]}
            )


def _move_clocks(event: DepositEvent, project: Project, user: User) -> None:
    city = project.county.city_id
    day = event.occurred_on
    if event.kind in PROVIDING:
        _close(project, DEPOSIT_LODGE, day)
        # A new letter renews the one expiring; a cash deposit replaces it.
        _close(project, DEPOSIT_GUARANTEE, day)
        checklist_set(
            project=project,
            item="deposit",
            state=ItemState.COMPLIANT,
            user=user,
            verified_on=timezone.localdate(),
            evidence=_("登记%(k)s：%(n)s") % {"k": event.get_kind_display(), "n": event.note},
            amount=event.amount,
            expires_on=event.expires_on,
            # The checklist's free-form facts name the form in words, as an officer types it there
            # (the dashboards count a form naming 保函 as a guarantee letter).
            facts={
                "form": "银行保函" if event.kind == DepositEventKind.GUARANTEE else "现金存储",
                **({"issuer": event.bank} if event.bank else {}),
            },
        )
        if event.kind == DepositEventKind.GUARANTEE:
            _guarantee_clock(project, event, timezone.localdate())
    elif event.kind == DepositEventKind.DRAWN:
        _open(
            project,
            event,
            DEPOSIT_PAYOUT,
            day,
            config.get("deposit.payout_working_days", city=city),
        )
    elif event.kind == DepositEventKind.PAID_OUT:
        assert event.draw is not None  # the check constraint's rule, checked above
        paid = _sum(event.draw.payouts.all(), DepositEventKind.PAID_OUT)
        if paid >= event.draw.amount:
            _close(event.draw, DEPOSIT_PAYOUT, day)
        # The first payout from a full balance starts the top-up; later ones run on the clock
        # already counting (the earliest payout's limit governs until all is restored).
        if _running(project, DEPOSIT_TOPUP) is None:
            _open(
                project,
                project,
                DEPOSIT_TOPUP,
                day,
                config.get("deposit.topup_working_days", city=city),
            )
    elif (
        event.kind == DepositEventKind.TOPPED_UP
        and deposit_position(project=project)["shortfall"] <= 0
    ):
        _close(project, DEPOSIT_TOPUP, day)


def _guarantee_clock(project: Project, letter: DepositEvent, today: datetime.date) -> bool:
    """Open the expiry clock of the letter in force once its reminder window has begun: from
    one month before the expiry, due on the last working day up to it. Once per letter."""
    assert letter.expires_on is not None
    months = config.get("deposit.guarantee_reminder_months", city=project.county.city_id)
    starts = add_months(letter.expires_on, -months)
    if starts > today:
        return False
    if _clocks(project, DEPOSIT_GUARANTEE).filter(created_at__gte=letter.recorded_at).exists():
        return False  # this letter's clock is open already, or was closed by its renewal
    days = max(workdays.working_days_between(starts, letter.expires_on), 1)
    _open(project, project, DEPOSIT_GUARANTEE, starts, days)
    return True


def deposit_clocks_ensure(*, today: datetime.date | None = None) -> dict[str, int]:
    """Beat, daily: start the lodging clock of each project in construction that began works
    within the configured look-back and has no deposit on record (nor the checklist's deposit
    item verified or waived), and the expiry clock of each letter within its reminder window.
    A lodging clock whose item was since verified compliant closes, one waived is cancelled.
    Idempotent: each clock opens once."""
    today = today or timezone.localdate()
    project_type = ContentType.objects.get_for_model(Project)
    clocks = Deadline.objects.filter(content_type=project_type, object_id=OuterRef("pk"))
    deposit_item = ChecklistItem.objects.filter(project=OuterRef("pk"), item="deposit")
    settled = deposit_item.filter(state__in=[ItemState.COMPLIANT, ItemState.NOT_APPLICABLE])
    lookback = datetime.timedelta(days=config.get("deposit.lodge_lookback_days"))
    candidates = (
        Project.objects.filter(
            status=ProjectStatus.IN_CONSTRUCTION,
            start_date__lte=today,
            start_date__gte=today - lookback,
        )
        .filter(~Exists(clocks.filter(kind=DEPOSIT_LODGE)))
        .filter(~Exists(DepositEvent.objects.filter(project=OuterRef("pk"), kind__in=PROVIDING)))
        .filter(~Exists(settled))
        .select_related("county")
    )
    opened = 0
    for project in candidates:
        city = project.county.city_id
        assert project.start_date is not None
        try:
            _open(
                project,
                project,
                DEPOSIT_LODGE,
                project.start_date,
                config.get("deposit.lodge_working_days", city=city),
            )
        except ValidationError:
            continue  # opened a moment ago by another run (one running clock per kind)
        opened += 1
    settled_clocks = _settle_lodging(project_type)
    letters = 0
    for letter in _letters_in_force(today, project_type):
        try:
            letters += _guarantee_clock(letter.project, letter, today)
        except ValidationError:
            continue  # opened a moment ago by another run (one running clock per kind)
    return {"lodging": opened, "settled": settled_clocks, "guarantee": letters}


def _settle_lodging(project_type: ContentType) -> int:
    """Running lodging clocks of projects whose deposit item was verified since: compliant
    closes the clock (met or missed by the verification's date), not applicable cancels it."""
    done = 0
    running = Deadline.objects.filter(
        content_type=project_type, kind=DEPOSIT_LODGE, state__in=deadlines.RUNNING
    )
    items = list(
        ChecklistItem.objects.filter(
            item="deposit",
            state__in=[ItemState.COMPLIANT, ItemState.NOT_APPLICABLE],
            project_id__in=running.values("object_id"),
        )
    )
    # Only the clocks of the items found (few a day), not every running lodging clock.
    by_project = {
        clock.object_id: clock
        for clock in running.filter(object_id__in=[item.project_id for item in items])
    }
    for item in items:
        clock = by_project[item.project_id]
        if item.state == ItemState.NOT_APPLICABLE:
            done += deadlines.deadline_cancel(deadline=clock)
        else:
            day = item.verified_on or timezone.localdate()
            done += deadlines.deadline_close(deadline=clock, at=_close_at(day))
    return done


def _letters_in_force(today: datetime.date, project_type: ContentType) -> list[DepositEvent]:
    """Each project's latest lodging-or-letter event (the deposit in force) when it is a
    letter expiring within the widest reminder window any city uses and has no clock yet
    (each city's own window is checked in _guarantee_clock)."""
    later = DepositEvent.objects.filter(project=OuterRef("project"), kind__in=PROVIDING).filter(
        Q(occurred_on__gt=OuterRef("occurred_on"))
        | Q(occurred_on=OuterRef("occurred_on"), pk__gt=OuterRef("pk"))
    )
    clocked = Deadline.objects.filter(
        content_type=project_type,
        object_id=OuterRef("project_id"),
        kind=DEPOSIT_GUARANTEE,
        created_at__gte=OuterRef("recorded_at"),
    )
    key = "deposit.guarantee_reminder_months"
    overriding = ConfigValue.objects.filter(key=key, city__isnull=False).values_list(
        "city_id", flat=True
    )
    widest = max([config.get(key)] + [config.get(key, city=city) for city in overriding])
    return list(
        DepositEvent.objects.filter(
            kind=DepositEventKind.GUARANTEE, expires_on__lte=add_months(today, widest)
        )
        .filter(~Exists(later), ~Exists(clocked))
        .select_related("project", "project__county")
    )

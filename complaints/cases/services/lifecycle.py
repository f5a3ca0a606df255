"""A case from opening to closure: opened (or joined) when a complaint is signed, accepted
or refused, filed, closed with an outcome, reopened; the working days a closed case took."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateField, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import config, deadlines, locks, workdays
from arrears.models import DeadlineState, User
from complaints.cases import outcomes
from complaints.cases.services.core import (
    ACCEPT,
    CLOSE,
    ORDER,
    POLICE_APPROVAL,
    POLICE_HANDOVER,
    RESPOND,
    TRANSITIONS,
    _check_scope,
    _close_clock,
    _entry,
    _lock,
    _open_clock,
    _refused,
    _running,
    _tell_complainants,
    _transition,
    close_days,
    complaints_follow,
    refresh_case_totals,
    statutory_close_days,
)
from complaints.integration import sms
from complaints.models import (
    Case,
    CaseState,
    Complaint,
    EntryKind,
    Outcome,
)
from complaints.timeline import texts_send
from complaints.tracking import format_tracking_no


def case_for_complaint(*, complaint: Complaint, user: User) -> Case:
    """Put a signed complaint into the open case of its unit for the same project or employer
    (many workers of one site are one case), or open a new case owned by the signer."""
    assert complaint.department is not None and complaint.county is not None
    same = Q(employer_name=complaint.employer_name)
    if complaint.employer_credit_code:
        same |= Q(employer_credit_code=complaint.employer_credit_code)
    if complaint.project_id:
        same |= Q(project_id=complaint.project_id)
    case = (
        # The oldest open case of the same employer or project in the unit; every candidate
        # locked, in primary-key order, so two complaints signed at once join one case.
        min(
            locks.lock_rows(Case.objects.open().filter(same, department=complaint.department)),
            key=lambda c: (c.created_at, c.pk),
            default=None,
        )
    )
    created = case is None
    if case is None:
        case = _case_create(
            county=complaint.county,
            department=complaint.department,
            owner=user,
            employer_name=complaint.employer_name,
            employer_credit_code=complaint.employer_credit_code,
            project=complaint.project,
            project_name=complaint.project_name,
            channel=complaint.channel,
            industry_id=complaint.industry_id,
            workers_owed=complaint.workers_owed,
            amount_owed=complaint.amount_owed,
        )
    # The complaint, and any merged into it before it was signed, are handled in this case.
    Complaint.objects.filter(Q(pk=complaint.pk) | Q(merged_into=complaint)).update(case=case)
    refresh_case_totals(case)
    complaints_follow(case)  # joining a case already accepted or filed: its status, not 已签收
    if created:
        _start_clocks(case, received=timezone.localdate(complaint.received_at), owner=user)
    _entry(
        case,
        EntryKind.NOTE,
        user,
        _("并入投诉 %(t)s") % {"t": format_tracking_no(complaint.tracking_no)},
    )
    return case


def _case_create(**fields: Any) -> Case:
    """A new case, numbered AJ<year><pk>; its clocks are `_start_clocks`'."""
    case = Case.objects.create(**fields)
    case.number = f"AJ{timezone.localdate():%Y}{case.pk:07d}"
    case.save(update_fields=["number"])
    return case


def _start_clocks(case: Case, *, received: datetime.date, owner: User) -> None:
    """A new case's clocks, from the day what it is about was received: to accept it, and to
    respond, in the city's configured working days."""
    for kind, days in (
        (ACCEPT, config.get("case.accept_days", city=case.county.city_id)),
        (RESPOND, config.get("case.respond_days", city=case.county.city_id)),
    ):
        _open_clock(case, kind, started_on=received, working_days=days, owner=owner)


def case_open(
    *,
    user: User,
    county: Any,
    department: Any,
    employer_name: str,
    workers_owed: int,
    amount_owed: Decimal,
    channel: str,
    note: str,
    employer_credit_code: str = "",
    project: Any = None,
    industry_id: int | None = None,
) -> Case:
    """Open a case that no complaint brought (an early warning turned into one, see
    projects.services.warning_open_case): numbered and clocked exactly as a case opened by a
    signed complaint, owned by the user, in the unit given (which must be in their scope).
    `note` is the timeline's first entry, saying where the case came from."""
    errors: dict[str, list[str]] = {}
    if not employer_name.strip():
        errors["employer_name"] = [_("请填写被投诉单位")]
    if workers_owed < 1:
        errors["workers_owed"] = [_("涉及人数至少为1")]
    if amount_owed <= 0:
        errors["amount_owed"] = [_("欠薪金额应大于0")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = _case_create(
            county=county,
            department=department,
            owner=user,
            employer_name=employer_name.strip(),
            employer_credit_code=employer_credit_code,
            project=project,
            project_name=project.name if project is not None else "",
            channel=channel,
            industry_id=industry_id,
            workers_owed=workers_owed,
            amount_owed=amount_owed,
        )
        _check_scope(case, user)
        _start_clocks(case, received=timezone.localdate(), owner=user)
        _entry(case, EntryKind.NOTE, user, note)
    return case


def case_accept(*, case: Case, user: User) -> Case:
    _check_scope(case, user)
    with transaction.atomic():
        case = _transition(case, "accept", accepted_at=timezone.now())
        for kind in (ACCEPT, RESPOND):
            _close_clock(case, kind)
        _entry(case, EntryKind.ACCEPT, user)
        _tell_complainants(case, _("已受理，正在调查处理"))
    return case


def case_refuse(*, case: Case, user: User, reason: str) -> Case:
    _check_scope(case, user)
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写不予受理的理由")]})
    with transaction.atomic():
        case = _transition(case, "refuse", refusal_reason=reason.strip())
        for kind in (ACCEPT, RESPOND):
            _close_clock(case, kind)
        _entry(case, EntryKind.REFUSE, user, reason.strip())
        _tell_complainants(case, _("不予受理：%(r)s") % {"r": reason.strip()})
    return case


def case_file(*, case: Case, user: User, filed_on: datetime.date | None = None) -> Case:
    """立案: the closing clock starts (by triage class, else the statutory 60 working days)."""
    _check_scope(case, user)
    filed_on = filed_on or timezone.localdate()
    if filed_on > timezone.localdate():
        raise ValidationError({"filed_on": [_("立案日期不能晚于今天")]})
    with transaction.atomic():
        case = _transition(case, "file", filed_on=filed_on)
        _open_clock(case, CLOSE, started_on=filed_on, working_days=close_days(case))
        _entry(case, EntryKind.FILE, user)
        _tell_complainants(case, _("已立案调查"))
    return case


def case_close(*, case: Case, user: User, outcome: str, note: str) -> Case:
    """结案 with an outcome; the working days it took and whether it met its deadline are
    stored for the dashboards."""
    _check_scope(case, user)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": [_("请选择办理结果")]})
    if not note.strip():
        raise ValidationError({"note": [_("请填写结案说明")]})
    now = timezone.now()
    with transaction.atomic():
        # Under the row lock: no payment or revision can change the figures between the
        # outcome's check and the closure.
        case = _lock(case)
        if case.state not in TRANSITIONS["close"][0]:
            raise _refused(case, "close")
        why = outcomes.refusal(outcome, outcomes.facts(case))
        if why is not None:
            raise ValidationError({"outcome": [why]})
        start = case.filed_on or timezone.localdate(case.accepted_at or case.created_at)
        taken = max(workdays.working_days_between(start, timezone.localdate(now)), 0)
        clock = _running(case, CLOSE)
        if clock is not None and clock.state == DeadlineState.PAUSED:
            deadlines.deadline_resume(deadline=clock, at=now)
            clock.refresh_from_db()
        on_time = None
        if clock is not None:
            deadlines.deadline_close(deadline=clock, at=now)
            on_time = clock.state == DeadlineState.MET
        case = _transition(
            case,
            "close",
            closed_at=now,
            outcome=outcome,
            closure_note=note.strip(),
            working_days_taken=taken,
            closed_on_time=on_time,
            closed_in_limit=taken <= statutory_close_days(case),
        )
        # A transfer still proposed or approved stops with the case (its outcome is decided).
        for kind in (ACCEPT, RESPOND, ORDER, POLICE_APPROVAL, POLICE_HANDOVER):
            _close_clock(case, kind, at=now)
        _entry(case, EntryKind.CLOSE, user, note.strip(), data={"outcome": outcome})
        _tell_complainants(case, _("已办结：%(o)s") % {"o": case.get_outcome_display()})
        # Keyed by the closure (reopened_count): a second close of the same closure is refused
        # by the transition anyway; a case reopened and closed again tells its new result.
        outcome = case.get_outcome_display()
        texts_send([sms.closed(c, outcome, case.reopened_count) for c in case.complaints.all()])
    return case


def case_days_recompute() -> int:
    """After a calendar change: the working days each closed case took, counted again with
    the calendar in force (the dashboards' averages read them). Whether a case closed on time,
    and within the statutory limit, stays as it was decided when it closed. Idempotent;
    returns how many cases changed.

    One pass reads (id, start, closed, stored) with a server-side cursor and counts in
    memory (the calendar is a sorted list); only the wrong rows are updated, by id, in
    batches grouped by their new figure — after a one-day change, the cases spanning it."""

    tz = timezone.get_current_timezone()
    rows = (
        Case.objects.filter(state=CaseState.CLOSED, working_days_taken__isnull=False)
        .annotate(
            start=Coalesce(
                "filed_on",
                TruncDate("accepted_at", tzinfo=tz),
                TruncDate("created_at", tzinfo=tz),
                output_field=DateField(),
            ),
            end=TruncDate("closed_at", tzinfo=tz),
        )
        .order_by()
        .values_list("pk", "start", "end", "working_days_taken")
    )
    calendar = workdays.get_calendar()
    wrong: dict[int, list[int]] = {}
    # One transaction for the read: its server-side cursor then stays on one server connection
    # behind PgBouncer in transaction mode (arrears/streaming.py); the writes come after it.
    with transaction.atomic():
        for pk, start, end, stored in rows.iterator(chunk_size=5000):
            try:
                taken = max(calendar.working_days_between(start, end), 0)
            except ValueError:  # outside the years the calendar holds: leave as stored
                continue
            if taken != stored:
                wrong.setdefault(taken, []).append(pk)
    changed = 0
    for taken, pks in wrong.items():
        for n in range(0, len(pks), 1000):
            with transaction.atomic():
                changed += (
                    Case.objects.filter(pk__in=pks[n : n + 1000], state=CaseState.CLOSED)
                    .exclude(working_days_taken=taken)
                    .update(working_days_taken=taken)
                )
    return changed


def case_reopen(*, case: Case, user: User, reason: str) -> Case:
    _check_scope(case, user)
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写重新办理的理由")]})
    today = timezone.localdate()
    with transaction.atomic():
        case = _transition(
            case,
            "reopen",
            filed_on=today,
            closed_at=None,
            outcome="",
            working_days_taken=None,
            closed_on_time=None,
            closed_in_limit=None,
            reopened_count=case.reopened_count + 1,
        )
        _open_clock(case, CLOSE, started_on=today, working_days=close_days(case))
        _entry(case, EntryKind.REOPEN, user, reason.strip())
        _tell_complainants(case, _("已重新办理"))
    return case

"""The rules every case action shares: the transitions table, the clocks of a case, the
lock-and-recheck of actions that are not transitions, the scope check, the timeline entry,
the suggested class and the criminal flag, the totals a case keeps of its complaints."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import config, deadlines, locks
from arrears.errors import Conflict
from arrears.models import Deadline, User
from complaints.integration import work_orders
from complaints.models import (
    Case,
    CaseEntry,
    CaseState,
    Complaint,
    EventKind,
    TriageClass,
)
from complaints.models.complaint import STATUS_FOR_CASE_STATE
from complaints.timeline import record_event

# action → (states it may start from, state it leads to). The only definition of the flow.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": ((CaseState.PENDING,), CaseState.ACCEPTED),
    "refuse": ((CaseState.PENDING,), CaseState.REFUSED),
    "file": ((CaseState.ACCEPTED,), CaseState.FILED),
    "close": ((CaseState.ACCEPTED, CaseState.FILED), CaseState.CLOSED),
    "reopen": ((CaseState.CLOSED, CaseState.REFUSED), CaseState.FILED),
}


ACTION_NAMES = {
    "accept": gettext_lazy("受理"),
    "refuse": gettext_lazy("不予受理"),
    "file": gettext_lazy("立案"),
    "close": gettext_lazy("结案"),
    "reopen": gettext_lazy("重新办理"),
}


ACCEPT, RESPOND, CLOSE = "case.accept", "case.respond", "case.close"


ORDER = "case.order"  # the deadline an order to pay (责令支付) gives the employer

# The police referral's clocks in calendar time (国务院令310号 art. 5): the head's decision
# on a proposed transfer, then the hand-over of an approved one (labels: complaints.wiring).
POLICE_APPROVAL, POLICE_HANDOVER = "case.police_approval", "case.police_handover"


# What the case clocks ship with (each changeable per city in the configuration): the closing
# clock is reminded 5 and 1 working days before it is due and stands still during arbitration
# and a suspension (劳动保障监察条例 art. 17 counts the investigation's own time); the other
# clocks have the general single reminder and never pause.
deadlines.kind_defaults(CLOSE, reminders="5,1", pause_for=("arbitration", "suspension"))
deadlines.KIND_LABELS.update(
    {
        ACCEPT: gettext_lazy("受理决定时限"),
        RESPOND: gettext_lazy("首次响应时限"),
        CLOSE: gettext_lazy("办结时限"),
        ORDER: gettext_lazy("责令支付期限"),
    }
)


def allowed_actions(case: Case) -> list[str]:
    return [a for a, (sources, _target) in TRANSITIONS.items() if case.state in sources]


def _refused(current: Case, action: str) -> Conflict:
    return Conflict(
        _("案件当前状态为“%(s)s”，不能%(a)s")
        % {"s": current.get_state_display(), "a": ACTION_NAMES[action]}
    )


def _transition(case: Case, action: str, **fields: Any) -> Case:
    sources, target = TRANSITIONS[action]
    updated = Case.objects.filter(pk=case.pk, state__in=sources).update(state=target, **fields)
    if not updated:
        raise _refused(Case.objects.get(pk=case.pk), action)
    case.refresh_from_db()
    complaints_follow(case)
    return case


def complaints_follow(case: Case) -> int:
    """The complaints of a case take the status of its state (STATUS_FOR_CASE_STATE): the one
    place the public status of a handled complaint is set, called by every transition and
    when a complaint joins a case, before the public event (and its callback) is written."""
    status = STATUS_FOR_CASE_STATE[case.state]
    updated = Complaint.objects.filter(case=case).exclude(status=status).update(status=status)
    # The referring systems' work-order clocks this state answers (signed, responded, closed).
    work_orders.work_orders_follow(
        complaint_ids=Complaint.objects.filter(case=case).values("pk"), case_state=case.state
    )
    return updated


def _lock(case: Case) -> Case:
    """The case row, locked until the transaction ends: money checks read the totals under
    it, so two payments (or a payment and a revision or closure) cannot both pass a check
    on the same figures."""
    return locks.lock_row(Case.objects.all(), pk=case.pk)


@contextmanager
def _acting_on(case: Case, refusal: Callable[[Case], str | None]) -> Iterator[Case]:
    """Every case action that is not a state transition runs inside this: one transaction, the
    case row locked until it ends, and the action's precondition (`refusal` names what stands
    in the way, or None) checked on the locked row, never on the caller's copy — which may be
    stale: a page opened before a colleague closed the case, or two officers at once. A
    transition needs none of it: its conditional UPDATE is both the check and the write."""
    with transaction.atomic():
        current = _lock(case)
        reason = refusal(current)
        if reason is not None:
            raise Conflict(reason)
        yield current


def _open_or(message: str) -> Callable[[Case], str | None]:
    return lambda current: None if current.is_open else message


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _check_scope(case: Case, user: User) -> None:
    """The case's unit (by the scoping rules), its leader and its task team may act on it."""
    if Case.objects.visible_to(user).filter(pk=case.pk).exists():
        return
    raise PermissionDenied(_("该案件不在您的办理范围内"))


def _entry(case: Case, kind: str, user: User | None, text: str = "", **extra: Any) -> CaseEntry:
    return CaseEntry.objects.create(case=case, kind=kind, actor=user, text=text, **extra)


def _running(case: Case, kind: str) -> Deadline | None:
    return Deadline.objects.for_subject(case).filter(kind=kind, state__in=deadlines.RUNNING).first()


def _open_clock(
    case: Case,
    kind: str,
    *,
    started_on: datetime.date,
    working_days: int,
    owner: User | None = None,
) -> Deadline:
    """A clock on the case, scoped to its unit (for the sweep's recipients and the dashboards)
    and owned by its officer unless someone else is named."""
    return deadlines.deadline_open(
        subject=case,
        kind=kind,
        started_on=started_on,
        working_days=working_days,
        county_id=case.county_id,
        department_id=case.department_id,
        owner=owner if owner is not None else case.owner,
    )


def _close_clock(case: Case, kind: str, at: datetime.datetime | None = None) -> Deadline | None:
    deadline = _running(case, kind)
    if deadline is not None:
        deadlines.deadline_close(deadline=deadline, at=at)
    return deadline


def _tell_complainants(case: Case, text: str) -> None:
    """Public progress on every complaint of the case (and so to the referring systems)."""

    for complaint in case.complaints.all():
        record_event(complaint, EventKind.CASE_PROGRESS, public_text=text)


def _city(case: Case) -> int:
    """The case's city, whose own deadlines and thresholds apply (arrears.config per_city)."""
    return case.county.city_id


def close_days(case: Case) -> int:
    if case.triage_class:
        return int(config.get(f"case.close_days.{case.triage_class}", city=_city(case)))
    return statutory_close_days(case)


def statutory_close_days(case: Case) -> int:
    """The statutory limit (劳动保障监察条例 第17条) in force for the case's city."""
    return int(config.get("case.close_days.statutory", city=_city(case)))


def suggest_class(case: Case) -> str:
    """The class the configured thresholds suggest; an officer confirms or changes it."""
    window = int(config.get("case.triage.repeat_window_days", city=_city(case)))
    repeat = (
        Case.objects.filter(
            employer_name=case.employer_name,
            created_at__gte=timezone.now() - datetime.timedelta(days=window),
        )
        .exclude(pk=case.pk)
        .count()
    )
    if (
        case.workers_owed >= config.get("case.triage.major_workers", city=_city(case))
        or case.amount_owed >= config.get("case.triage.major_amount", city=_city(case))
        or case.risk_of_mass_incident
        or repeat >= config.get("case.triage.repeat_cases", city=_city(case))
    ):
        return TriageClass.MAJOR
    if case.workers_owed <= config.get(
        "case.triage.simple_workers", city=_city(case)
    ) and case.amount_owed <= config.get("case.triage.simple_amount", city=_city(case)):
        return TriageClass.SIMPLE
    return TriageClass.ORDINARY


def months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole months from `start` to `end`, both days included: 1 Jan – 31 Mar is 3, 15 Jan –
    14 Apr is 3, 15 Jan – 13 Apr is 2 (a month from the 31st ends on the last day of a
    shorter month)."""
    after = end + datetime.timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    last_day = calendar.monthrange(after.year, after.month)[1]
    if after.day < min(start.day, last_day):
        months -= 1
    return max(months, 0)


def months_owed(case: Case) -> int | None:
    """The longest period owed that the case's complaints state, in whole months: from the
    start of the period to its end, or to the day the complaint came in when the end is blank
    (still unpaid then). None when no complaint gives a start."""
    periods = case.complaints.filter(period_start__isnull=False).values_list(
        "period_start", "period_end", "received_at"
    )
    lengths = [
        months_between(start, end or timezone.localdate(received))
        for start, end, received in periods
        if start is not None  # (filtered above; for the type checker)
    ]
    return max(lengths) if lengths else None


def criminal_flag(case: Case) -> bool:
    """Over the configured "large amount" of the crime of refusing to pay wages (法释〔2013〕3号
    art. 3): one worker owed the single-worker figure for at least `case.criminal.min_months`
    months, or `case.criminal.min_workers` (10) or more owed the total figure. Only the part
    still unpaid counts. A case whose complaints state no period is not ruled out by the
    months: the flag is a prompt to the officer, who establishes the period."""
    outstanding = max(case.amount_owed - case.recovered_amount, Decimal("0"))
    workers = max(case.workers_owed, 1)
    city = _city(case)
    if workers >= config.get("case.criminal.min_workers") and outstanding >= config.get(
        "case.criminal.total_yuan", city=city
    ):
        return True
    if outstanding / workers < config.get("case.criminal.single_yuan", city=city):
        return False
    # Read only when the amount is met: one query on the complaints' periods.
    min_months = int(config.get("case.criminal.min_months"))
    months = months_owed(case) if min_months > 0 else None
    return months is None or months >= min_months


def refresh_case_totals(case: Case) -> None:
    """Owed = the complaints' claims plus any revision (case_revise_owed); recovered = the
    installments. Refuses (Conflict) a change that would leave less owed than recovered, such
    as a merge moving a complaint out of a case that has already recovered its wages."""
    complaints = case.complaints.aggregate(w=Sum("workers_owed"), a=Sum("amount_owed"))
    payments = case.payments.aggregate(a=Sum("amount"), w=Sum("workers_paid"))
    if complaints["w"]:
        case.workers_owed = max(complaints["w"] + case.workers_adjustment, 1)
    if complaints["a"] is not None:
        case.amount_owed = max(complaints["a"] + case.owed_adjustment, Decimal("0"))
    case.recovered_amount = payments["a"] or Decimal("0")
    if case.recovered_amount > case.amount_owed:
        raise Conflict(
            _("案件 %(n)s 已追回工资 %(r)s 元，调整后欠薪金额 %(w)s 元将低于已追回工资")
            % {"n": case.number, "r": _yuan(case.recovered_amount), "w": _yuan(case.amount_owed)}
        )
    # Installments may pay the same workers twice (half now, half later): the count of
    # workers paid is capped at the workers owed rather than refused.
    case.workers_paid = min(payments["w"] or 0, case.workers_owed)
    case.criminal_flag = criminal_flag(case)
    case.suggested_class = suggest_class(case)
    case.save(
        update_fields=[
            "workers_owed",
            "amount_owed",
            "recovered_amount",
            "workers_paid",
            "criminal_flag",
            "suggested_class",
        ]
    )

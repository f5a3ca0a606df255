"""Case handling: one place for the allowed transitions, the working-day clocks of a case,
triage, the timeline, payments, extensions, closure and reopening.

Every transition is a conditional UPDATE on the current state (TRANSITIONS below), so two
officers acting at once cannot apply it twice; the loser gets a Conflict (409)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import DateField, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import config, deadlines, locks, workdays
from arrears.errors import Conflict
from arrears.models import Deadline, DeadlineState, Role, User
from complaints.cases import outcomes, selectors
from complaints.evidence import store_evidence, validate_files
from complaints.models import (
    RECORDABLE,
    Case,
    CaseAttachment,
    CaseEntry,
    CasePayment,
    CaseState,
    Complaint,
    EntryKind,
    EventKind,
    ExtensionRequest,
    ExtensionState,
    Outcome,
    TriageClass,
)
from complaints.models.complaint import MAX_AMOUNT, STATUS_FOR_CASE_STATE
from complaints.permissions import can_decide_extension
from complaints.timeline import record_event
from complaints.tracking import format_tracking_no

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
    return Complaint.objects.filter(case=case).exclude(status=status).update(status=status)


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


def close_days(case: Case) -> int:
    if case.triage_class:
        return int(config.get(f"case.close_days.{case.triage_class}"))
    return int(config.get("case.close_days.statutory"))


# --- Triage and flags -----------------------------------------------------------------------


def suggest_class(case: Case) -> str:
    """The class the configured thresholds suggest; an officer confirms or changes it."""
    repeat = (
        Case.objects.filter(
            employer_name=case.employer_name,
            created_at__gte=timezone.now() - datetime.timedelta(days=730),
        )
        .exclude(pk=case.pk)
        .count()
    )
    if (
        case.workers_owed >= config.get("case.triage.major_workers")
        or case.amount_owed >= config.get("case.triage.major_amount")
        or case.risk_of_mass_incident
        or repeat >= config.get("case.triage.repeat_cases")
    ):
        return TriageClass.MAJOR
    if case.workers_owed <= config.get(
        "case.triage.simple_workers"
    ) and case.amount_owed <= config.get("case.triage.simple_amount"):
        return TriageClass.SIMPLE
    return TriageClass.ORDINARY


def criminal_flag(case: Case) -> bool:
    """Over the configured "large amount" of the crime of refusing to pay wages (法释〔2013〕3号
    art. 3): one worker owed the single-worker figure, or ten or more owed the total figure.
    Only the part still unpaid counts."""
    outstanding = max(case.amount_owed - case.recovered_amount, Decimal("0"))
    workers = max(case.workers_owed, 1)
    return bool(
        (workers >= 10 and outstanding >= config.get("case.criminal.total_yuan"))
        or (outstanding / workers >= config.get("case.criminal.single_yuan"))
    )


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


# --- From a signed complaint to a case ------------------------------------------------------


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
        case = Case.objects.create(
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
        case.number = f"AJ{timezone.localdate():%Y}{case.pk:07d}"
        case.save(update_fields=["number"])
    # The complaint, and any merged into it before it was signed, are handled in this case.
    Complaint.objects.filter(Q(pk=complaint.pk) | Q(merged_into=complaint)).update(case=case)
    refresh_case_totals(case)
    complaints_follow(case)  # joining a case already accepted or filed: its status, not 已签收
    if created:
        received = timezone.localdate(complaint.received_at)
        for kind, days in (
            (ACCEPT, config.get("case.accept_days")),
            (RESPOND, config.get("case.respond_days")),
        ):
            _open_clock(case, kind, started_on=received, working_days=days, owner=user)
    _entry(
        case,
        EntryKind.NOTE,
        user,
        _("并入投诉 %(t)s") % {"t": format_tracking_no(complaint.tracking_no)},
    )
    return case


# --- Transitions ----------------------------------------------------------------------------


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


def case_triage(
    *,
    case: Case,
    user: User,
    triage_class: str,
    reason: str = "",
    leader: User | None = None,
    team: list[User] | None = None,
    plan: str = "",
) -> Case:
    """三办: confirm or change the suggested class; a major case needs its leader and plan."""
    _check_scope(case, user)
    if triage_class not in TriageClass.values:
        raise ValidationError({"triage_class": [_("未知的分类")]})
    if triage_class != case.suggested_class and not reason.strip():
        raise ValidationError({"reason": [_("与系统建议的分类不同，请填写理由")]})
    if triage_class == TriageClass.MAJOR:
        if leader is None or leader.role not in (Role.CITY_LEADER, Role.COUNTY_OFFICIAL):
            raise ValidationError({"leader": [_("重大案件须指定包案领导")]})
        if not plan.strip():
            raise ValidationError({"plan": [_("重大案件须填写处置方案")]})
    with _acting_on(case, _open_or(_("案件已结束，不能重新分类"))) as case:
        case.triage_class = triage_class
        case.triage_reason = reason.strip()
        case.leader = leader if triage_class == TriageClass.MAJOR else None
        case.plan = plan.strip()
        case.save(update_fields=["triage_class", "triage_reason", "leader", "plan"])
        if team is not None:
            case.team.set(team)
        running = _running(case, CLOSE)
        if running is not None:
            # The class sets the closing period; the clock keeps its start and extensions.
            deadlines.deadline_set_length(deadline=running, working_days=close_days(case))
        _entry(
            case,
            EntryKind.TRIAGE,
            user,
            reason.strip(),
            data={"class": triage_class, "suggested": case.suggested_class},
        )
    return case


def _attach(entry: CaseEntry, upload: UploadedFile) -> CaseAttachment:
    attachment: CaseAttachment = store_evidence(CaseAttachment(entry=entry), upload)
    return attachment


# --- The timeline ---------------------------------------------------------------------------


def case_record(
    *,
    case: Case,
    user: User,
    kind: str,
    text: str,
    due_date: datetime.date | None = None,
    files: Sequence[UploadedFile] = (),
) -> CaseEntry:
    """A call, site visit, interview, order to pay (with its deadline) or mediation."""

    _check_scope(case, user)
    if kind not in RECORDABLE:
        raise ValidationError({"kind": [_("该类记录须通过相应操作办理")]})
    if not text.strip():
        raise ValidationError({"text": [_("请填写内容")]})
    validate_files(files)
    if kind == EntryKind.ORDER and due_date is None:
        raise ValidationError({"due_date": [_("责令支付须写明限期")]})
    with _acting_on(case, _open_or(_("案件已结束，请先重新办理"))) as case:
        entry = _entry(case, kind, user, text.strip(), due_date=due_date)
        for upload in files:
            _attach(entry, upload)
        if kind in (EntryKind.CALL, EntryKind.VISIT, EntryKind.INTERVIEW):
            _close_clock(case, RESPOND)  # the first contact answers the response clock
        if kind == EntryKind.ORDER and due_date is not None:
            # The employer's time to pay is a clock of its own: reminded and escalated by the
            # sweep unless a payment is recorded first. A new order replaces the last one.
            _close_clock(case, ORDER)
            today = timezone.localdate()
            days = workdays.working_days_between(today, due_date)
            if days < 1:
                raise ValidationError({"due_date": [_("限期须晚于今天至少一个工作日")]})
            _open_clock(case, ORDER, started_on=today, working_days=days)
    return entry


def _payable(case: Case) -> str | None:
    if case.state == CaseState.REFUSED:
        return _("不予受理的案件不能登记支付")
    if case.state == CaseState.CLOSED:
        return _("案件已结案，请先重新办理")
    return None


def case_record_payment(
    *,
    case: Case,
    user: User,
    paid_on: datetime.date,
    amount: Decimal,
    workers_paid: int,
    note: str = "",
) -> CasePayment:
    """Wages recovered (one installment); totals and the criminal flag follow. Never more
    than is still owed: a larger sum needs the amount owed revised first (case_revise_owed).
    The check reads the totals under the case's row lock, so two payments at once cannot
    together exceed it (the database's case_recovered_within_owed is the last guard)."""
    _check_scope(case, user)
    errors: dict[str, list[str]] = {}
    if amount is None or amount <= 0:
        errors["amount"] = [_("支付金额必须大于0")]
    if paid_on > timezone.localdate():
        errors["paid_on"] = [_("支付日期不能晚于今天")]
    if workers_paid < 0:
        errors["workers_paid"] = [_("支付人数应在0到涉及人数之间")]
    if errors:
        raise ValidationError(errors)
    with _acting_on(case, _payable) as case:
        outstanding = case.amount_owed - case.recovered_amount
        if amount > outstanding:
            errors["amount"] = [
                _(
                    "支付金额超过尚欠工资 %(o)s 元（欠薪 %(w)s 元，已追回 %(r)s 元）；"
                    "如调查核实的欠薪金额增加，请先核定欠薪金额"
                )
                % {
                    "o": _yuan(outstanding),
                    "w": _yuan(case.amount_owed),
                    "r": _yuan(case.recovered_amount),
                }
            ]
        if workers_paid > case.workers_owed:
            errors["workers_paid"] = [_("支付人数应在0到涉及人数之间")]
        if errors:
            raise ValidationError(errors)
        entry = _entry(
            case,
            EntryKind.PAYMENT,
            user,
            note.strip(),
            data={"amount": str(amount), "workers_paid": workers_paid},
        )
        payment = CasePayment.objects.create(
            case=case, entry=entry, paid_on=paid_on, amount=amount, workers_paid=workers_paid
        )
        _close_clock(case, ORDER)  # paid: the order to pay is answered
        refresh_case_totals(case)
        _tell_complainants(case, _("已追回工资 %(a)s 元") % {"a": _yuan(amount)})
    return payment


def _check_revision_input(
    reason: str, amount_owed: Decimal | None, workers_owed: int | None
) -> None:
    """What the officer typed: a reason, and an amount (to the fen, within range) or a number."""
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("请填写核定欠薪金额的理由")]
    if amount_owed is None and workers_owed is None:
        errors["amount_owed"] = [_("请填写核定后的欠薪金额或涉及人数")]
    if amount_owed is not None and not (
        Decimal("0") <= amount_owed <= MAX_AMOUNT
        and amount_owed == amount_owed.quantize(Decimal("0.01"))
    ):
        errors["amount_owed"] = [_("欠薪金额应在0至999,999,999.99元之间，最多两位小数")]
    if workers_owed is not None and workers_owed < 1:
        errors["workers_owed"] = [_("涉及人数至少为1")]
    if errors:
        raise ValidationError(errors)


def _check_revision_against(case: Case, new_amount: Decimal, new_workers: int) -> None:
    """Against the locked case: never below what was recovered or paid, and a real change."""
    errors: dict[str, list[str]] = {}
    if new_amount < case.recovered_amount:
        errors["amount_owed"] = [
            _("欠薪金额不能低于已追回工资 %(r)s 元") % {"r": _yuan(case.recovered_amount)}
        ]
    if new_workers < case.workers_paid:
        errors["workers_owed"] = [
            _("涉及人数不能少于已支付人数 %(n)s 人") % {"n": case.workers_paid}
        ]
    if (new_amount, new_workers) == (case.amount_owed, case.workers_owed):
        errors.setdefault("amount_owed", []).append(_("欠薪金额和涉及人数均未变化"))
    if errors:
        raise ValidationError(errors)


def case_revise_owed(
    *,
    case: Case,
    user: User,
    reason: str,
    amount_owed: Decimal | None = None,
    workers_owed: int | None = None,
) -> CaseEntry:
    """核定欠薪金额: the investigation established a different amount owed or number of
    workers (often more than the complaints claimed). A reason is required and the change is
    a timeline entry, old → new; never below what was already recovered or paid."""
    _check_scope(case, user)
    reason = reason.strip()
    _check_revision_input(reason, amount_owed, workers_owed)
    with _acting_on(case, _open_or(_("案件已结束，请先重新办理"))) as case:
        new_amount = case.amount_owed if amount_owed is None else amount_owed
        new_workers = case.workers_owed if workers_owed is None else workers_owed
        _check_revision_against(case, new_amount, new_workers)
        old_amount, old_workers = case.amount_owed, case.workers_owed
        claimed = case.complaints.aggregate(w=Sum("workers_owed"), a=Sum("amount_owed"))
        case.owed_adjustment = new_amount - (
            claimed["a"] if claimed["a"] is not None else new_amount
        )
        case.workers_adjustment = new_workers - (claimed["w"] or new_workers)
        case.amount_owed, case.workers_owed = new_amount, new_workers
        case.criminal_flag = criminal_flag(case)
        case.suggested_class = suggest_class(case)
        case.save(
            update_fields=[
                "amount_owed",
                "workers_owed",
                "owed_adjustment",
                "workers_adjustment",
                "criminal_flag",
                "suggested_class",
            ]
        )
        change = _("欠薪金额：%(a0)s → %(a1)s 元；涉及人数：%(w0)s → %(w1)s 人") % {
            "a0": _yuan(old_amount),
            "a1": _yuan(new_amount),
            "w0": old_workers,
            "w1": new_workers,
        }
        return _entry(
            case,
            EntryKind.REVISE_OWED,
            user,
            _("%(c)s\n理由：%(r)s") % {"c": change, "r": reason},
            data={
                "amount_owed": [str(old_amount), str(new_amount)],
                "workers_owed": [old_workers, new_workers],
                "reason": reason,
            },
        )


def case_refer_arbitration(*, case: Case, user: User, note: str) -> CaseEntry:
    """转劳动仲裁: the closing clock pauses while arbitration runs, if configured."""
    _check_scope(case, user)
    with _acting_on(case, _open_or(_("案件已结束"))) as case:
        entry = _entry(case, EntryKind.ARBITRATION, user, note.strip())
        running = _running(case, CLOSE)
        if (
            running is not None
            and running.state == DeadlineState.OPEN
            and config.get("case.pause_on_arbitration")
        ):
            deadlines.deadline_pause(deadline=running)
            _entry(case, EntryKind.PAUSE, user, _("等待仲裁结果，暂停计时"))
    return entry


def case_resume(*, case: Case, user: User, note: str = "") -> CaseEntry:
    _check_scope(case, user)
    running = _running(case, CLOSE)
    if running is None or running.state != DeadlineState.PAUSED:
        raise Conflict(_("办结时限未暂停"))
    with transaction.atomic():
        deadlines.deadline_resume(deadline=running)
        return _entry(case, EntryKind.RESUME, user, note.strip())


def case_transfer_police(*, case: Case, user: User, note: str) -> CaseEntry:
    """移送公安 for refusing to pay wages (Criminal Law art. 276-1)."""
    _check_scope(case, user)
    with _acting_on(case, _open_or(_("案件已结束"))) as case:
        return _entry(
            case, EntryKind.POLICE, user, note.strip(), data={"criminal_flag": case.criminal_flag}
        )


def case_request_extension(
    *, case: Case, user: User, working_days: int, reason: str
) -> ExtensionRequest:
    """延期: once per case, up to the configured number of working days."""

    _check_scope(case, user)
    limit = config.get("case.extension_max_days")
    if not 1 <= working_days <= limit:
        raise ValidationError({"working_days": [_("延期应在1至%(n)s个工作日之间") % {"n": limit}]})
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写延期理由")]})
    if _running(case, CLOSE) is None:
        raise Conflict(_("案件立案后才能申请延期"))
    try:
        with transaction.atomic():
            request = ExtensionRequest.objects.create(
                case=case, working_days=working_days, reason=reason.strip(), requested_by=user
            )
            _entry(
                case,
                EntryKind.EXTENSION_REQUEST,
                user,
                reason.strip(),
                data={"working_days": working_days},
            )
    except IntegrityError as exc:
        raise Conflict(_("该案件已申请过延期（只可延期一次）")) from exc
    return request


def case_decide_extension(
    *, request: ExtensionRequest, user: User, approve: bool, note: str = ""
) -> ExtensionRequest:
    """The head of the unit, the county or the city office decides; not the requester."""
    _check_scope(request.case, user)
    if not can_decide_extension(user, request):
        raise PermissionDenied(_("延期须由承办单位负责人、县（区）负责人或市欠薪办审批"))
    state = ExtensionState.APPROVED if approve else ExtensionState.REFUSED
    with transaction.atomic():
        updated = ExtensionRequest.objects.filter(
            pk=request.pk, state=ExtensionState.PENDING
        ).update(state=state, decided_by=user, decided_at=timezone.now())
        if not updated:
            raise Conflict(_("该延期申请已审批"))
        request.refresh_from_db()
        case = request.case
        if approve:
            running = _running(case, CLOSE)
            if running is None:
                raise Conflict(_("案件没有进行中的办结时限"))
            deadlines.deadline_extend(deadline=running, working_days=request.working_days)
        _entry(
            case,
            EntryKind.EXTENSION_DECISION,
            user,
            note.strip(),
            data={"approved": approve, "working_days": request.working_days},
        )
    return request


def case_decide_pending_extension(
    *, case: Case, user: User, approve: bool, note: str = ""
) -> ExtensionRequest:
    """Decide the case's pending extension request: the page and the API name the case, the
    request is looked up here."""
    request = selectors.pending_extension(case=case)
    if request is None:
        raise Conflict(_("没有待审批的延期申请"))
    return case_decide_extension(request=request, user=user, approve=approve, note=note)


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
        )
        for kind in (ACCEPT, RESPOND, ORDER):
            _close_clock(case, kind, at=now)
        _entry(case, EntryKind.CLOSE, user, note.strip(), data={"outcome": outcome})
        _tell_complainants(case, _("已办结：%(o)s") % {"o": case.get_outcome_display()})
    return case


def case_days_recompute() -> int:
    """After a calendar change: the working days each closed case took, counted again with
    the calendar in force (the dashboards' averages read them). Whether a case closed on time
    stays as it was decided when it closed. Idempotent; returns how many cases changed.

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
            reopened_count=case.reopened_count + 1,
        )
        _open_clock(case, CLOSE, started_on=today, working_days=close_days(case))
        _entry(case, EntryKind.REOPEN, user, reason.strip())
        _tell_complainants(case, _("已重新办理"))
    return case


def case_feedback(*, case: Case, user: User, satisfaction: int, note: str = "") -> Case:
    """回访: the complainants' satisfaction after closure."""
    _check_scope(case, user)
    if not 1 <= satisfaction <= 5:
        raise ValidationError({"satisfaction": [_("满意度为1至5")]})
    closed = _("结案后才能回访")
    with _acting_on(case, lambda c: None if c.state == CaseState.CLOSED else closed) as case:
        case.satisfaction = satisfaction
        case.save(update_fields=["satisfaction"])
        _entry(case, EntryKind.FEEDBACK, user, note.strip(), data={"satisfaction": satisfaction})
    return case

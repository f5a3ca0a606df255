"""The transfer to the police for refusing to pay wages (拒不支付劳动报酬罪, Criminal Law art.
276-1), in the three steps of 国务院令310号 art. 5: the officer proposes it, the head of the
organ approves or refuses within 3 days, and an approved transfer is handed over to the police
within 24 hours. Both limits are calendar time (`arrears.deadlines.deadline_open_hours`), so
a weekend or a holiday does not stop them; the sweep reminds and escalates them like every
other clock. Each step is a case entry; the hand-over (EntryKind.POLICE) is the transfer the
outcome `police` and the dashboards count."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import config, deadlines
from arrears.models import Deadline, DeadlineState, User
from complaints.cases.services.core import (
    POLICE_APPROVAL,
    POLICE_HANDOVER,
    _acting_on,
    _check_scope,
    _city,
    _close_clock,
    _entry,
)
from complaints.models import Case, CaseEntry, EntryKind
from complaints.permissions import can_decide_police


def _open_hours(case: Case, kind: str, hours: int) -> Deadline:
    """A calendar clock on the case, scoped to its unit; not owned by the officer, so the
    unit's staff (its head among them) are reminded."""
    return deadlines.deadline_open_hours(
        subject=case,
        kind=kind,
        starts_at=timezone.now(),
        hours=hours,
        county_id=case.county_id,
        department_id=case.department_id,
    )


_STEPS = (EntryKind.POLICE_PROPOSAL, EntryKind.POLICE_DECISION, EntryKind.POLICE)


def police_step(case: Case, entries: Iterable[CaseEntry] | None = None) -> str | None:
    """Where the transfer stands: "proposed" (awaiting the decision), "approved" (awaiting the
    hand-over), "transferred", or None (nothing proposed, or the last proposal refused).
    `entries`: the case's timeline when the caller has it (the case page prefetches it)."""
    if entries is None:
        entries = case.entries.filter(kind__in=_STEPS).order_by("at", "pk").only("kind", "data")
    last = None
    for entry in entries:  # in timeline order (at, id): the last step counts
        if entry.kind in _STEPS:
            last = entry
    if last is None:
        return None
    if last.kind == EntryKind.POLICE:
        return "transferred"
    if last.kind == EntryKind.POLICE_PROPOSAL:
        return "proposed"
    return "approved" if last.data.get("approved") else None


def police_proposer(entries: Iterable[CaseEntry]) -> int | None:
    """Who made the last proposal (who may not decide it)."""
    proposals = [e for e in entries if e.kind == EntryKind.POLICE_PROPOSAL]
    return proposals[-1].actor_id if proposals else None


def _at_step(*steps: str | None, message: str) -> Callable[[Case], str | None]:
    def refusal(current: Case) -> str | None:
        if not current.is_open:
            return _("案件已结束")
        return None if police_step(current) in steps else message

    return refusal


def case_propose_police(*, case: Case, user: User, note: str) -> CaseEntry:
    """提请移送: the officer reports the suspected crime to the head; the decision is due
    within `case.police_approval_days` calendar days."""
    _check_scope(case, user)
    if not note.strip():
        raise ValidationError({"note": [_("请写明涉嫌拒不支付劳动报酬罪的事实和移送理由")]})
    refusal = _at_step(None, message=_("该案件已提请或已移送公安机关"))
    with _acting_on(case, refusal) as case:
        entry = _entry(
            case,
            EntryKind.POLICE_PROPOSAL,
            user,
            note.strip(),
            data={"criminal_flag": case.criminal_flag},
        )
        days = int(config.get("case.police_approval_days", city=_city(case)))
        _open_hours(case, POLICE_APPROVAL, days * 24)
    return entry


def case_decide_police(*, case: Case, user: User, approve: bool, note: str = "") -> CaseEntry:
    """批准或不批准移送, by the head (complaints.permissions.can_decide_police): closes the
    approval clock; an approval starts the hand-over's `case.police_handover_hours`."""
    _check_scope(case, user)
    pending = _at_step("proposed", message=_("没有待审批的移送申请"))
    with _acting_on(case, pending) as case:
        proposer = police_proposer(case.entries.filter(kind=EntryKind.POLICE_PROPOSAL))
        if not can_decide_police(user, proposer):
            raise PermissionDenied(_("移送公安机关须由承办单位负责人或县（区）负责人审批"))
        if not approve and not note.strip():
            raise ValidationError({"note": [_("不批准移送的，请写明理由")]})
        _close_clock(case, POLICE_APPROVAL)
        entry = _entry(
            case, EntryKind.POLICE_DECISION, user, note.strip(), data={"approved": approve}
        )
        if approve:
            hours = int(config.get("case.police_handover_hours", city=_city(case)))
            _open_hours(case, POLICE_HANDOVER, hours)
    return entry


def case_transfer_police(*, case: Case, user: User, note: str) -> CaseEntry:
    """移送公安: the hand-over of an approved transfer, which closes its clock. The entry
    (EntryKind.POLICE) is what the outcome `police` requires."""
    _check_scope(case, user)
    refusal = _at_step("approved", message=_("移送公安机关须先提请并经负责人批准"))
    with _acting_on(case, refusal) as case:
        clock = _close_clock(case, POLICE_HANDOVER)
        on_time = clock.state == DeadlineState.MET if clock is not None else None
        return _entry(
            case,
            EntryKind.POLICE,
            user,
            note.strip(),
            data={
                "criminal_flag": case.criminal_flag,
                "handed_over_on_time": on_time,
            },
        )

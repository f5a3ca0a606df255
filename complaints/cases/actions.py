"""Which actions on a case apply now, for this user: the case page shows these and nothing
else (no 恢复计时 when nothing is paused, no 移送公安 on a closed case).

The state transitions come from TRANSITIONS (complaints.cases.services), the rest from the
case's clocks and extension requests, who may decide from complaints.permissions. The
services still check everything themselves; this only keeps the page from offering what they
would refuse."""

from __future__ import annotations

from arrears import deadlines
from arrears.models import Deadline, DeadlineState, User
from complaints.cases.services import CLOSE, allowed_actions, police_proposer, police_step
from complaints.models import Case, CaseState, ExtensionState, Payer
from complaints.permissions import can_decide_extension, can_decide_police

# Actions that apply while the case is being handled (pending, accepted or filed).
WHILE_OPEN = ("triage", "record", "payment", "revise_owed", "arbitration")

# The police transfer's step → the action that takes it on (complaints.cases.services.police).
POLICE_ACTIONS = {None: "police_propose", "proposed": "police_decide", "approved": "police"}


def available(case: Case, user: User) -> list[str]:
    """The actions the case page offers now (two queries: the running clocks, the extension
    requests; the payments are the page's, prefetched; the pause rules are configuration)."""
    actions = list(allowed_actions(case))
    if case.is_open:
        actions += WHILE_OPEN
        entries = list(case.entries.all())  # the page's prefetched timeline
        police = POLICE_ACTIONS.get(police_step(case, entries))
        if police == "police_decide" and not can_decide_police(user, police_proposer(entries)):
            police = None
        if police is not None:
            actions.append(police)
    running = list(
        Deadline.objects.for_subject(case)
        .filter(state__in=deadlines.RUNNING)
        .only("kind", "state", "pause_reason", "calendar_hours")
    )
    close_clock = next((d for d in running if d.kind == CLOSE), None)
    # 恢复计时 for what an officer paused (arbitration, a suspension, by hand); a clock
    # waiting on an extension request resumes with the decision.
    if any(d.state == DeadlineState.PAUSED and d.pause_reason != "extension" for d in running):
        actions.append("resume")
    if case.is_open and any(
        d.state == DeadlineState.OPEN
        and d.calendar_hours is None
        and deadlines.pauses_for(d.kind, "suspension", case.county.city_id)
        for d in running
    ):
        actions.append("suspend")
    requests = list(case.extensions.exclude(state=ExtensionState.REFUSED).only("state"))
    pending = next((r for r in requests if r.state == ExtensionState.PENDING), None)
    if pending is not None:
        if can_decide_extension(user, pending):
            actions.append("decide")
    elif close_clock is not None and not requests:
        actions.append("extension")  # once per case (a refused request may be made again)
    if case.state == CaseState.CLOSED:
        actions.append("feedback")
    # An advance of the emergency fund is repaid whatever the case's state (from the
    # payments the case page loaded).
    if any(
        p.payer == Payer.EMERGENCY_FUND and p.fund_repaid < p.amount for p in case.payments.all()
    ):
        actions.append("fund_repaid")
    return actions

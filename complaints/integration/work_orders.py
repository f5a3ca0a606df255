"""Work orders of the referring systems (工单): the type a referral carries and the clocks it
starts on the complaint, fed back through the callbacks.

Each integration client names its types and their limits in working days
(`IntegrationClient.work_order_types`); a client that names none uses its channel's presets:
the 12345 hotline's consultation / help / complaint (2 / 10 / 15 working days, Guangdong
12345 rules 2022) and the clue platform's accept / respond / close (1 / 3 / 15, local practice,
unverified nationally). A type has up to three stages, each a `Deadline` on the complaint
(kind `workorder.<stage>`, reminded and escalated by the sweep like every clock):

- accept: met when a unit signs the complaint into a case (签收);
- respond: met by the case's acceptance or refusal or its first call, visit or interview;
- close: met when the case is closed or refused (办结).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import deadlines
from arrears.models import Deadline, DeadlineState
from complaints.models import Channel, Complaint, IntegrationClient
from complaints.models.integration import WORK_ORDER_STAGES as STAGES

KINDS = {stage: f"workorder.{stage}" for stage in STAGES}
KIND_LABELS = {
    KINDS["accept"]: gettext_lazy("工单签收时限"),
    KINDS["respond"]: gettext_lazy("工单响应时限"),
    KINDS["close"]: gettext_lazy("工单办结时限"),
}

# The presets of a channel whose client names no types of its own: {code: {"name", stage: days}}.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    Channel.HOTLINE_12345: {
        "consultation": {"name": "咨询", "close": 2},
        "help": {"name": "求助", "close": 10},
        "complaint": {"name": "投诉", "close": 15},
    },
    Channel.CLUE_PLATFORM: {
        "clue": {"name": "欠薪线索", "accept": 1, "respond": 3, "close": 15},
    },
}


def client_types(client: IntegrationClient) -> dict[str, dict[str, Any]]:
    """The client's own types, else its channel's presets."""
    own = client.work_order_types or {}
    return own if own else PRESETS.get(client.channel, {})


def work_order_check(*, client: IntegrationClient, code: str) -> None:
    """A referral's work-order type must be one its client has (none given is fine)."""
    if not code:
        return
    types = client_types(client)
    if code in types:
        return
    if not types:
        message = _("本客户端未配置工单类型，请不要填写 work_order_type")
    else:
        message = _("未知的工单类型“%(c)s”，可选：%(o)s") % {
            "c": code,
            "o": "、".join(f"{k}（{v['name']}）" for k, v in types.items()),
        }
    raise ValidationError({"work_order_type": [message]})


def work_orders_start(complaints: Iterable[Complaint]) -> list[Deadline]:
    """The clocks of each complaint's work-order type, from the day it was received; no query
    for complaints without one. Called in the transaction that saves the complaints, before
    their receipt is recorded, so the first callback already carries the due times."""
    opened = []
    for complaint in complaints:
        if not complaint.work_order_type or complaint.client is None:
            continue
        spec = client_types(complaint.client).get(complaint.work_order_type, {})
        for stage in STAGES:
            if stage in spec:
                opened.append(
                    deadlines.deadline_open(
                        subject=complaint,
                        kind=KINDS[stage],
                        started_on=timezone.localdate(complaint.received_at),
                        working_days=int(spec[stage]),
                        county_id=complaint.county_id,
                        department_id=complaint.department_id,
                    )
                )
    return opened


def _running(complaint_ids: Any, stages: Iterable[str]) -> list[Deadline]:
    """`complaint_ids`: ids, or a subquery of them (one query in all)."""
    stages = list(stages)
    if not stages:
        return []
    return list(
        Deadline.objects.filter(
            content_type=ContentType.objects.get_for_model(Complaint),
            object_id__in=complaint_ids,
            kind__in=[KINDS[s] for s in stages],
            state__in=deadlines.RUNNING,
        )
    )


# The case's state → the work-order stages it answers (a complaint in a case was signed).
STAGES_DONE_BY_CASE_STATE = {
    "pending": ("accept",),
    "accepted": ("accept", "respond"),
    "filed": ("accept", "respond"),
    "closed": STAGES,
    "refused": STAGES,
}


def work_orders_follow(*, complaint_ids: Any, case_state: str) -> int:
    """Close the work-order clocks the case's state has answered; one query when none run."""
    closed = 0
    for deadline in _running(complaint_ids, STAGES_DONE_BY_CASE_STATE.get(case_state, ())):
        closed += deadlines.deadline_close(deadline=deadline)
    return closed


def work_orders_respond(*, complaint_ids: Any) -> int:
    """The first contact (call, visit, interview) answers the response stage."""
    return sum(deadlines.deadline_close(deadline=d) for d in _running(complaint_ids, ["respond"]))


def _state(deadline: Deadline, now: Any) -> str:
    if deadline.state in deadlines.RUNNING:
        return "overdue" if deadline.due_at < now else "running"
    return {DeadlineState.MET: "met", DeadlineState.MISSED: "missed"}.get(
        DeadlineState(deadline.state), "cancelled"
    )


def work_order_status(complaint: Complaint) -> dict[str, Any] | None:
    """The work order as the referring system is told it: its type, each stage's due time and
    state (running, overdue, met, missed, cancelled), and the close stage's (else the last
    stage's) due time and whether it is met or overdue. None without a type (no query)."""
    if not complaint.work_order_type:
        return None
    now = timezone.now()
    clocks = {
        d.kind: d
        for d in Deadline.objects.for_subject(complaint)
        .filter(kind__in=KINDS.values())
        # the latest clock of each stage (a stage runs once per complaint)
        .order_by("created_at")
    }
    stages = [
        {
            "stage": stage,
            "due_at": timezone.localtime(clocks[KINDS[stage]].due_at).isoformat(),
            "state": _state(clocks[KINDS[stage]], now),
        }
        for stage in STAGES
        if KINDS[stage] in clocks
    ]
    spec = (
        client_types(complaint.client).get(complaint.work_order_type, {})
        if complaint.client
        else {}
    )
    main = next((s for s in stages if s["stage"] == "close"), stages[-1] if stages else None)
    return {
        "type": complaint.work_order_type,
        "type_name": spec.get("name", complaint.work_order_type),
        "due_at": main["due_at"] if main else None,
        "state": main["state"] if main else None,
        "met": main["state"] == "met" if main else None,
        "overdue": main["state"] in ("overdue", "missed") if main else None,
        "stages": stages,
    }

"""A complaint's timeline: every step is a ComplaintEvent, written by intake and by case
handling alike; a public step is also fed back to the referring system (the callback outbox)."""

from __future__ import annotations

from arrears import audit
from arrears.models import Department, User
from complaints.integration import callbacks
from complaints.models import Complaint, ComplaintEvent


def record_event(
    complaint: Complaint,
    kind: str,
    *,
    actor: User | None = None,
    department: Department | None = None,
    note: str = "",
    public_text: str = "",
) -> ComplaintEvent:
    """Add to the timeline; a public event is also fed back to the referring system."""
    _user_id, label = audit.current_actor()
    event = ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        actor=actor,
        actor_label=label,
        department=department,
        note=note,
        public=bool(public_text),
        public_text=public_text,
    )
    if public_text:
        callbacks.callback_enqueue(complaint=complaint, event=event)
    return event

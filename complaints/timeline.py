"""A complaint's timeline: every step is a ComplaintEvent, written by intake and by case
handling alike; a public step is also fed back to the referring system (the callback outbox)."""

from __future__ import annotations

from collections.abc import Sequence

from arrears import audit
from arrears.models import Department, User
from complaints.integration import callbacks, sms
from complaints.models import Complaint, ComplaintEvent, EventKind


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
    event = new_event(
        complaint, kind, actor=actor, department=department, note=note, public_text=public_text
    )
    event.save()
    if public_text:
        callbacks.callback_enqueue(complaint=complaint, event=event)
    return event


def new_event(
    complaint: Complaint,
    kind: str,
    *,
    actor: User | None = None,
    department: Department | None = None,
    note: str = "",
    public_text: str = "",
) -> ComplaintEvent:
    """A timeline step not yet saved (for `record_events`)."""
    _user_id, label = audit.current_actor()
    return ComplaintEvent(
        complaint=complaint,
        kind=kind,
        actor=actor,
        actor_label=label,
        department=department,
        note=note,
        public=bool(public_text),
        public_text=public_text,
    )


def record_events(events: Sequence[ComplaintEvent]) -> list[ComplaintEvent]:
    """Steps of many timelines in one insert (and one audit write), in the order given, with
    the callbacks of the public ones in one more: what record_event does for each."""
    created = ComplaintEvent.objects.bulk_create(events)
    callbacks.callbacks_enqueue([e for e in created if e.public])
    return created


def texts_send(texts: Sequence[sms.Text]) -> list[ComplaintEvent]:
    """Text the complainants (the steps switched on, once per step) and put each SMS on its
    complaint's timeline, internal (the referring system is not called back for it): two
    queries and two inserts for any number of complaints."""
    fresh = sms.texts_enqueue(texts)
    if not fresh:
        return []
    return record_events([new_event(t.complaint, EventKind.SMS, note=t.body) for t in fresh])

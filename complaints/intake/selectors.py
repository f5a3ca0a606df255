"""Reads of the intake side, each narrowed by the one scoping function (or, for integration
clients and the public tracking page, by who sent the complaint / what the caller knows)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from arrears.fields import index_matches
from arrears.models import User
from arrears.scoping import for_user, get_for_user_or_404
from complaints.models import (
    CallbackDelivery,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    DuplicateLink,
    DuplicateState,
    IntegrationClient,
)
from complaints.tracking import normalize_tracking_no

_LIST_RELATED = ("county", "department", "industry", "responsible_department")


def complaint_list(*, user: User) -> QuerySet[Complaint]:
    return for_user(Complaint.objects.select_related(*_LIST_RELATED), user)


def complaint_api_list(*, user: User) -> QuerySet[Complaint]:
    """The API's complaints: the same scope, joined only to what ComplaintSerializer shows
    (the county's code, the department's name); the pages' two other joins cost two model
    instances a row for nothing there."""
    return for_user(Complaint.objects.select_related("county", "department"), user)


def complaints_of_person(*, user: User, identifier: str) -> QuerySet[Complaint]:
    """The complaints in the user's scope whose complainant has exactly this phone or ID
    number, however it was typed (the fields' normalisation). Both are encrypted: the keyed
    blind indexes are compared (complaint_phone_bidx, complaint_id_number_bidx)."""
    return complaint_list(user=user).filter(
        index_matches("complainant_phone_index", "phone", identifier)
        | index_matches("complainant_id_index", "resident_id", identifier)
    )


def dispatch_queue(*, user: User) -> QuerySet[Complaint]:
    """Complaints no unit holds: the city office's queue (others see none of it)."""
    return complaint_list(user=user).filter(status=ComplaintStatus.PENDING_DISPATCH)


def intake_inbox(*, user: User) -> QuerySet[Complaint]:
    """Complaints routed to the user's units and waiting for a signature."""
    return complaint_list(user=user).filter(status=ComplaintStatus.PENDING_SIGNATURE)


def complaint_detail(*, user: User, tracking_no: str) -> Complaint:
    qs = Complaint.objects.select_related(
        *_LIST_RELATED, "project", "client", "received_by", "signed_by", "merged_into"
    ).prefetch_related(
        "attachments",
        Prefetch("events", queryset=ComplaintEvent.objects.select_related("actor", "department")),
    )
    return get_for_user_or_404(qs, user, tracking_no=normalize_tracking_no(tracking_no))


def duplicate_links(*, complaint: Complaint, user: User) -> QuerySet[DuplicateLink]:
    """The complaint's possible duplicates that the user may see (others are not named)."""
    visible = complaint_list(user=user).values("pk")
    return DuplicateLink.objects.filter(
        complaint=complaint, duplicate_of__in=visible
    ).select_related("duplicate_of")


def open_duplicate_links(*, user: User) -> QuerySet[DuplicateLink]:
    visible = complaint_list(user=user).values("pk")
    return DuplicateLink.objects.filter(
        state=DuplicateState.FLAGGED, complaint__in=visible, duplicate_of__in=visible
    ).select_related("complaint", "duplicate_of")


def public_events(*, complaint: Complaint) -> Any:
    """The complaint's public timeline (from the prefetch when the list loaded it)."""
    prefetched = getattr(complaint, "public_event_list", None)
    if prefetched is not None:
        return prefetched
    return complaint.events.filter(public=True).order_by("at", "id")


def referrals_for(*, client: IntegrationClient) -> QuerySet[Complaint]:
    """An integration client sees only what it sent (with its public timeline, prefetched
    so a page of referrals costs two queries, not one per row)."""
    public = ComplaintEvent.objects.filter(public=True).order_by("at", "id")
    return (
        Complaint.objects.filter(client=client)
        .select_related("department", "responsible_department")
        .prefetch_related(Prefetch("events", queryset=public, to_attr="public_event_list"))
    )


def referral_detail(*, client: IntegrationClient, external_id: str) -> Complaint | None:
    return referrals_for(client=client).filter(external_id=external_id).first()


def track(*, tracking_no: str, phone_last4: str) -> Complaint | None:
    """The complaint for a tracking number, only if the phone's last four digits match: an
    unknown number and a wrong phone look the same to the caller."""
    if len(phone_last4) != 4 or not phone_last4.isdigit():
        return None
    number = normalize_tracking_no(tracking_no)
    # One keyed hash of the number and the four digits (the phone itself is encrypted): the
    # unique tracking number finds the row, the hash must match too.
    return (
        Complaint.objects.select_related("department", "responsible_department")
        .filter(index_matches("tracking_check", "last4", number, phone_last4), tracking_no=number)
        .first()
    )


def deliveries(*, user: User) -> QuerySet[CallbackDelivery]:
    return CallbackDelivery.objects.filter(
        complaint__in=complaint_list(user=user).values("pk")
    ).select_related("client", "complaint")

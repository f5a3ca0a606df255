"""Possible duplicates: a new complaint that matches an open one (same employer credit code
or name, same project, same phone, overlapping period, within a configurable window) is
flagged and linked. An officer merges it (both records and channels are kept; the new one is
handled with the other) or dismisses the flag. Many workers of one site complaining
separately is normal: merging is how they end up handled together."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import config, locks
from arrears.models import User
from arrears.scoping import for_user
from complaints.cases.services import complaints_follow, refresh_case_totals
from complaints.models import (
    Complaint,
    ComplaintStatus,
    DuplicateLink,
    DuplicateState,
    EventKind,
)
from complaints.permissions import can_decide_duplicates
from complaints.timeline import record_event


def _overlap(a: Complaint, b: Complaint) -> bool:
    """Periods overlap, or one of them is unknown (then the other criteria decide)."""
    if not (a.period_start and a.period_end and b.period_start and b.period_end):
        return True
    return a.period_start <= b.period_end and b.period_start <= a.period_end


# What a candidate is loaded with: the criteria and the period, never the encrypted numbers.
_CANDIDATE_FIELDS = (
    "tracking_no",
    "employer_name",
    "employer_credit_code",
    "project_id",
    "complainant_phone_index",  # the index, not the number: no decryption per row
    "period_start",
    "period_end",
    "received_at",
    "status",
)
# Candidates examined per new complaint, oldest first (a large employer's hundreds of
# complaints are not all read for each new one).
CANDIDATES = 50


def _since(complaint: Complaint) -> datetime.datetime:
    window = config.get("complaints.duplicate_window_days", city=complaint.city_id)
    return complaint.received_at - datetime.timedelta(days=window)


def _candidates(complaint: Complaint) -> QuerySet[Complaint]:
    """The open complaints `complaint` may repeat, by any criterion, in the window: the
    first CANDIDATES by the time received (served by the criteria's indexes)."""
    criteria = Q(employer_name=complaint.employer_name)
    # Phones are encrypted: equal numbers are found by their keyed blind index.
    if complaint.complainant_phone_index:
        criteria |= Q(complainant_phone_index=complaint.complainant_phone_index)
    if complaint.employer_credit_code:
        criteria |= Q(employer_credit_code=complaint.employer_credit_code)
    if complaint.project_id:
        criteria |= Q(project_id=complaint.project_id)
    qs = Complaint.objects.filter(criteria, received_at__gte=_since(complaint))
    if complaint.pk is not None:
        qs = qs.exclude(pk=complaint.pk)
    return (
        qs.filter(merged_into__isnull=True)  # not the status: a merged one follows its case
        .only(*_CANDIDATE_FIELDS)
        .order_by("received_at")
    )


def _matches(complaint: Complaint, other: Complaint) -> list[str]:
    """The criteria two complaints share (none: not a candidate)."""
    reasons = []
    if complaint.employer_credit_code and other.employer_credit_code == (
        complaint.employer_credit_code
    ):
        reasons.append("employer_credit_code")
    if other.employer_name == complaint.employer_name:
        reasons.append("employer_name")
    if complaint.project_id and other.project_id == complaint.project_id:
        reasons.append("project")
    if complaint.complainant_phone_index and (
        other.complainant_phone_index == complaint.complainant_phone_index
    ):
        reasons.append("complainant_phone")
    return reasons


def _found(complaint: Complaint, candidates: list[Complaint]) -> list[tuple[Complaint, list[str]]]:
    return [
        (other, _matches(complaint, other)) for other in candidates if _overlap(complaint, other)
    ]


def find_duplicates(complaint: Complaint) -> list[tuple[Complaint, list[str]]]:
    return _found(complaint, list(_candidates(complaint)[:CANDIDATES]))


def find_duplicates_many(
    complaints: Sequence[Complaint],
) -> list[list[tuple[Complaint, list[str]]]]:
    """find_duplicates for each complaint of a batch about to be saved together (no pks yet),
    as if they were saved one after the other: each one also repeats the earlier ones of the
    batch. On PostgreSQL the lookups are one UNION ALL of each complaint's own query (each
    planned with its values, so each uses its indexes and keeps its own limit) and one query
    loading the rows; elsewhere one query per complaint."""
    stored: list[list[Complaint]] = [[] for _c in complaints]
    if complaints and connection.features.supports_slicing_ordering_in_compound:
        queries = [
            _candidates(c)
            .annotate(batch_index=Value(i))
            .values_list("batch_index", "pk")[:CANDIDATES]
            for i, c in enumerate(complaints)
        ]
        pairs = list(queries[0].union(*queries[1:], all=True))
        rows = Complaint.objects.only(*_CANDIDATE_FIELDS).in_bulk({pk for _i, pk in pairs})
        for index, pk in pairs:
            stored[index].append(rows[pk])
        for found in stored:
            found.sort(key=lambda c: (c.received_at, c.pk))
    else:
        stored = [list(_candidates(c)[:CANDIDATES]) for c in complaints]
    result = []
    for index, complaint in enumerate(complaints):
        since = _since(complaint)
        earlier = [
            other
            for other in complaints[:index]
            if other.received_at >= since and _matches(complaint, other)
        ]
        merged = sorted(stored[index] + earlier, key=lambda c: c.received_at)[:CANDIDATES]
        result.append(_found(complaint, merged))
    return result


MAX_LINKS = 5  # the most recent matches are enough to bring a new complaint to its group


def flag_duplicates(complaint: Complaint) -> list[DuplicateLink]:
    """Link the new complaint to the open complaints it may repeat, most recent first."""

    found = find_duplicates(complaint)[-MAX_LINKS:]
    if not found:
        return []
    links = DuplicateLink.objects.bulk_create(links_for(complaint, found))
    record_event(complaint, EventKind.DUPLICATE_FLAGGED, note=flag_note(found))
    return links


def links_for(
    complaint: Complaint, found: list[tuple[Complaint, list[str]]]
) -> list[DuplicateLink]:
    return [
        DuplicateLink(complaint=complaint, duplicate_of=other, reasons=reasons)
        for other, reasons in found
    ]


def flag_note(found: list[tuple[Complaint, list[str]]]) -> str:
    """The timeline's note of a flag: which complaints, by which criteria."""
    return "; ".join(f"{other.tracking_no}: {', '.join(reasons)}" for other, reasons in found)


def _decide(link: DuplicateLink, user: User, state: str) -> DuplicateLink:
    if not can_decide_duplicates(user):
        raise PermissionDenied(_("您不能处理疑似重复"))
    visible = for_user(
        Complaint.objects.filter(pk__in=[link.complaint_id, link.duplicate_of_id]), user
    )
    if visible.count() < 2:
        raise PermissionDenied(_("该投诉不在您的办理范围内"))
    updated = DuplicateLink.objects.filter(pk=link.pk, state=DuplicateState.FLAGGED).update(
        state=state, decided_by=user, decided_at=timezone.now()
    )
    if not updated:
        raise ValidationError(_("该疑似重复已处理"))
    link.refresh_from_db()
    return link


def duplicate_merge(*, link: DuplicateLink, user: User) -> DuplicateLink:
    """Handle the newer complaint together with the older one (合并办理)."""

    with transaction.atomic():
        link = _decide(link, user, DuplicateState.MERGED)
        complaint = locks.lock_row(Complaint.objects.all(), pk=link.complaint_id)
        if complaint.merged_into_id is not None:
            # Already handled with another complaint: moving it again would split the group.
            raise ValidationError(_("该投诉已与其他投诉合并办理"))
        primary = link.duplicate_of
        while primary.merged_into_id is not None:  # merge into the head of a chain
            primary = primary.merged_into  # type: ignore[assignment]
        complaint.merged_into = primary
        complaint.status = ComplaintStatus.MERGED
        old_case = complaint.case
        if primary.case_id is not None:
            complaint.case = primary.case  # handled together: the same case
        complaint.save(update_fields=["merged_into", "status", "case"])

        for case in {c for c in (old_case, complaint.case) if c is not None}:
            refresh_case_totals(case)
        if complaint.case is not None:
            complaints_follow(complaint.case)  # handled in that case: its status from now on
        record_event(
            complaint,
            EventKind.MERGED,
            actor=user,
            note=primary.tracking_no,
            public_text=_("已与同一单位的相关投诉合并办理"),
        )
        record_event(primary, EventKind.MERGED, actor=user, note=complaint.tracking_no)
    return link


def duplicate_dismiss(*, link: DuplicateLink, user: User) -> DuplicateLink:
    with transaction.atomic():
        link = _decide(link, user, DuplicateState.DISMISSED)
        record_event(
            link.complaint,
            EventKind.DUPLICATE_DISMISSED,
            actor=user,
            note=link.duplicate_of.tracking_no,
        )
    return link

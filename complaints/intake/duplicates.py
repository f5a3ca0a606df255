"""Possible duplicates: a new complaint that matches an open one (same employer credit code
or name, same project, same phone, overlapping period, within a configurable window) is
flagged and linked. An officer merges it (both records and channels are kept; the new one is
handled with the other) or dismisses the flag. Many workers of one site complaining
separately is normal: merging is how they end up handled together."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
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


def _overlap(a: Complaint, b: Any) -> bool:
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


def _matches(complaint: Complaint, other: Any) -> list[str]:
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


@dataclass(frozen=True)
class _Stored:
    """A stored candidate as the batched lookup reads it (no model instance: thousands of
    them for a batch whose employers complained before)."""

    pk: int
    tracking_no: str
    employer_name: str
    employer_credit_code: str
    project_id: int | None
    complainant_phone_index: str
    period_start: datetime.date | None
    period_end: datetime.date | None
    received_at: datetime.datetime


# _candidates for every complaint of a batch at once: one row of arrays per complaint, each
# joined LATERAL to its own first CANDIDATES matches. Each arm of the OR names the column
# its index serves (and the partial indexes' conditions), so every lateral lookup is the
# bitmap OR of index scans the one-complaint query makes. The OFFSET 0 keeps the ORDER BY …
# LIMIT outside: with it inside, the planner walked complaint_received_idx from the window's
# start filtering every complaint since (150,015 rows, 377 ms per referral at 1,000,000
# complaints) instead of reading the few matches (0.5 ms) and sorting them.
_MANY_SQL = """
SELECT b.i, c.id, c.tracking_no, c.employer_name, c.employer_credit_code, c.project_id,
       c.complainant_phone_index, c.period_start, c.period_end, c.received_at
FROM unnest(%s::int[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::timestamptz[])
     AS b(i, employer_name, phone_index, credit_code, project_id, since)
CROSS JOIN LATERAL (
    SELECT c.* FROM (
        SELECT c.* FROM complaints_complaint c
        WHERE (c.employer_name = b.employer_name
               OR (b.phone_index <> '' AND c.complainant_phone_index = b.phone_index)
               OR (b.credit_code <> '' AND c.employer_credit_code = b.credit_code
                   AND c.employer_credit_code <> '')
               OR (b.project_id IS NOT NULL AND c.project_id = b.project_id
                   AND c.project_id IS NOT NULL))
          AND c.received_at >= b.since AND c.merged_into_id IS NULL
        OFFSET 0
    ) c
    ORDER BY c.received_at LIMIT %s
) c
ORDER BY b.i, c.received_at, c.id
"""


def find_duplicates_many(
    complaints: Sequence[Complaint],
) -> list[list[tuple[Any, list[str]]]]:
    """find_duplicates for each complaint of a batch about to be saved together (no pks yet),
    as if they were saved one after the other: each one also repeats the earlier ones of the
    batch. On PostgreSQL one query for the whole batch (_MANY_SQL); elsewhere one query per
    complaint."""
    stored: list[list[Any]] = [[] for _c in complaints]
    if complaints and connection.vendor == "postgresql":
        params: list[Any] = [
            list(range(len(complaints))),
            [c.employer_name for c in complaints],
            [c.complainant_phone_index for c in complaints],
            [c.employer_credit_code for c in complaints],
            [c.project_id for c in complaints],
            [_since(c) for c in complaints],
            CANDIDATES,
        ]
        with connection.cursor() as cursor:
            cursor.execute(_MANY_SQL, params)
            for index, *row in cursor.fetchall():
                stored[index].append(_Stored(*row))
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


def links_for(complaint: Complaint, found: list[tuple[Any, list[str]]]) -> list[DuplicateLink]:
    return [
        DuplicateLink(complaint=complaint, duplicate_of_id=other.pk, reasons=reasons)
        for other, reasons in found
    ]


def flag_note(found: list[tuple[Any, list[str]]]) -> str:
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

"""Row locks, taken one way everywhere.

Two transactions that lock the same rows in different orders can each hold one row the other
waits for: PostgreSQL then aborts one of them (a deadlock). Every lock that waits is therefore
taken here, in primary-key order — the audited bulk update, the calendar, a case, a deadline,
a batch re-encrypted by `rotate_field_keys` — so any two lockers queue on the lowest row they
share instead of crossing.

A claim with SKIP LOCKED (the deadline sweep, the outbox, the digests) never waits, so it cannot
deadlock; it may take rows in the order that serves it (the most overdue first), and is written
with `claim_rows`. Only the table of the queryset's own model is locked (`FOR UPDATE OF self`),
never the rows its select_related joins reach. On SQLite, which has one writer at a time,
Django leaves the clause out and these are plain reads."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

_M = TypeVar("_M", bound=models.Model)


def lock_rows(queryset: models.QuerySet[_M]) -> models.QuerySet[_M]:
    """The queryset's rows, locked until the transaction ends, in primary-key order."""
    return queryset.order_by("pk").select_for_update(of=("self",))


def lock_row(queryset: models.QuerySet[_M], **lookup: Any) -> _M:
    """One row, locked (DoesNotExist if there is none)."""
    return lock_rows(queryset.filter(**lookup)).get()


def lock_row_or_none(queryset: models.QuerySet[_M], **lookup: Any) -> _M | None:
    return lock_rows(queryset.filter(**lookup)).first()


def claim_rows(queryset: models.QuerySet[_M]) -> models.QuerySet[_M]:
    """Rows no other transaction holds, locked; the ones held are skipped, never waited for.
    The caller's order stands (a claim takes what is most due first)."""
    return queryset.select_for_update(skip_locked=True, of=("self",))

"""The one outbox: deliveries written in the transaction of the event they report, sent later.

Every kind of delivery (status callbacks to referring systems, e-mail and SMS copies of
notifications) is a row of a model built on `arrears.models.outbox.OutboxItem`, drained by an
`Outbox` here:

- a row is claimed in a short transaction of its own (`SELECT … FOR UPDATE SKIP LOCKED`, due
  rows by next attempt then pk), which pushes its next attempt past the send's timeout (the
  lease) and gives it a fresh claim token, so two workers never send the same row at once;
- the send runs outside any transaction; its outcome is written only if this worker still
  holds the claim and the row is still pending, so a delivered row is never sent or reset
  again;
- a refused send is retried with exponential backoff and marked failed after a configurable
  number of attempts; an administrator can queue a failed row again.

Delivery is at least once: a worker killed between the receiver accepting and the row being
marked delivered sends it again after the lease. Receivers get a stable id per row (event id,
Message-ID) to drop such repeats. The kernel imports no domain app."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from arrears import locks
from arrears.enqueue import enqueue
from arrears.models.outbox import DeliveryState, OutboxItem

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=OutboxItem)

BATCH = 100


@dataclass(frozen=True)
class Attempt:
    """What one send reported: accepted by the receiver, or the error to keep. `fields` are
    further columns of the concrete model to write with the outcome (e.g. an HTTP status)."""

    accepted: bool
    error: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)


def backoff(attempts: int) -> datetime.timedelta:
    """Wait before the next attempt: OUTBOX_BACKOFF_SECONDS × 2ⁿ⁻¹, capped."""
    base = settings.OUTBOX_BACKOFF_SECONDS
    cap = settings.OUTBOX_BACKOFF_MAX_SECONDS
    return datetime.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def lease_for(timeout_seconds: float) -> datetime.timedelta:
    """A claim outlives the send's timeout by a wide margin: a send still running when its
    lease ends could be taken by a second worker and reach the receiver twice."""
    return datetime.timedelta(seconds=timeout_seconds * 6)


def kick(task_name: str) -> None:
    """Enqueue a drain (after commit). If the broker is down the row waits for beat."""
    try:
        enqueue(task_name)
    except Exception:  # kombu's OperationalError and whatever a transport raises
        logger.warning("could not enqueue %s; the periodic drain will deliver", task_name)


@dataclass(frozen=True)
class Outbox(Generic[T]):
    model: type[T]
    send: Callable[[T], Attempt]
    lease: datetime.timedelta
    max_attempts: Callable[[], int]
    related: tuple[str, ...] = ()
    # Runs after a row was marked delivered by this worker (e.g. stamp the notification).
    on_delivered: Callable[[T, datetime.datetime], None] | None = None

    def claim_one(self, now: datetime.datetime) -> tuple[int, uuid.UUID] | None:
        """Take the next due row for this worker, in a transaction of its own."""
        token = uuid.uuid4()
        with transaction.atomic():
            due = self.model._default_manager.filter(
                state=DeliveryState.PENDING, next_attempt_at__lte=now
            )
            pk = (
                locks.claim_rows(due.order_by("next_attempt_at", "pk"))
                .values_list("pk", flat=True)
                .first()
            )
            if pk is None:
                return None
            # The lease starts from the clock, not from `now` (which a caller may set ahead to
            # reach rows not yet due): it has to cover the send that starts right after this.
            self.model._default_manager.filter(pk=pk).update(
                next_attempt_at=timezone.now() + self.lease,
                attempts=F("attempts") + 1,
                claim_token=token,
            )
        return pk, token

    def drain(self, *, now: datetime.datetime | None = None, limit: int = BATCH) -> int:
        """Send due rows one at a time (at most `limit`); returns how many were delivered."""
        now = now or timezone.now()
        max_attempts = self.max_attempts()
        delivered = 0
        for _n in range(limit):
            claimed = self.claim_one(now)
            if claimed is None:
                break
            pk, token = claimed
            row = self.model._default_manager.select_related(*self.related).get(pk=pk)
            try:
                attempt = self.send(row)
            except Exception as exc:  # one broken row must not stop the drain; keep the error
                logger.exception("outbox send failed for %s %s", self.model.__name__, pk)
                attempt = Attempt(accepted=False, error=f"{type(exc).__name__}: {exc}")
            delivered += self._settle(row, token, attempt, max_attempts)
        return delivered

    def _settle(self, row: T, token: uuid.UUID, attempt: Attempt, max_attempts: int) -> int:
        done = timezone.now()
        mine = self.model._default_manager.filter(
            pk=row.pk, claim_token=token, state=DeliveryState.PENDING
        )
        if attempt.accepted:
            marked: int = mine.update(
                state=DeliveryState.DELIVERED,
                delivered_at=done,
                last_error="",
                claim_token=None,
                **attempt.fields,
            )
            if marked and self.on_delivered is not None:
                self.on_delivered(row, done)
            return marked
        give_up = row.attempts >= max_attempts
        mine.update(
            state=DeliveryState.FAILED if give_up else DeliveryState.PENDING,
            next_attempt_at=done + backoff(row.attempts),
            last_error=(attempt.error or "?")[:300],
            claim_token=None,
            **attempt.fields,
        )
        return 0

    def resend(self, *, pk: int) -> bool:
        """Queue a failed row for another round of attempts now; False if it is not failed."""
        # Only a failed row: a pending one is retried anyway (and may be mid-send), and a
        # delivered one has been accepted by the receiver.
        updated: int = self.model._default_manager.filter(pk=pk, state=DeliveryState.FAILED).update(
            state=DeliveryState.PENDING,
            next_attempt_at=timezone.now(),
            attempts=0,
            claim_token=None,
        )
        return bool(updated)

"""Status feedback to referring systems through a transactional outbox.

A CallbackDelivery row is written in the same transaction as the event it reports, so a
status change and its callback commit or vanish together. A task POSTs due rows, signed
with HMAC-SHA256; failures are retried with exponential backoff. A beat entry drains the
outbox every minute, so nothing is lost while Redis or the receiver is down. A row is
claimed before sending (its next attempt pushed past the request timeout), so two workers
never send the same row at once, and a delivered row is never sent again; a receiver can
also drop repeats by the event id it carries."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import config
from complaints.models import CallbackDelivery, Complaint, ComplaintEvent, DeliveryState

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
LEASE = datetime.timedelta(seconds=TIMEOUT_SECONDS * 6)
BATCH = 100


def _result(complaint: Complaint) -> str | None:
    case = complaint.case
    if case is not None and case.state in ("closed", "refused"):
        return str(case.get_outcome_display() or case.get_state_display())
    return None


def public_status(complaint: Complaint) -> dict[str, Any]:
    """What a referring system (and the complainant) may know about a complaint."""
    unit = complaint.department or complaint.responsible_department
    return {
        "tracking_no": complaint.tracking_no,
        "status": complaint.status,
        "status_display": str(complaint.get_status_display()),
        "unit": unit.name if unit else None,
        "result": _result(complaint),
    }


def callback_enqueue(*, complaint: Complaint, event: ComplaintEvent) -> CallbackDelivery | None:
    client = complaint.client
    if client is None or not client.callback_url:
        return None
    event_id = uuid.uuid4()
    payload = {
        "event_id": str(event_id),
        "external_id": complaint.external_id,
        **public_status(complaint),
        "event": {"kind": event.kind, "text": event.public_text, "at": event.at.isoformat()},
    }
    delivery = CallbackDelivery.objects.create(
        event_id=event_id,
        client=client,
        complaint=complaint,
        payload=payload,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(_kick)
    return delivery


def _kick() -> None:
    from complaints.tasks import deliver_callbacks

    try:
        deliver_callbacks.delay()
    except Exception:  # the broker is down: the beat drain delivers it later
        logger.warning("could not enqueue callback delivery; the periodic drain will send it")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


def _claim_one(now: datetime.datetime) -> tuple[int, uuid.UUID] | None:
    """Take the next due row for this worker: its next attempt moves past the send's timeout
    and it gets a fresh claim token, in a transaction of its own (row lock, SKIP LOCKED)."""
    token = uuid.uuid4()
    with transaction.atomic():
        row = (
            CallbackDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
            .first()
        )
        if row is None:
            return None
        CallbackDelivery.objects.filter(pk=row).update(
            next_attempt_at=timezone.now() + LEASE, attempts=F("attempts") + 1, claim_token=token
        )
    return row, token


def _post(delivery: CallbackDelivery) -> tuple[int | None, str]:
    client = delivery.client
    body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - an administrator-configured http(s) URL
        client.callback_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Arrears-Event-Id": str(delivery.event_id),
            "X-Arrears-Timestamp": timestamp,
            "X-Arrears-Signature": sign(client.callback_secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, str(exc.reason)[:300]
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(exc)[:300]


def callback_deliver_due(*, now: datetime.datetime | None = None, limit: int = BATCH) -> int:
    """Send due callbacks one at a time (at most `limit` per run); returns how many were
    delivered. A row's outcome is written only if this worker still holds its claim and the
    row is still pending, so a callback acknowledged once is never sent or reset again."""
    now = now or timezone.now()
    max_attempts = config.get("complaints.callback_max_attempts")
    delivered = 0
    for _n in range(limit):
        claimed = _claim_one(now)
        if claimed is None:
            break
        delivery_id, token = claimed
        delivery = CallbackDelivery.objects.select_related("client").get(pk=delivery_id)
        if not delivery.client.callback_url:
            continue
        status, error = _post(delivery)
        done = timezone.now()
        mine = CallbackDelivery.objects.filter(
            pk=delivery_id, claim_token=token, state=DeliveryState.PENDING
        )
        if status is not None and 200 <= status < 300:
            delivered += mine.update(
                state=DeliveryState.DELIVERED,
                delivered_at=done,
                last_status=status,
                last_error="",
                claim_token=None,
            )
        else:
            give_up = delivery.attempts >= max_attempts
            mine.update(
                state=DeliveryState.FAILED if give_up else DeliveryState.PENDING,
                next_attempt_at=done + _backoff(delivery.attempts),
                last_status=status,
                last_error=error or f"HTTP {status}",
                claim_token=None,
            )
    return delivered


def callback_resend(*, delivery: CallbackDelivery) -> CallbackDelivery:
    """Queue a failed callback for another attempt now (from the delivery log)."""
    # Only a failed callback: a pending one is retried anyway (and may be mid-send), and a
    # delivered one has been acknowledged by the receiver.
    updated = CallbackDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.FAILED).update(
        state=DeliveryState.PENDING, next_attempt_at=timezone.now(), attempts=0, claim_token=None
    )
    if not updated:
        raise ValidationError(_("只有投递失败的回调可以重发"))
    transaction.on_commit(_kick)
    delivery.refresh_from_db()
    return delivery

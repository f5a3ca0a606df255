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


def _claim(now: datetime.datetime) -> list[int]:
    with transaction.atomic():
        due = CallbackDelivery.objects.filter(
            state=DeliveryState.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at")
        ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:BATCH])
        CallbackDelivery.objects.filter(pk__in=ids).update(
            next_attempt_at=now + LEASE, attempts=F("attempts") + 1
        )
    return ids


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


def callback_deliver_due(*, now: datetime.datetime | None = None) -> int:
    """Send every due callback once; returns how many were delivered."""
    now = now or timezone.now()
    max_attempts = config.get("complaints.callback_max_attempts")
    delivered = 0
    for delivery_id in _claim(now):
        delivery = CallbackDelivery.objects.select_related("client").get(pk=delivery_id)
        if not delivery.client.callback_url:
            continue
        status, error = _post(delivery)
        done = timezone.now()
        if status is not None and 200 <= status < 300:
            CallbackDelivery.objects.filter(pk=delivery_id).update(
                state=DeliveryState.DELIVERED, delivered_at=done, last_status=status, last_error=""
            )
            delivered += 1
        else:
            give_up = delivery.attempts >= max_attempts
            CallbackDelivery.objects.filter(pk=delivery_id).update(
                state=DeliveryState.FAILED if give_up else DeliveryState.PENDING,
                next_attempt_at=done + _backoff(delivery.attempts),
                last_status=status,
                last_error=error or f"HTTP {status}",
            )
    return delivered


def callback_resend(*, delivery: CallbackDelivery) -> CallbackDelivery:
    """Queue a failed or waiting callback for another attempt now (from the delivery log).
    A delivered one is not resent: the receiver has acknowledged it."""
    updated = CallbackDelivery.objects.filter(
        pk=delivery.pk, state__in=[DeliveryState.FAILED, DeliveryState.PENDING]
    ).update(state=DeliveryState.PENDING, next_attempt_at=timezone.now(), attempts=0)
    if not updated:
        raise ValidationError(_("该回调已送达，不再重发"))
    transaction.on_commit(_kick)
    delivery.refresh_from_db()
    return delivery

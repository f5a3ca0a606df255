"""Status feedback to referring systems through the one outbox (`arrears.outbox`).

A CallbackDelivery row is written in the same transaction as the event it reports, so a
status change and its callback commit or vanish together. A task POSTs due rows, signed
with HMAC-SHA256; the outbox claims, retries with backoff, gives up after
`complaints.callback_max_attempts` and never sends a delivered row again. A beat entry drains
it every minute, so nothing is lost while Redis or the receiver is down; a receiver can drop
repeats by the event id it carries."""

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
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import config, outbox
from complaints.integration import work_orders
from complaints.models import CallbackDelivery, Complaint, ComplaintEvent
from complaints.tracking import format_tracking_no

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
LEASE = outbox.lease_for(TIMEOUT_SECONDS)
BATCH = outbox.BATCH


def _result(complaint: Complaint) -> str | None:
    case = complaint.case
    if case is not None and case.state in ("closed", "refused"):
        return str(case.get_outcome_display() or case.get_state_display())
    return None


def public_status(complaint: Complaint) -> dict[str, Any]:
    """What a referring system (and the complainant) may know about a complaint. The status
    follows the complaint's case (cases.complaints_follow), so it never contradicts the
    result."""
    unit = complaint.department or complaint.responsible_department
    return {
        "tracking_no": format_tracking_no(complaint.tracking_no),
        "status": complaint.status,
        "status_display": str(complaint.get_status_display()),
        "unit": unit.name if unit else None,
        "result": _result(complaint),
    }


def callback_enqueue(*, complaint: Complaint, event: ComplaintEvent) -> CallbackDelivery | None:
    created = callbacks_enqueue([event], complaint=complaint)
    return created[0] if created else None


def callbacks_enqueue(
    events: Sequence[ComplaintEvent], complaint: Complaint | None = None
) -> list[CallbackDelivery]:
    """The callbacks of saved public events (of their complaints, or of `complaint`), one
    insert for all: each referring system with a callback address hears of each step."""
    rows = []
    for event in events:
        subject = complaint or event.complaint
        client = subject.client
        if client is None or not client.callback_url:
            continue
        event_id = uuid.uuid4()
        payload = {
            "event_id": str(event_id),
            "external_id": subject.external_id,
            **public_status(subject),
            # The work order's clocks (type, due time, met or overdue); null without a type.
            "work_order": work_orders.work_order_status(subject),
            "event": {"kind": event.kind, "text": event.public_text, "at": event.at.isoformat()},
        }
        rows.append(
            CallbackDelivery(
                event_id=event_id,
                client=client,
                complaint=subject,
                payload=payload,
                next_attempt_at=timezone.now(),
            )
        )
    if not rows:
        return []
    created = CallbackDelivery.objects.bulk_create(rows)
    transaction.on_commit(_kick)
    return created


# The callback drain, registered by complaints/tasks.py under this name (arrears/enqueue.py).
DELIVER_CALLBACKS = "complaints.tasks.deliver_callbacks"


def _kick() -> None:
    outbox.kick(DELIVER_CALLBACKS)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _post(delivery: CallbackDelivery) -> outbox.Attempt:
    client = delivery.client
    if not client.callback_url:  # removed by an administrator after the row was written
        return outbox.Attempt(accepted=False, error=_("接口客户端未设置回调地址"))
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
    status: int | None
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status, error = response.status, ""
    except urllib.error.HTTPError as exc:
        status, error = exc.code, str(exc.reason)[:300]
    except (urllib.error.URLError, OSError, ValueError) as exc:
        status, error = None, str(exc)[:300]
    accepted = status is not None and 200 <= status < 300
    return outbox.Attempt(
        accepted=accepted,
        error="" if accepted else (error or f"HTTP {status}"),
        fields={"last_status": status},
    )


OUTBOX: outbox.Outbox[CallbackDelivery] = outbox.Outbox(
    model=CallbackDelivery,
    send=_post,
    lease=LEASE,
    max_attempts=lambda: int(config.get("complaints.callback_max_attempts")),
    related=("client",),
)


def _claim_one(now: datetime.datetime) -> tuple[int, uuid.UUID] | None:
    return OUTBOX.claim_one(now)


def callback_deliver_due(*, now: datetime.datetime | None = None, limit: int = BATCH) -> int:
    """Send due callbacks (at most `limit` per run); returns how many were delivered."""
    return OUTBOX.drain(now=now, limit=limit)


def callback_resend(*, delivery: CallbackDelivery) -> CallbackDelivery:
    """Queue a failed callback for another attempt now (from the delivery log)."""
    if not OUTBOX.resend(pk=delivery.pk):
        raise ValidationError(_("只有投递失败的回调可以重发"))
    transaction.on_commit(_kick)
    delivery.refresh_from_db()
    return delivery

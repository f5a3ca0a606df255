"""Progress SMS to the complainant through the one outbox (`arrears.outbox`).

Four steps are texted, each switched on or off per city (`complaints.sms.<step>`): received
(with the tracking number), signed for by a unit, wages recorded as paid, closed (the result
and the link to the public rating page). A `ComplainantSms` row is
written in the transaction of the step; its `(complaint, key)` is unique, so the same step
twice writes one row. The row keeps no phone number: the drain reads it, decrypted, from the
complaint when it sends. Only mobile numbers are texted (a landline cannot take an SMS)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from arrears import config, outbox
from arrears.identifiers import validate_mobile
from arrears.sms import get_sms_backend
from complaints.models import ComplainantSms, Complaint
from complaints.tracking import format_tracking_no

STEPS = ("received", "signed", "paid", "closed")
LENGTH = 300


@dataclass(frozen=True)
class Text:
    """One SMS of a step: `key` names it uniquely on its complaint ("received", "payment:12")."""

    complaint: Complaint
    step: str
    key: str
    body: str


# The texts: the tracking number, the unit and the result, never the complainant's name or an
# amount (a case's payment covers many workers: its sum is not this worker's wages, and an SMS
# can be read by anyone holding the phone).
RECEIVED = gettext_lazy(
    "【根治欠薪】您的欠薪投诉已收到，查询码%(t)s。凭查询码和手机号后四位可查询办理进度：%(url)s"
)
SIGNED = gettext_lazy("【根治欠薪】您的投诉（查询码%(t)s）已由%(d)s签收，正在办理。")
PAID = gettext_lazy("【根治欠薪】您的投诉（查询码%(t)s）已登记追回工资，请留意查收。")
CLOSED = gettext_lazy(
    "【根治欠薪】您的投诉（查询码%(t)s）已办结，办理结果：%(o)s。"
    "请您对办理情况作出评价（1-5分）：%(url)s"
)


def track_link(complaint: Complaint) -> str:
    """The public tracking page with the number filled in (the phone's last four digits are
    still asked for there): short enough for an SMS."""
    base = settings.SITE_URL.rstrip("/")
    return f"{base}{reverse('public-track')}?no={complaint.tracking_no}"


def rate_link(complaint: Complaint) -> str:
    """The public rating page of the complaint (it links on to the tracking page); the
    phone's last four digits are asked for there, as on the tracking page."""
    base = settings.SITE_URL.rstrip("/")
    return f"{base}{reverse('public-rate', args=[complaint.tracking_no])}"


def _render(msgid: object, **params: object) -> str:
    # Complainants have no language setting: the SMS is in the site's language (Chinese).
    with translation.override(settings.LANGUAGE_CODE):
        return str(msgid) % {k: str(v) for k, v in params.items()}


def received(complaint: Complaint) -> Text:
    t = format_tracking_no(complaint.tracking_no)
    body = _render(RECEIVED, t=t, url=track_link(complaint))
    return Text(complaint, "received", "received", body)


def signed(complaint: Complaint, unit: object) -> Text:
    body = _render(SIGNED, t=format_tracking_no(complaint.tracking_no), d=unit)
    return Text(complaint, "signed", "signed", body)


def paid(complaint: Complaint, payment_id: int) -> Text:
    body = _render(PAID, t=format_tracking_no(complaint.tracking_no))
    return Text(complaint, "paid", f"payment:{payment_id}", body)


def closed(complaint: Complaint, outcome: object, closure: int) -> Text:
    """`closure` counts the case's closures (its reopenings): a case reopened and closed
    again tells its result again, once."""
    t = format_tracking_no(complaint.tracking_no)
    body = _render(CLOSED, t=t, o=outcome, url=rate_link(complaint))
    return Text(complaint, "closed", f"closed:{closure}", body)


def enabled(step: str, city_id: int | None) -> bool:
    return bool(config.get(f"complaints.sms.{step}", city=city_id))


def is_mobile(phone: str) -> bool:
    try:
        validate_mobile(phone)
    except ValidationError:
        return False
    return bool(phone)


def texts_enqueue(texts: Sequence[Text]) -> list[Text]:
    """Write the outbox rows of the texts whose step is on, to mobile phones, not written
    before; returns those written. One query for the keys already there, one insert: a batch
    of 500 referrals costs the same two queries as one complaint. The callers hold the
    complaint's or the case's row lock (or the complaint is new), so the look-up is not raced;
    the unique constraint is the guarantee all the same (ON CONFLICT DO NOTHING)."""
    wanted = [
        t
        for t in texts
        if enabled(t.step, t.complaint.city_id) and is_mobile(t.complaint.complainant_phone)
    ]
    if not wanted:
        return []
    written = set(
        ComplainantSms.objects.filter(
            complaint_id__in={t.complaint.pk for t in wanted}, key__in={t.key for t in wanted}
        ).values_list("complaint_id", "key")
    )
    fresh: list[Text] = []
    for text in wanted:
        if (text.complaint.pk, text.key) in written:
            continue
        written.add((text.complaint.pk, text.key))
        fresh.append(text)
    ComplainantSms.objects.bulk_create(
        [ComplainantSms(complaint=t.complaint, key=t.key, body=t.body[:LENGTH]) for t in fresh],
        ignore_conflicts=True,
    )
    if fresh:
        transaction.on_commit(_kick)
    return fresh


# The drain, registered by complaints/tasks.py under this name.
DELIVER_TEXTS = "complaints.tasks.deliver_complainant_texts"


def _kick() -> None:
    outbox.kick(DELIVER_TEXTS)


def _send(row: ComplainantSms) -> outbox.Attempt:
    phone = row.complaint.complainant_phone  # decrypted by the field, never stored here
    if not is_mobile(phone):  # corrected to a landline since the row was written
        return outbox.Attempt(accepted=False, error="not a mobile number")
    get_sms_backend().send(phone, row.body)
    return outbox.Attempt(accepted=True)


OUTBOX: outbox.Outbox[ComplainantSms] = outbox.Outbox(
    model=ComplainantSms,
    send=_send,
    lease=outbox.lease_for(settings.NOTIFICATION_SEND_TIMEOUT),
    max_attempts=lambda: int(config.get("notifications.max_attempts")),
    related=("complaint",),
)


def texts_deliver_due(*, now: datetime.datetime | None = None, limit: int = outbox.BATCH) -> int:
    """Send due complainant SMS; returns how many the gateway accepted."""
    return OUTBOX.drain(now=now, limit=limit)

"""E-mail and SMS copies of notifications, in the one outbox, in the recipient's language.

`Text` lets a caller hand over a message that is translated later, once per recipient
language: the inbox row and its copies are rendered under `translation.override` of the
recipient's `language`, never in the language of whoever caused the message. The copies are
`MessageDelivery` rows written in the notification's transaction; the drain sends them and
marks a row delivered only after the mail server or SMS gateway accepted it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise

from arrears import config, outbox
from arrears.models import MessageChannel, MessageDelivery, Notification, User

SMS_LENGTH = 300


class Text:
    """A message translated when rendered: a `gettext_lazy` msgid and its %-parameters, which
    may themselves be lazy strings or `Text` (rendered in the same language)."""

    def __init__(self, msgid: str | Promise, /, **params: Any) -> None:
        self.msgid = msgid
        self.params: Mapping[str, Any] = params

    def render(self) -> str:
        text = str(self.msgid)
        if not self.params:
            return text
        return text % {k: as_text(v) for k, v in self.params.items()}

    def __repr__(self) -> str:
        return f"Text({self.msgid!r}, **{dict(self.params)!r})"


Renderable = str | Promise | Text


def as_text(value: Any) -> Any:
    """`value` in the active language (plain values are left as they are)."""
    if isinstance(value, Text):
        return value.render()
    if isinstance(value, Promise):
        return str(value)
    return value


def language_of(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def render_for(user: User, text: Renderable) -> str:
    """`text` in `user`'s language."""
    with translation.override(language_of(user)):
        return str(as_text(text))


def absolute_url(url: str) -> str:
    """A link that works from a mail client: SITE_URL joined with the page's path."""
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL.rstrip("/") + "/" + url.lstrip("/")


def _email_body(notification: Notification) -> str:
    link = absolute_url(notification.url)
    return f"{notification.body}\n\n{link}".strip() if link else notification.body


def copies_enqueue(
    notifications: Iterable[Notification], *, email: bool, sms: bool
) -> list[MessageDelivery]:
    """Write the e-mail/SMS copies of freshly written notifications (in the caller's
    transaction) and kick a drain after commit. Recipients must be loaded."""
    rows: list[MessageDelivery] = []
    for notification in notifications:
        user = notification.recipient
        if email and user.email:
            rows.append(
                MessageDelivery(
                    notification=notification,
                    channel=MessageChannel.EMAIL,
                    address=user.email,
                    subject=notification.title,
                    body=_email_body(notification),
                )
            )
        if sms and user.phone:
            text = " ".join(filter(None, [notification.title, notification.body]))
            rows.append(
                MessageDelivery(
                    notification=notification,
                    channel=MessageChannel.SMS,
                    address=user.phone,
                    subject=notification.title,
                    body=text[:SMS_LENGTH],
                )
            )
    if not rows:
        return []
    # One copy per (notification, channel): a repeated call writes nothing new.
    created = MessageDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    transaction.on_commit(_kick)
    return created


def _kick() -> None:
    from arrears.tasks import deliver_messages  # arrears.tasks imports the services

    outbox.kick(deliver_messages)


def _message_id(delivery: MessageDelivery) -> str:
    # Stable per row: if a worker dies after the server accepted and the row is sent again,
    # mail clients and archives can drop the repeat by this id.
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return f"<notification-{delivery.notification_id}.{delivery.pk}@{domain}>"


def _send(delivery: MessageDelivery) -> outbox.Attempt:
    from arrears.sms import get_sms_backend  # the backend class is a deployment setting

    if delivery.channel == MessageChannel.EMAIL:
        # A connection of our own with the send timeout: the outbox lease is a multiple of it.
        connection = get_connection(timeout=settings.NOTIFICATION_SEND_TIMEOUT)
        message = EmailMessage(
            subject=delivery.subject,
            body=delivery.body,
            to=[delivery.address],
            connection=connection,
            headers={"Message-ID": _message_id(delivery)},
        )
        # fail_silently=False: a refusal (4xx/5xx) or a dead server raises, and the drain
        # keeps the error and retries; reaching the next line means the server accepted.
        message.send(fail_silently=False)
    else:
        get_sms_backend().send(delivery.address, delivery.body)
    return outbox.Attempt(accepted=True)


def _stamp(delivery: MessageDelivery, at: datetime.datetime) -> None:
    column = "emailed_at" if delivery.channel == MessageChannel.EMAIL else "texted_at"
    Notification.objects.filter(pk=delivery.notification_id).update(**{column: at})


OUTBOX: outbox.Outbox[MessageDelivery] = outbox.Outbox(
    model=MessageDelivery,
    send=_send,
    lease=outbox.lease_for(settings.NOTIFICATION_SEND_TIMEOUT),
    max_attempts=lambda: int(config.get("notifications.max_attempts")),
    on_delivered=_stamp,
)


def messages_deliver_due(*, now: datetime.datetime | None = None, limit: int = outbox.BATCH) -> int:
    """Send due e-mail/SMS copies; returns how many the server or gateway accepted."""
    return OUTBOX.drain(now=now, limit=limit)


def message_resend(*, delivery: MessageDelivery) -> bool:
    """Queue a failed copy for another round of attempts (from the delivery log)."""
    if not OUTBOX.resend(pk=delivery.pk):
        return False
    transaction.on_commit(_kick)
    return True

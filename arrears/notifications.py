"""E-mail and SMS copies of notifications, in the one outbox, in the recipient's language.

`Text` lets a caller hand over a message that is translated later, once per recipient
language: the inbox row and its copies are rendered under `translation.override` of the
recipient's `language`, never in the language of whoever caused the message. The copies are
`MessageDelivery` rows written in the notification's transaction; the drain sends them and
marks a row delivered only after the mail server or SMS gateway accepted it."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from arrears import config, outbox
from arrears.models import MessageChannel, MessageDelivery, Notification, User
from arrears.sms import get_sms_backend

SMS_LENGTH = 300

# Reminders and escalations are what a busy office receives by the dozen: for the roles in
# `notifications.digest_roles` their e-mail/SMS copies wait for the daily digest unless urgent.
# Every other kind (a new complaint, a job finished, a health alert) is sent at once.
DIGEST_KINDS = frozenset({"deadline.reminder", "deadline.escalation"})
# The digest's own inbox row: it carries the digest's copies in the outbox and marks the day
# as done for its recipient (unique dedupe key); it is not shown in the inbox.
DIGEST_KIND = "notifications.digest"


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


class Renderer:
    """`render_for` for many recipients: a `Text` whose parameters are plain values has its
    template translated once per (language, msgid object) and then formatted, instead of a
    translation.override per recipient (a third of the deadline sweep's time). Keep one for
    a batch; texts built on module-level msgids share their templates."""

    def __init__(self) -> None:
        self._templates: dict[tuple[str, int], str] = {}

    def __call__(self, user: User, text: Text) -> str:
        if any(isinstance(v, Text | Promise) for v in text.params.values()):
            return render_for(user, text)
        key = (language_of(user), id(text.msgid))
        template = self._templates.get(key)
        if template is None:
            with translation.override(key[0]):
                template = self._templates[key] = str(text.msgid)
        return template % dict(text.params) if text.params else template


def absolute_url(url: str) -> str:
    """A link that works from a mail client: SITE_URL joined with the page's path."""
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL.rstrip("/") + "/" + url.lstrip("/")


# --- Subjects and kinds ----------------------------------------------------------------------


def subject_of(obj: models.Model | None, url: str = "") -> tuple[str, str]:
    """(subject_type, subject_id) for a message about `obj`; without one, its link."""
    if obj is None or obj.pk is None:
        return "", url
    return obj._meta.label_lower, str(obj.pk)


@dataclass(frozen=True)
class Kind:
    label: Renderable
    # The list a whole kind of messages stands for (e.g. the overdue cases for escalations
    # about cases), by subject type; "" is used for any type.
    lists: Mapping[str, tuple[Renderable, Callable[[], str]]]


KINDS: dict[str, Kind] = {}


def kind_register(
    kind: str,
    label: Renderable,
    *,
    subject_type: str = "",
    list_label: Renderable = "",
    list_url: Callable[[], str] | None = None,
) -> None:
    """Name a kind of message for the inbox and digests; domain apps add the list that a kind
    of message about their objects leads to (called from `AppConfig.ready`)."""
    known = KINDS.get(kind)
    lists = dict(known.lists) if known else {}
    if list_url is not None:
        lists[subject_type] = (list_label or label, list_url)
    KINDS[kind] = Kind(label=known.label if known and not label else label, lists=lists)


def kind_label(kind: str) -> Renderable:
    known = KINDS.get(kind)
    return known.label if known else kind


def kind_list(kind: str, subject_type: str) -> tuple[str, str] | None:
    """(label, url) of the list a group of messages leads to, if its app named one."""
    known = KINDS.get(kind)
    if known is None:
        return None
    found = known.lists.get(subject_type) or known.lists.get("")
    if found is None:
        return None
    return str(as_text(found[0])), found[1]()


kind_register("deadline.reminder", gettext_lazy("到期提醒"))
kind_register("deadline.escalation", gettext_lazy("逾期督办"))
kind_register("calendar.provisional", gettext_lazy("节假日安排"))
kind_register("health.stale", gettext_lazy("系统运行告警"))
kind_register("job.done", gettext_lazy("后台任务完成"))
kind_register("job.failed", gettext_lazy("后台任务失败"))
kind_register(DIGEST_KIND, gettext_lazy("每日汇总"))


def digest_roles() -> frozenset[str]:
    raw = str(config.get("notifications.digest_roles"))
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def held_channels(
    user: User,
    *,
    kind: str,
    urgent: bool,
    email: bool,
    sms: bool,
    roles: frozenset[str] | None = None,
) -> str:
    """The channels whose copies wait for `user`'s daily digest ("" = send at once)."""
    if urgent or kind not in DIGEST_KINDS:
        return ""
    if user.role not in (digest_roles() if roles is None else roles):
        return ""
    return ",".join(c for c, wanted in (("email", email), ("sms", sms)) if wanted)


def _email_body(notification: Notification) -> str:
    link = absolute_url(notification.url)
    return f"{notification.body}\n\n{link}".strip() if link else notification.body


def copies_enqueue(
    notifications: Iterable[Notification], *, email: bool, sms: bool
) -> list[MessageDelivery]:
    """Write the e-mail/SMS copies of freshly written notifications (in the caller's
    transaction) and kick a drain after commit. Recipients must be loaded. Channels held for
    the recipient's digest (`Notification.digest_channels`) are left to `arrears.digests`."""
    rows: list[MessageDelivery] = []
    for notification in notifications:
        user = notification.recipient
        held = notification.digest_channels.split(",")
        if email and user.email and MessageChannel.EMAIL not in held:
            rows.append(
                MessageDelivery(
                    notification=notification,
                    channel=MessageChannel.EMAIL,
                    address=user.email,
                    subject=notification.title,
                    body=_email_body(notification),
                )
            )
        if sms and user.phone and MessageChannel.SMS not in held:
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
    return deliveries_enqueue(rows)


def deliveries_enqueue(rows: list[MessageDelivery]) -> list[MessageDelivery]:
    """Write outbox rows in the caller's transaction; a drain is kicked after commit."""
    if not rows:
        return []
    # One copy per (notification, channel): a repeated call writes nothing new.
    created = MessageDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    transaction.on_commit(_kick)
    return created


# The outbox drain for e-mail and SMS copies, registered by arrears/tasks.py under this name.
DELIVER_MESSAGES = "arrears.tasks.deliver_messages"


def _kick() -> None:
    outbox.kick(DELIVER_MESSAGES)


def _message_id(delivery: MessageDelivery) -> str:
    # Stable per row: if a worker dies after the server accepted and the row is sent again,
    # mail clients and archives can drop the repeat by this id.
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return f"<notification-{delivery.notification_id}.{delivery.pk}@{domain}>"


def _send(delivery: MessageDelivery) -> outbox.Attempt:
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
    # A digest's copy also reached every item it lists (held for that channel).
    Notification.objects.filter(
        models.Q(pk=delivery.notification_id)
        | models.Q(digest_id=delivery.notification_id, digest_channels__contains=delivery.channel)
    ).update(**{column: at})


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

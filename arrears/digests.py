"""The daily digest: one e-mail (and one short SMS) per recipient and day listing the reminders
and escalations whose copies were held for it, instead of one message each.

Which copies are held is decided when a notification is written
(`arrears.notifications.held_channels`: a role in `notifications.digest_roles`, a kind in
`DIGEST_KINDS`, not urgent). The sweep (beat, every few minutes) acts from database state only:
from `notifications.digest_time` on (working days only unless configured otherwise) it takes,
for each recipient, every held item written before today's digest time and writes one digest.

The digest is itself a `Notification` row (kind `notifications.digest`, already read, not shown
in the inbox) whose dedupe key is the day: the unique (recipient, dedupe key) makes it one per
recipient per day, even with two sweeps at once. Its copies are ordinary `MessageDelivery` rows
of the one outbox, and its items point at it (`Notification.digest`), so nothing is sent twice:
the digest row, the items' mark and the copies commit together or not at all.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from arrears import config, locks, workdays
from arrears.models import MessageChannel, MessageDelivery, Notification, User
from arrears.notifications import (
    DIGEST_KIND,
    SMS_LENGTH,
    Text,
    absolute_url,
    deliveries_enqueue,
    kind_label,
    render_for,
)

# An e-mail lists this many items; the rest are counted and left to the inbox (every held
# item is still taken, so none is mailed again tomorrow).
LISTED = 100


def digest_cutoff(now: datetime.datetime) -> datetime.datetime | None:
    """Today's digest moment if the digest is due by `now`, else None (too early, or a day off
    when digests go on working days only: that day's items join the next working day's)."""
    local = timezone.localtime(now)
    moment = timezone.make_aware(
        datetime.datetime.combine(local.date(), config.get("notifications.digest_time")),
        timezone.get_default_timezone(),
    )
    if local < moment:
        return None
    if config.get("notifications.digest_working_days_only") and not workdays.is_working_day(
        local.date()
    ):
        return None
    return moment


def _held(cutoff: datetime.datetime) -> QuerySet[Notification]:
    # Served by notification_digest_held_idx (held, not yet in a digest).
    return (
        Notification.objects.filter(digest__isnull=True, created_at__lt=cutoff)
        .exclude(digest_channels="")
        .order_by()
    )


def digests_send(*, now: datetime.datetime | None = None) -> int:
    """Write today's digest for every recipient with held items; returns how many were written.
    Safe to run at any time and twice: a recipient with today's digest is skipped."""
    now = now or timezone.now()
    cutoff = digest_cutoff(now)
    if cutoff is None:
        return 0
    day = timezone.localdate(cutoff)
    key = f"digest:{day.isoformat()}"
    waiting = set(_held(cutoff).values_list("recipient_id", flat=True).distinct())
    if not waiting:
        return 0
    done = set(
        Notification.objects.filter(
            kind=DIGEST_KIND, dedupe_key=key, recipient_id__in=waiting
        ).values_list("recipient_id", flat=True)
    )
    users = User.objects.in_bulk(sorted(waiting - done))
    written = 0
    for user in users.values():
        if _digest_write(user=user, cutoff=cutoff, key=key, now=now):
            written += 1
    return written


def _digest_write(
    *, user: User, cutoff: datetime.datetime, key: str, now: datetime.datetime
) -> bool:
    with transaction.atomic():
        # SKIP LOCKED: items another sweep is taking right now are left to it.
        items = list(
            locks.claim_rows(_held(cutoff).filter(recipient=user).order_by("created_at", "id"))
        )
        if not items:
            return False
        subject, body, sms = _render(user, items, cutoff)
        try:
            with transaction.atomic():
                digest = Notification.objects.create(
                    recipient=user,
                    kind=DIGEST_KIND,
                    title=subject[:200],
                    body=body,
                    url="/inbox/",
                    dedupe_key=key,
                    read_at=now,  # a record of what was mailed, not a message to read
                )
        except IntegrityError:
            return False  # another sweep wrote today's digest a moment ago
        Notification.objects.filter(pk__in=[n.pk for n in items], digest__isnull=True).update(
            digest=digest
        )
        channels = {c for n in items for c in n.digest_channels.split(",")}
        rows = []
        if MessageChannel.EMAIL in channels and user.email:
            rows.append(
                MessageDelivery(
                    notification=digest,
                    channel=MessageChannel.EMAIL,
                    address=user.email,
                    subject=digest.title,
                    body=body,
                )
            )
        if MessageChannel.SMS in channels and user.phone:
            rows.append(
                MessageDelivery(
                    notification=digest,
                    channel=MessageChannel.SMS,
                    address=user.phone,
                    subject=digest.title,
                    body=sms[:SMS_LENGTH],
                )
            )
        deliveries_enqueue(rows)
    return True


def _render(
    user: User, items: list[Notification], cutoff: datetime.datetime
) -> tuple[str, str, str]:
    """Subject, e-mail body and SMS text of a digest, in the recipient's language. The items'
    own titles and bodies were rendered in that language when they were written."""
    at = timezone.localtime(cutoff).strftime("%Y-%m-%d %H:%M")
    inbox = absolute_url("/inbox/")
    n = len(items)
    subject = render_for(
        user, Text(gettext_lazy("每日汇总：%(n)s 条到期提醒和逾期督办（%(d)s）"), n=n, d=at[:10])
    )
    by_kind: dict[str, list[Notification]] = defaultdict(list)
    for item in items[:LISTED]:
        by_kind[item.kind].append(item)
    lines = [
        render_for(
            user, Text(gettext_lazy("截至 %(t)s，您有 %(n)s 条到期提醒和逾期督办："), t=at, n=n)
        ),
        "",
    ]
    for kind, group in by_kind.items():
        lines.append(
            render_for(
                user, Text(gettext_lazy("【%(k)s】%(n)s 条"), k=kind_label(kind), n=len(group))
            )
        )
        for index, item in enumerate(group, 1):
            lines.append(f"{index}. {item.title}")
            if item.body:
                lines.append(f"   {item.body}")
            if item.url:
                lines.append(f"   {absolute_url(item.url)}")
        lines.append("")
    if n > LISTED:
        lines.append(
            render_for(user, Text(gettext_lazy("……另有 %(n)s 条，请在系统中查看。"), n=n - LISTED))
        )
    lines.append(render_for(user, Text(gettext_lazy("全部消息：%(u)s"), u=inbox)))
    sms = render_for(
        user,
        Text(
            gettext_lazy("【每日汇总】您有 %(n)s 条到期提醒和逾期督办，请登录系统查看：%(u)s"),
            n=n,
            u=inbox,
        ),
    )
    return subject, "\n".join(lines), sms

"""The in-app inbox, and its e-mail and SMS copies in the one outbox (`arrears.outbox`)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from arrears.fields import EncryptedCharField
from arrears.identifiers import mask_phone
from arrears.scoping import ScopePaths

from .outbox import OutboxItem


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类别"), max_length=50)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    # What the message is about, so the inbox can group "every message about case 12": the
    # subject's model label ("complaints.case") and pk, or, for messages about no object, an
    # empty type and the link itself (one group per page linked to).
    subject_type = models.CharField(_("事项类型"), max_length=100, blank=True, default="")
    subject_id = models.CharField(_("事项"), max_length=300, blank=True, default="")
    # Sent at once by e-mail/SMS even to a role that reads reminders as a daily digest (a major
    # case, a zero-tolerance project, an escalation that reaches the leaders).
    urgent = models.BooleanField(_("紧急"), default=False)
    # The copies held for the recipient's daily digest ("email", "sms" or "email,sms"), and the
    # digest that took them: held and not yet taken is what the digest sweep looks for.
    digest_channels = models.CharField(_("汇总发送"), max_length=20, blank=True, default="")
    digest = models.ForeignKey(
        "self",
        verbose_name=_("每日汇总"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="digest_items",
    )
    # Makes sending idempotent: a sweep or task that runs twice finds the row and stops.
    # NULL, not "": notifications without a key must not collide in the unique constraint.
    dedupe_key = models.CharField(_("去重键"), max_length=200, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    # Stamped when the mail server / SMS gateway accepted the copy (MessageDelivery).
    emailed_at = models.DateTimeField(null=True, blank=True)
    texted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="notification_unique_dedupe_key"
            ),
        ]
        indexes = [
            # The unread badge in the navigation bar: WHERE recipient_id = ? AND read_at IS NULL.
            models.Index(
                fields=["recipient", "-created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            # The inbox page: WHERE recipient_id = ? ORDER BY created_at DESC, id DESC.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
            # The grouped inbox, a group's latest title and "mark this group read":
            # WHERE recipient_id = ? GROUP BY kind, subject_type, subject_id (… ORDER BY
            # created_at DESC LIMIT 1 per group).
            models.Index(
                fields=["recipient", "kind", "subject_type", "subject_id", "-created_at"],
                name="notification_group_idx",
            ),
            # The digest sweep: WHERE digest_channels <> '' AND digest_id IS NULL AND
            # created_at < cutoff — held copies not yet taken by a digest (few rows at a time).
            models.Index(
                fields=["recipient", "created_at"],
                condition=~models.Q(digest_channels="") & models.Q(digest__isnull=True),
                name="notification_digest_held_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")


class MessageDelivery(OutboxItem):
    """An e-mail or SMS copy of a notification, written in the notification's transaction and
    sent by the outbox drain; subject and body are rendered in the recipient's language."""

    notification = models.ForeignKey(
        Notification, verbose_name=_("通知"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("方式"), max_length=5, choices=MessageChannel.choices)
    # The address at the time of writing: a later change of the user's e-mail or phone does
    # not redirect a message already queued. Encrypted: for SMS it is the user's phone number.
    address = EncryptedCharField(_("发送地址"), max_length=254)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)

    # A city's office sees the copies sent to its city's people; the province office all.
    scope_paths: ClassVar[ScopePaths] = ScopePaths(city="notification__recipient__city")

    class Meta:
        verbose_name = _("消息投递")
        verbose_name_plural = _("消息投递")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One copy per channel: writing the copies again (a retried sweep) adds nothing.
            models.UniqueConstraint(
                fields=["notification", "channel"], name="messagedelivery_one_per_channel"
            ),
        ]
        indexes = [
            # The outbox drain: WHERE state = 'pending' AND next_attempt_at <= now
            # ORDER BY next_attempt_at, id.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(state="pending"),
                name="messagedelivery_pending_idx",
            ),
            # The delivery log's failed filter: WHERE state = 'failed' ORDER BY created_at DESC.
            models.Index(
                fields=["-created_at"],
                condition=models.Q(state="failed"),
                name="messagedelivery_failed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.masked_address}"

    @property
    def masked_address(self) -> str:
        """Phone numbers are personal data: pages and the admin show them masked."""
        return mask_phone(self.address) if self.channel == MessageChannel.SMS else self.address

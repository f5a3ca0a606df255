"""The in-app inbox. E-mail and SMS copies are sent by a task after the row is committed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    # Makes sending idempotent: a sweep or task that runs twice finds the row and stops.
    # NULL, not "": notifications without a key must not collide in the unique constraint.
    dedupe_key = models.CharField(_("去重键"), max_length=200, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
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
        ]

    def __str__(self) -> str:
        return self.title

"""The audit trail: one row per created, changed or deleted domain record (bulk updates too)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        # No constraint: the trail must survive the deletion of the user it names, and the
        # actor is copied into actor_label as well.
        db_constraint=False,
    )
    actor_label = models.CharField(_("操作人标识"), max_length=150)
    action = models.CharField(_("操作"), max_length=10, choices=AuditAction.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(_("对象ID"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=200)
    # {"field": [old, new]}; personal identifiers are masked before they get here.
    changes = models.JSONField(_("变更内容"), default=dict)
    bulk = models.BooleanField(_("批量操作"), default=False)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # The history of one record: WHERE content_type_id = ? AND object_id = ?.
            models.Index(
                fields=["content_type", "object_id", "-occurred_at"], name="auditevent_object_idx"
            ),
            # What one person did: WHERE actor_id = ? ORDER BY occurred_at DESC.
            models.Index(fields=["actor", "-occurred_at"], name="auditevent_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_repr}"

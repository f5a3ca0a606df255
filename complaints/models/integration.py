from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel
from arrears.models.outbox import OutboxItem

from .complaint import Channel, Complaint


class IntegrationClient(AuditedModel):
    """A referring system (the 12345 hotline, the national clue platform): a machine user
    bound to one channel, with API keys, a rate limit and an optional callback."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="integration_client"
    )
    name = models.CharField(_("名称"), max_length=100, unique=True)
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    rate = models.CharField(
        _("限流"), max_length=20, default="600/min", help_text=_("如 600/min、20/s")
    )
    callback_url = models.URLField(_("状态回调地址"), blank=True)
    # Shared with the receiver to sign callbacks (HMAC-SHA256); it has to be readable to sign.
    callback_secret = models.CharField(_("回调签名密钥"), max_length=100, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    audit_exclude = frozenset({"callback_secret"})

    class Meta:
        verbose_name = _("接口客户端")
        verbose_name_plural = _("接口客户端")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Unsigned callbacks could be forged by anyone who can reach the receiver.
        if self.callback_url and len(self.callback_secret) < 16:
            raise ValidationError({"callback_secret": _("设置回调地址时须设置至少16位的签名密钥")})


class ApiKey(AuditedModel):
    """An API key is shown once; only its SHA-256 is stored. Keys carry 256 bits of randomness,
    so a fast hash is enough (no password stretching needed), and lookups go by prefix."""

    client = models.ForeignKey(IntegrationClient, on_delete=models.CASCADE, related_name="keys")
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    label = models.CharField(_("说明"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    audit_exclude = frozenset({"key_hash", "last_used_at"})

    class Meta:
        verbose_name = _("接口密钥")
        verbose_name_plural = _("接口密钥")

    def __str__(self) -> str:
        return f"{self.client} {self.prefix}…"


class CallbackDelivery(OutboxItem):
    """Status callbacks in the one outbox (`arrears.outbox`): written in the same transaction
    as the status change, POSTed by a task. `event_id` travels with the callback so a receiver
    can drop a repeat."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(IntegrationClient, on_delete=models.PROTECT, related_name="+")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="deliveries")
    payload = models.JSONField()
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("状态回调")
        verbose_name_plural = _("状态回调")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The outbox drain: WHERE state = 'pending' AND next_attempt_at <= now.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="delivery_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.event_id}"

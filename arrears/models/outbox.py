"""The one outbox's row shape, shared by every kind of delivery (callbacks, e-mail, SMS).

A concrete outbox model adds what it sends (a payload, an address) and its own partial index
over pending rows; the mechanics that claim, send and settle rows live in `arrears.outbox`."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待投递")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("投递失败")


class OutboxItem(models.Model):
    """Pending until the receiver accepted it (delivered) or attempts ran out (failed)."""

    state = models.CharField(
        _("状态"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # Set when a worker takes the row to send it; the result is written only by the holder of
    # this token, so a slow send that outlives its lease cannot overwrite a later outcome.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), default=timezone.now)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)

    class Meta:
        abstract = True

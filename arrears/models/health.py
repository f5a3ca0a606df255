"""Liveness marks of the background processes, read by /readyz. In the database, not the cache:
the embedded default's cache is per process (locmem), and the worker, beat and web are
separate processes, possibly on separate nodes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    # One row per mark ("worker", "beat"), overwritten in place: the table never grows.
    # Not an AuditedModel: a write a minute is not something anyone did.
    name = models.CharField(_("名称"), max_length=50, primary_key=True)
    at = models.DateTimeField(_("最近时间"))

    class Meta:
        verbose_name = _("心跳")
        verbose_name_plural = _("心跳")

    def __str__(self) -> str:
        return f"{self.name} @ {self.at.isoformat()}"

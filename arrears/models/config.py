"""Administrator overrides of configuration defaults; the defaults live in arrears.config."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel


class ConfigValue(AuditedModel):
    key = models.CharField(_("配置项"), max_length=100, unique=True)
    value = models.JSONField(_("值"))
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("配置")
        verbose_name_plural = _("配置")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

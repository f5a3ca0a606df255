"""Administrator overrides of configuration defaults; the defaults live in arrears.config."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel


class ConfigValue(AuditedModel):
    """An override of one setting: the province's (city empty), which every city follows, or
    one city's own (only for the settings a city may set, arrears.config `per_city`)."""

    key = models.CharField(_("配置项"), max_length=100)
    city = models.ForeignKey(
        "arrears.City",
        verbose_name=_("地级市"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("留空为全省默认值"),
    )
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
        ordering = ["key", "city"]
        constraints = [
            # One province value per key and one per city; the city's NULL would be distinct
            # in SQL, so the province's row has its own partial constraint.
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(city__isnull=True), name="config_unique_key"
            ),
            models.UniqueConstraint(
                fields=["key", "city"],
                condition=models.Q(city__isnull=False),
                name="config_unique_key_per_city",
            ),
        ]

    def __str__(self) -> str:
        return self.key if self.city_id is None else f"{self.key} ({self.city})"

"""Construction projects. The registry (parties, contract, 5+3 checklist, inspections) grows
here; intake needs only what identifies a project and where it is."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel
from arrears.scoping import ScopePaths


class ProjectStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未开工")
    IN_CONSTRUCTION = "in_construction", _("在建")
    COMPLETED = "completed", _("已完工")
    SUSPENDED = "suspended", _("停工")


class Project(AuditedModel):
    code = models.CharField(_("项目编号"), max_length=40, unique=True)
    name = models.CharField(_("项目名称"), max_length=200)
    county = models.ForeignKey(
        "arrears.County",
        verbose_name=_("县（区）"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    industry = models.ForeignKey(
        "arrears.Industry",
        verbose_name=_("行业"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    address = models.CharField(_("项目地址"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=ProjectStatus.choices,
        default=ProjectStatus.IN_CONSTRUCTION,
    )

    scope_paths: ClassVar[ScopePaths] = ScopePaths(county="county")

    class Meta:
        verbose_name = _("工程项目")
        verbose_name_plural = _("工程项目")
        ordering = ["county", "name"]
        indexes = [
            # Intake matches a typed project name within a county: WHERE name = ? (AND county).
            models.Index(fields=["name", "county"], name="project_name_county_idx"),
        ]

    def __str__(self) -> str:
        return self.name

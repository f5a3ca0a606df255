"""A campaign's inspection list drawn by risk (风险分级 + 双随机): the draw with its seed, and
each project on the list with why it is there."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel
from arrears.scoping import ScopePaths


class CampaignDraw(AuditedModel):
    """One drawing of a campaign's list. The seed, the day the facts were read as of and the
    parameters are stored, so the same draw can be recomputed and checked
    (projects.services.campaign_draw_replay); a redraw is a new row, the latest is in force."""

    campaign = models.ForeignKey(
        "projects.Campaign", on_delete=models.PROTECT, related_name="draws"
    )
    drawn_at = models.DateTimeField(_("抽取时间"), auto_now_add=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    as_of = models.DateField(_("评分截止日"))
    seed = models.BigIntegerField(_("随机种子"))
    size = models.PositiveIntegerField(_("抽取项目数"))
    random_percent = models.PositiveSmallIntegerField(_("随机抽取比例（%）"))
    # The projects it chose from (in construction, in the drawer's scope and the campaign's
    # city, started by as_of): with the seed, what a replay needs to find the same list.
    candidates = models.PositiveIntegerField(_("候选项目数"), default=0)

    class Meta:
        verbose_name = _("检查名单抽取")
        verbose_name_plural = _("检查名单抽取")
        ordering = ["-drawn_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="campaigndraw_percent_range", condition=models.Q(random_percent__lte=100)
            ),
        ]
        indexes = [
            # The campaign page's latest draw: WHERE campaign_id = ? ORDER BY drawn_at DESC.
            models.Index(fields=["campaign", "-drawn_at"], name="campaigndraw_latest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} {self.drawn_at:%Y-%m-%d}"


class DrawnProject(AuditedModel):
    """A project on a drawn list, its place, its score and factors then, and its inspector."""

    draw = models.ForeignKey(CampaignDraw, on_delete=models.CASCADE, related_name="entries")
    rank = models.PositiveIntegerField(_("序号"))
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="+")
    by_risk = models.BooleanField(_("按风险抽取"))
    score = models.DecimalField(_("风险分"), max_digits=8, decimal_places=2)
    # The factors that put it there, largest first: [{"code", "count", "points"}] (their
    # labels come from projects.risk.FACTORS when shown, in the reader's language).
    reasons = models.JSONField(_("风险因素"), default=list, blank=True)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    scope_paths: ClassVar[ScopePaths] = ScopePaths(
        county="project__county", department="project__department"
    )

    class Meta:
        verbose_name = _("抽取的检查项目")
        verbose_name_plural = _("抽取的检查项目")
        ordering = ["draw", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "project"], name="drawnproject_once_per_draw"),
            models.UniqueConstraint(fields=["draw", "rank"], name="drawnproject_rank_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.draw_id} #{self.rank} {self.project_id}"

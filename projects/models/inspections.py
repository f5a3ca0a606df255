"""Campaigns, inspections, findings, rectification orders (clocks of the deadline
mechanism) and fines."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel
from arrears.scoping import ScopePaths

from .compliance import CHECKLIST
from .registry import ZERO_TOLERANCE


class Campaign(AuditedModel):
    """A special action (夏季专项行动, 元旦春节前专项整治…) with its period."""

    name = models.CharField(_("专项行动"), max_length=100)
    # A city's own campaign; empty for one the province runs in every city.
    city = models.ForeignKey(
        "arrears.City",
        verbose_name=_("地级市"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("留空为全省专项行动"),
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    scope_note = models.CharField(_("范围"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("专项行动")
        verbose_name_plural = _("专项行动")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                name="campaign_period_ordered",
                condition=models.Q(ends_on__gte=models.F("starts_on")),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Inspection(AuditedModel):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="inspections"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="inspections"
    )
    inspected_on = models.DateField(_("检查日期"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("检查情况"), blank=True)
    # Copied from the project for scoping (lists of inspections per county and department).
    county = models.ForeignKey("arrears.County", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "arrears.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    scope_paths: ClassVar[ScopePaths] = ScopePaths(county="county", department="department")

    class Meta:
        verbose_name = _("检查")
        verbose_name_plural = _("检查")
        ordering = ["-inspected_on", "-id"]

    def __str__(self) -> str:
        return f"{self.project} {self.inspected_on}"


class Finding(AuditedModel):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    item = models.CharField(_("制度"), max_length=20, choices=CHECKLIST)
    description = models.CharField(_("问题"), max_length=300)

    class Meta:
        verbose_name = _("检查发现问题")
        verbose_name_plural = _("检查发现问题")

    def __str__(self) -> str:
        return f"{self.item}: {self.description}"


# The deadline kind of a rectification order's clock (arrears.models.Deadline.kind).
RECTIFICATION = "rectification"


class RectificationOrder(AuditedModel):
    """责令整改: a clock of its own (kind "rectification"), swept and escalated like a case."""

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="rectification")
    working_days = models.PositiveSmallIntegerField(_("整改期限（工作日）"))
    issued_on = models.DateField(_("下达日期"), default=timezone.localdate)
    verified_on = models.DateField(_("复查日期"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rectified = models.BooleanField(_("整改到位"), null=True, blank=True)
    verification_note = models.CharField(_("复查情况"), max_length=300, blank=True)

    scope_paths: ClassVar[ScopePaths] = ScopePaths(
        county="finding__inspection__county", department="finding__inspection__department"
    )

    class Meta:
        verbose_name = _("责令整改")
        verbose_name_plural = _("责令整改")

    def __str__(self) -> str:
        return f"{self.finding} ({self.working_days})"

    def get_absolute_url(self) -> str:
        return f"/projects/{self.finding.inspection.project_id}/"

    def notification_urgent(self) -> bool:
        """Arrears on a government-invested or state-owned project are met with zero tolerance
        (政府投资和国有企业投资项目拖欠农民工工资零容忍): its order's reminders and escalations
        are e-mailed at once, never held for the daily digest (arrears.deadlines)."""
        return self.finding.inspection.project.investment_type in ZERO_TOLERANCE


class FineArticle(models.TextChoices):
    # 保障农民工工资支付条例 (State Council Order 724)
    ART_54 = "art54", _("第54条：未编制工资支付台账、扣押银行卡等")
    ART_55 = "art55", _("第55条：未开设专用账户、未存储保证金、未实行实名制")
    ART_56 = "art56", _("第56条：未提供工资支付表、未设置维权信息告示牌")
    ART_57 = "art57", _("第57条：未按约定拨付人工费用")


class Fine(AuditedModel):
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="fines")
    article = models.CharField(_("法律依据"), max_length=10, choices=FineArticle.choices)
    amount = models.DecimalField(_("罚款金额（元）"), max_digits=12, decimal_places=2)
    decided_on = models.DateField(_("处罚决定日期"))

    scope_paths: ClassVar[ScopePaths] = ScopePaths(
        county="inspection__county", department="inspection__department"
    )

    class Meta:
        verbose_name = _("罚款")
        verbose_name_plural = _("罚款")
        constraints = [
            models.CheckConstraint(name="fine_amount_positive", condition=models.Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.get_article_display()} {self.amount}"

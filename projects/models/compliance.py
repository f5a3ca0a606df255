"""The "5+3" checklist of a project, its monthly wage records, and the early warnings."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears import config
from arrears.audit import AuditedModel
from arrears.scoping import ScopePaths

# The five core systems and the three supporting ones, as the speech lists them: every item
# the code knows (its label, and for some its facts and warnings). Which of them are checked,
# and which count as core, is configuration (compliance.items / compliance.core_items, in
# projects/settings.py) read through checked_items() and core_items(); these lists are the
# defaults. A new item needs code: its entry here and whatever facts it records.
CHECKLIST = [
    ("real_name", _("农民工实名制管理")),
    ("wage_account", _("人工费用分账管理（农民工工资专用账户）")),
    ("bank_payment", _("工资银行代发")),
    ("deposit", _("工资保证金或银行保函")),
    ("monitoring", _("接入工资支付监控信息系统")),
    ("contracts", _("劳动合同")),
    ("notice_board", _("维权信息公示牌")),
    ("injury_insurance", _("工伤保险")),
]
CORE_ITEMS = ["real_name", "wage_account", "bank_payment", "deposit", "monitoring"]
# 两金一牌: the wage deposit, work-injury insurance and the notice board.
TWO_FUNDS_ONE_BOARD = ["deposit", "injury_insurance", "notice_board"]


def checked_items() -> list[tuple[str, Any]]:
    """The items checked on projects (`compliance.items`) with their labels, in the
    checklist's order: what the project page, the inspection form, the API and coverage show.
    An item taken out keeps the rows recorded for it, neither shown nor counted."""
    enabled = set(config.get_list("compliance.items"))
    return [(code, label) for code, label in CHECKLIST if code in enabled]


def core_items() -> list[str]:
    """The items all of which make a project count as covered (`compliance.core_items`);
    only checked items count (the settings' check keeps them so when a value is set)."""
    enabled = set(config.get_list("compliance.items"))
    return [code for code in config.get_list("compliance.core_items") if code in enabled]


class ItemState(models.TextChoices):
    UNKNOWN = "unknown", _("未核查")
    COMPLIANT = "compliant", _("落实")
    NOT_COMPLIANT = "not_compliant", _("未落实")
    NOT_APPLICABLE = "not_applicable", _("不适用")


class ChecklistItem(AuditedModel):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="checklist"
    )
    item = models.CharField(_("制度"), max_length=20, choices=CHECKLIST)
    state = models.CharField(
        _("落实情况"), max_length=15, choices=ItemState.choices, default=ItemState.UNKNOWN
    )
    verified_on = models.DateField(_("核查日期"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核查人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    evidence = models.TextField(_("核查依据"), blank=True)
    # The item's own facts. The deposit's amount and expiry are columns because the warning
    # rules query them; the rest (bank, masked account number, issuer, form…) is free-form.
    amount = models.DecimalField(
        _("金额（元）"), max_digits=15, decimal_places=2, null=True, blank=True
    )
    expires_on = models.DateField(_("到期日期"), null=True, blank=True)
    facts = models.JSONField(_("要素"), default=dict, blank=True)

    class Meta:
        verbose_name = _("“5+3”制度落实情况")
        verbose_name_plural = _("“5+3”制度落实情况")
        ordering = ["project", "item"]
        constraints = [
            models.UniqueConstraint(fields=["project", "item"], name="checklist_one_per_item"),
        ]
        indexes = [
            # Coverage per county: WHERE item = ? AND state = 'compliant' joined to projects.
            models.Index(fields=["item", "state"], name="checklist_item_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.item} {self.state}"


class MonthlyWageRecord(AuditedModel):
    """One month of a project's wage payments, as entered, imported from the bank or pushed."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="wage_records"
    )
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    labour_cost_paid_in = models.DecimalField(
        _("拨付人工费用（元）"), max_digits=15, decimal_places=2, default=0
    )
    workers_on_roll = models.PositiveIntegerField(_("考勤人数"), default=0)
    workers_paid = models.PositiveIntegerField(_("发放人数"), default=0)
    amount_paid = models.DecimalField(
        _("银行代发金额（元）"), max_digits=15, decimal_places=2, default=0
    )
    source = models.CharField(_("来源"), max_length=20, default="entered")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("月度工资支付记录")
        verbose_name_plural = _("月度工资支付记录")
        ordering = ["project", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="wagerecord_one_per_month"),
            models.CheckConstraint(
                name="wagerecord_month_is_first_day", condition=models.Q(month__day=1)
            ),
            models.CheckConstraint(
                name="wagerecord_amounts_not_negative",
                condition=models.Q(labour_cost_paid_in__gte=0, amount_paid__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.month:%Y-%m}"


class WarningRule(models.TextChoices):
    # The number of months is configuration (warnings.no_wages_months, two by default); the
    # stored code keeps its historical name.
    NO_WAGES_TWO_MONTHS = "no_wages_2m", _("连续多月未发放工资")
    LABOUR_COST_NOT_PAID_IN = "labour_cost", _("人工费用未按约定拨付")
    FEWER_PAID_THAN_ROLL = "fewer_paid", _("发放人数少于考勤人数")
    BELOW_MINIMUM_WAGE = "below_minimum", _("人均发放低于最低工资标准")
    DEPOSIT_EXPIRING = "deposit_expiring", _("保证金或保函即将到期或已到期")


class WarningLevel(models.TextChoices):
    RED = "red", _("红色")
    YELLOW = "yellow", _("黄色")


class WarningState(models.TextChoices):
    OPEN = "open", _("待处置")
    RESOLVED = "resolved", _("已处置")


class Warning(AuditedModel):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="warnings"
    )
    rule = models.CharField(_("预警规则"), max_length=20, choices=WarningRule.choices)
    level = models.CharField(_("预警等级"), max_length=10, choices=WarningLevel.choices)
    county = models.ForeignKey("arrears.County", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "arrears.Department",
        verbose_name=_("责任部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=WarningState.choices, default=WarningState.OPEN
    )
    detail = models.CharField(_("情况"), max_length=300)
    opened_at = models.DateTimeField(_("预警时间"), default=timezone.now)
    resolved_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    disposition = models.CharField(_("处置方式"), max_length=20, blank=True)
    note = models.TextField(_("处置说明"), blank=True)
    # The case a warning was turned into (disposition "case"), in the complaints app.
    case = models.ForeignKey(
        "complaints.Case",
        verbose_name=_("转办案件"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="warnings",
    )

    scope_paths: ClassVar[ScopePaths] = ScopePaths(county="county", department="department")

    class Meta:
        verbose_name = _("欠薪预警")
        verbose_name_plural = _("欠薪预警")
        ordering = ["-opened_at"]
        constraints = [
            # One open warning per rule and project: re-evaluating never duplicates.
            models.UniqueConstraint(
                fields=["project", "rule"],
                condition=models.Q(state="open"),
                name="warning_one_open_per_rule",
            ),
            # Only a warning turned into a case links one. (The converse — every such warning
            # has a case — is the service's rule: warnings disposed before the link existed
            # have none.)
            models.CheckConstraint(
                name="warning_case_only_when_turned_into_case",
                condition=models.Q(case__isnull=True) | models.Q(disposition="case"),
            ),
        ]
        indexes = [
            # The warning queue of a department: WHERE department_id = ? AND state = 'open'.
            models.Index(fields=["department", "state", "-opened_at"], name="warning_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.rule} {self.level}"

"""The registries: employers (with the key-supervision and dishonest-employer lists) and
construction projects with their parties."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel
from arrears.fields import PhoneField
from arrears.identifiers import validate_credit_code
from arrears.scoping import ScopePaths


class ProjectStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未开工")
    IN_CONSTRUCTION = "in_construction", _("在建")
    COMPLETED = "completed", _("已完工")
    SUSPENDED = "suspended", _("停工")


class InvestmentType(models.TextChoices):
    GOVERNMENT = "government", _("政府投资")
    STATE_OWNED = "state_owned", _("国有企业投资")
    PRIVATE = "private", _("社会投资")


class PartyRole(models.TextChoices):
    BUILDER = "builder", _("建设单位")
    GENERAL_CONTRACTOR = "general_contractor", _("施工总承包单位")
    SUBCONTRACTOR = "subcontractor", _("专业分包单位")
    LABOUR_SUBCONTRACTOR = "labour_subcontractor", _("劳务分包单位")


class ListKind(models.TextChoices):
    KEY_SUPERVISION = "key_supervision", _("重点监管名单")
    DISHONEST = "dishonest", _("拖欠农民工工资失信联合惩戒对象名单")


class Employer(AuditedModel):
    name = models.CharField(_("单位名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    contact = models.CharField(_("联系人"), max_length=50, blank=True)
    phone = PhoneField(_("联系电话"), blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("用人单位")
        verbose_name_plural = _("用人单位")
        ordering = ["name"]
        indexes = [
            # Matching a complaint's employer by name: WHERE name = ?.
            models.Index(fields=["name"], name="employer_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class EmployerListing(AuditedModel):
    """An employer's place on a list, with its reason and dates; removal is recorded, never a
    deletion (the history is what the lists are for)."""

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="listings")
    kind = models.CharField(_("名单"), max_length=20, choices=ListKind.choices)
    reason = models.CharField(_("列入事由"), max_length=300)
    listed_on = models.DateField(_("列入日期"))
    expires_on = models.DateField(_("期满日期"), null=True, blank=True)
    removed_on = models.DateField(_("移出日期"), null=True, blank=True)
    removal_reason = models.CharField(_("移出事由"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("名单记录")
        verbose_name_plural = _("名单记录")
        ordering = ["-listed_on"]
        constraints = [
            # One current listing per employer and list.
            models.UniqueConstraint(
                fields=["employer", "kind"],
                condition=models.Q(removed_on__isnull=True),
                name="listing_one_current_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employer} {self.get_kind_display()}"

    @property
    def is_current(self) -> bool:
        """On the list today: not removed and not past its end date (the daily task records
        the removal of an expired listing; until then it is already not current). The same
        rule as a query: projects.selectors._current_listing."""
        return self.removed_on is None and (
            self.expires_on is None or self.expires_on >= timezone.localdate()
        )


class RemovalState(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("准予提前移出")
    REFUSED = "refused", _("不予提前移出")


class ListingRemovalRequest(AuditedModel):
    """A request to take an employer off the dishonest-employer list before its term ends
    (人社部令45号: the arrears paid and the configured months since listing), made by the
    employer or recorded by an officer on its behalf, and the city office's decision."""

    listing = models.ForeignKey(
        EmployerListing, on_delete=models.PROTECT, related_name="removal_requests"
    )
    applicant = models.CharField(_("申请人"), max_length=100)
    statement = models.CharField(_("申请理由"), max_length=500)
    requested_on = models.DateField(_("申请日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("审核结果"), max_length=10, choices=RemovalState.choices, default=RemovalState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_on = models.DateField(_("审核日期"), null=True, blank=True)
    decision_reason = models.CharField(_("审核意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("提前移出失信名单申请")
        verbose_name_plural = _("提前移出失信名单申请")
        ordering = ["-requested_on", "-pk"]
        constraints = [
            # One request under review per listing: a second waits for the first's decision.
            models.UniqueConstraint(
                fields=["listing"],
                condition=models.Q(state="pending"),
                name="removalrequest_one_pending",
            ),
            models.CheckConstraint(
                name="removalrequest_decided_has_decider",
                condition=models.Q(state="pending")
                | models.Q(decided_by__isnull=False, decided_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.listing} {self.get_state_display()}"


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
    # The supervising department (by industry, in the project's county): warnings and
    # rectification orders go there, and department staff see their projects.
    department = models.ForeignKey(
        "arrears.Department",
        verbose_name=_("行业主管部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    address = models.CharField(_("项目地址"), max_length=300, blank=True)
    investment_type = models.CharField(
        _("投资类型"), max_length=20, choices=InvestmentType.choices, default=InvestmentType.PRIVATE
    )
    contract_value = models.DecimalField(
        _("合同价款（元）"), max_digits=15, decimal_places=2, null=True, blank=True
    )
    labour_cost_share = models.DecimalField(
        _("人工费用占比（%）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    start_date = models.DateField(_("开工日期"), null=True, blank=True)
    planned_completion = models.DateField(_("计划竣工日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=ProjectStatus.choices,
        default=ProjectStatus.IN_CONSTRUCTION,
    )
    employers = models.ManyToManyField(
        Employer, through="ProjectParty", blank=True, related_name="projects"
    )

    scope_paths: ClassVar[ScopePaths] = ScopePaths(county="county", department="department")

    class Meta:
        verbose_name = _("工程项目")
        verbose_name_plural = _("工程项目")
        ordering = ["county", "name"]
        constraints = [
            models.CheckConstraint(
                name="project_share_is_a_percentage",
                condition=models.Q(labour_cost_share__isnull=True)
                | models.Q(labour_cost_share__gte=0, labour_cost_share__lte=100),
            ),
            models.CheckConstraint(
                name="project_value_not_negative",
                condition=models.Q(contract_value__isnull=True) | models.Q(contract_value__gte=0),
            ),
        ]
        indexes = [
            # Intake matches a typed project name within a county: WHERE name = ? (AND county).
            models.Index(fields=["name", "county"], name="project_name_county_idx"),
            # Coverage and warnings run over projects in construction per county.
            models.Index(fields=["status", "county"], name="project_status_county_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/projects/{self.pk}/"


class ProjectParty(AuditedModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="parties")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(_("角色"), max_length=25, choices=PartyRole.choices)

    class Meta:
        verbose_name = _("参建单位")
        verbose_name_plural = _("参建单位")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "employer", "role"], name="projectparty_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.get_role_display()} {self.employer}"

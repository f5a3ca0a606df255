"""Cases: the unit of handling. A case groups the complaints against one employer or project
in one handling unit (many workers of one site are one case) and carries the work until the
wages are paid: acceptance, triage, investigation, payments, closure, feedback."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel, AuditedQuerySet
from arrears.scoping import ScopePaths, for_user
from complaints.models.complaint import EvidenceFile

if TYPE_CHECKING:
    from arrears.deadlines import DeadlineBrief
    from arrears.models import User


class CaseState(models.TextChoices):
    PENDING = "pending", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    FILED = "filed", _("立案调查")
    CLOSED = "closed", _("已结案")
    REFUSED = "refused", _("不予受理")


# The states of a case still being handled: the one definition behind Case.is_open,
# Case.objects.open(), the partial index of open cases and every report.
OPEN_STATES = (CaseState.PENDING, CaseState.ACCEPTED, CaseState.FILED)


class CaseQuerySet(AuditedQuerySet["Case"]):
    def open(self) -> CaseQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def visible_to(self, user: User | Any) -> CaseQuerySet:
        """The cases a user may open: those in their scope (arrears.scoping.for_user), and a
        major case for its leader (包案领导) and its task team wherever they sit. Lists of a
        unit's work use for_user alone; a case's page, actions and API detail use this."""
        in_scope = for_user(Case.objects.all(), user).values("pk")
        return self.filter(
            models.Q(pk__in=in_scope) | models.Q(leader=user) | models.Q(team=user)
        ).distinct()


class TriageClass(models.TextChoices):
    SIMPLE = "simple", _("简单案件（马上办）")
    ORDINARY = "ordinary", _("普通案件（提速办）")
    MAJOR = "major", _("重大案件（包案办）")


class Outcome(models.TextChoices):
    PAID_IN_FULL = "paid_in_full", _("全额支付")
    PARTLY_PAID = "partly_paid", _("部分支付")
    MEDIATED = "mediated", _("调解达成协议")
    ARBITRATION = "arbitration", _("转劳动仲裁")
    ORDER = "order", _("责令支付/行政处理决定")
    FINED = "fined", _("行政处罚")
    POLICE = "police", _("移送公安机关")
    NOT_SUBSTANTIATED = "not_substantiated", _("查无实据")
    WITHDRAWN = "withdrawn", _("投诉人撤回")
    OUTSIDE_JURISDICTION = "outside_jurisdiction", _("不属本部门管辖")


class Case(AuditedModel):
    objects: ClassVar[Any] = models.Manager.from_queryset(CaseQuerySet)()

    number = models.CharField(_("案件编号"), max_length=20, unique=True, null=True, blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=CaseState.choices, default=CaseState.PENDING
    )
    county = models.ForeignKey(
        "arrears.County", verbose_name=_("县（区）"), on_delete=models.PROTECT, related_name="cases"
    )
    department = models.ForeignKey(
        "arrears.Department",
        verbose_name=_("承办单位"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        on_delete=models.PROTECT,
        related_name="owned_cases",
    )
    employer_name = models.CharField(_("被投诉单位"), max_length=200)
    employer_credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("项目"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    project_name = models.CharField(_("项目名称"), max_length=200, blank=True)
    # The channel and industry of the complaint that opened the case, kept on the case so the
    # dashboards break cases down by them with plain aggregates instead of joins.
    channel = models.CharField(_("渠道"), max_length=20, blank=True)
    industry = models.ForeignKey(
        "arrears.Industry",
        verbose_name=_("行业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    workers_owed = models.PositiveIntegerField(_("涉及人数"))
    amount_owed = models.DecimalField(_("欠薪金额（元）"), max_digits=12, decimal_places=2)
    # What a revision of the amount owed (case_revise_owed, with a reason on the timeline) set
    # beyond the sum of the complaints: the owed figures are that sum plus these, so a
    # complaint joining later adds its own claim to the revised figure instead of undoing it.
    owed_adjustment = models.DecimalField(
        _("核定调整金额（元）"), max_digits=12, decimal_places=2, default=0
    )
    workers_adjustment = models.IntegerField(_("核定调整人数"), default=0)
    risk_of_mass_incident = models.BooleanField(_("有群体性事件风险"), default=False)

    triage_class = models.CharField(
        _("办理分类"), max_length=10, choices=TriageClass.choices, blank=True
    )
    suggested_class = models.CharField(
        _("建议分类"), max_length=10, choices=TriageClass.choices, blank=True
    )
    triage_reason = models.CharField(_("分类理由"), max_length=300, blank=True)
    # "One case, one leader, one task team, one plan" for major cases.
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("包案领导"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_cases",
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("工作专班"), blank=True, related_name="team_cases"
    )
    plan = models.TextField(_("处置方案"), blank=True)

    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    refusal_reason = models.CharField(_("不予受理理由"), max_length=300, blank=True)
    filed_on = models.DateField(_("立案日期"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    outcome = models.CharField(_("办理结果"), max_length=25, choices=Outcome.choices, blank=True)
    closure_note = models.TextField(_("结案说明"), blank=True)
    # Stored when the case closes, so averages and on-time rates are plain aggregates.
    working_days_taken = models.PositiveSmallIntegerField(
        _("办理用时（工作日）"), null=True, blank=True
    )
    closed_on_time = models.BooleanField(_("按期办结"), null=True, blank=True)
    # Whether it took no more working days than the statutory limit in force for its city when
    # it closed (case.close_days.statutory): decided then, like closed_on_time, so a later
    # change of the limit judges later closures only and the dashboards' facts can sum it.
    closed_in_limit = models.BooleanField(_("法定时限内办结"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("重新办理次数"), default=0)

    recovered_amount = models.DecimalField(
        _("追回工资（元）"), max_digits=12, decimal_places=2, default=0
    )
    workers_paid = models.PositiveIntegerField(_("已支付人数"), default=0)
    criminal_flag = models.BooleanField(_("达到拒不支付劳动报酬罪数额标准"), default=False)
    satisfaction = models.PositiveSmallIntegerField(_("满意度（1-5）"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    scope_paths: ClassVar[ScopePaths] = ScopePaths(county="county", department="department")

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="case_amounts_not_negative",
                condition=models.Q(amount_owed__gte=0, recovered_amount__gte=0),
            ),
            # Wages recovered never exceed what is owed: a larger payment needs the amount
            # owed revised first (case_revise_owed). Also checked under the case's row lock
            # in case_record_payment, for a message; this is the guarantee for every writer.
            models.CheckConstraint(
                name="case_recovered_within_owed",
                condition=models.Q(recovered_amount__lte=models.F("amount_owed")),
            ),
            models.CheckConstraint(
                name="case_workers_paid_within_owed",
                condition=models.Q(workers_paid__lte=models.F("workers_owed")),
            ),
            models.CheckConstraint(
                name="case_satisfaction_range",
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
            ),
            models.CheckConstraint(
                name="case_closed_has_outcome",
                condition=~models.Q(state="closed") | ~models.Q(outcome=""),
            ),
        ]
        indexes = [
            # Worklists: WHERE owner_id = ? AND state IN (open states).
            models.Index(fields=["owner", "state"], name="case_owner_state_idx"),
            # County and unit views: WHERE county_id = ? (AND department_id = ?) AND state = ?.
            models.Index(fields=["county", "department", "state"], name="case_unit_state_idx"),
            # Grouping a signed complaint into an open case of the same employer.
            models.Index(fields=["department", "employer_name"], name="case_employer_idx"),
            # Dashboards: open and overdue cases now, per county or department (a few percent
            # of all cases: the partial index spares the roll-up a scan of the table).
            models.Index(
                fields=["county", "department"],
                name="case_open_idx",
                condition=models.Q(state__in=list(OPEN_STATES)),
            ),
            # Dashboards: cases accepted / closed in a period, rolled up per county.
            models.Index(
                fields=["accepted_at", "county"],
                name="case_accepted_idx",
                condition=models.Q(accepted_at__isnull=False),
            ),
            models.Index(
                fields=["closed_at", "county"],
                name="case_closed_idx",
                condition=models.Q(state="closed"),
            ),
            # The worklist's search (complaints.cases.selectors.case_search: employer, number or
            # project contains the text) is served on PostgreSQL by the trigram indexes
            # case_employer_trgm_idx, case_number_trgm_idx, case_project_trgm_idx (migration
            # complaints 0017; SQLite has no GIN, so they are not declared here).
        ]

    def __str__(self) -> str:
        return _case_label(self.number, self.employer_name)

    def get_absolute_url(self) -> str:
        return _case_url(self.pk)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def notification_urgent(self) -> bool:
        """A major case's reminders and escalations are e-mailed at once, never held for the
        daily digest (arrears.deadlines)."""
        return _urgent_class(self.triage_class)

    @classmethod
    def deadline_briefs(cls, pks: Iterable[int]) -> dict[int, DeadlineBrief]:
        """What the deadline sweep's messages say of these cases, from four columns rather
        than whole instances (the sweep's 10,000 due clocks, docs/performance.md): the same
        label, link and urgency as above, and a major case's leader hears of escalations
        from level 2 on."""
        from arrears.deadlines import DeadlineBrief

        rows = cls._base_manager.filter(pk__in=list(pks)).values_list(
            "pk", "number", "employer_name", "triage_class", "leader_id"
        )
        return {
            pk: DeadlineBrief(
                text=_case_label(number, employer),
                url=_case_url(pk),
                urgent=_urgent_class(triage),
                escalate_to=(leader,) if leader else (),
            )
            for pk, number, employer, triage, leader in rows
        }


def _case_label(number: str | None, employer_name: str) -> str:
    return f"{number or '—'} {employer_name}"


def _case_url(pk: int | None) -> str:
    return f"/cases/{pk}/"


def _urgent_class(triage_class: str) -> bool:
    return triage_class == TriageClass.MAJOR


class EntryKind(models.TextChoices):
    ACCEPT = "accept", _("受理")
    REFUSE = "refuse", _("不予受理")
    TRIAGE = "triage", _("分类")
    FILE = "file", _("立案")
    CALL = "call", _("电话联系")
    VISIT = "visit", _("现场检查")
    INTERVIEW = "interview", _("约谈")
    ORDER = "order", _("责令支付")
    MEDIATION = "mediation", _("调解协议")
    PAYMENT = "payment", _("工资支付到位")
    ARBITRATION = "arbitration", _("转劳动仲裁")
    POLICE_PROPOSAL = "police_proposal", _("提请移送公安机关")
    POLICE_DECISION = "police_decision", _("移送审批")
    POLICE = "police", _("移送公安机关")
    EXTENSION_REQUEST = "extension_request", _("申请延期")
    EXTENSION_DECISION = "extension_decision", _("延期审批")
    PAUSE = "pause", _("暂停计时")
    RESUME = "resume", _("恢复计时")
    CLOSE = "close", _("结案")
    REOPEN = "reopen", _("重新办理")
    REVISE_OWED = "revise_owed", _("核定欠薪金额")
    FUND_REPAID = "fund_repaid", _("归还应急周转金")
    FEEDBACK = "feedback", _("回访")
    NOTE = "note", _("备注")


# Entries an officer records by hand on the timeline (the others come with an action).
RECORDABLE = [
    EntryKind.CALL,
    EntryKind.VISIT,
    EntryKind.INTERVIEW,
    EntryKind.ORDER,
    EntryKind.MEDIATION,
    EntryKind.NOTE,
]


class CaseEntry(AuditedModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("类型"), max_length=20, choices=EntryKind.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("内容"), blank=True)
    due_date = models.DateField(_("限期"), null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    scope_paths: ClassVar[ScopePaths] = ScopePaths(
        county="case__county", department="case__department"
    )

    class Meta:
        verbose_name = _("办案记录")
        verbose_name_plural = _("办案记录")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case", "at"], name="caseentry_timeline_idx"),
            # Dashboards: referrals to arbitration and to the police in a period.
            models.Index(
                fields=["at"],
                name="caseentry_referral_idx",
                condition=models.Q(kind__in=["arbitration", "police"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


def _entry_evidence_path(instance: CaseAttachment, filename: str) -> str:
    return f"case-evidence/{instance.entry.at:%Y/%m}/{instance.sha256}"


class CaseAttachment(EvidenceFile):
    """Evidence on a timeline entry (site photos, the order to pay, a mediation agreement)."""

    entry = models.ForeignKey(CaseEntry, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=_entry_evidence_path, max_length=200)

    class Meta:
        verbose_name = _("办案证据")
        verbose_name_plural = _("办案证据")


class Payer(models.TextChoices):
    """Who paid the workers: the employer itself, or someone who answers for it — the general
    contractor (总包单位先行清偿), the construction unit advancing the money (建设单位垫付), or
    the government's emergency wage fund (应急周转金), which the employer then owes back."""

    EMPLOYER = "employer", _("用人单位")
    GENERAL_CONTRACTOR = "general_contractor", _("施工总承包单位")
    CONSTRUCTION_UNIT = "construction_unit", _("建设单位垫付")
    EMERGENCY_FUND = "emergency_fund", _("应急周转金垫付")


class CasePayment(AuditedModel):
    """Wages recovered, in installments."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="payments")
    entry = models.OneToOneField(CaseEntry, on_delete=models.PROTECT, related_name="payment")
    paid_on = models.DateField(_("支付日期"))
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    workers_paid = models.PositiveIntegerField(_("支付人数"))
    # A database default too: bulk writers (seeders, imports by SQL) that name no payer.
    payer = models.CharField(
        _("支付方"),
        max_length=20,
        choices=Payer.choices,
        default=Payer.EMPLOYER,
        db_default=Payer.EMPLOYER,
    )
    # An advance from the emergency fund is owed back to it (its clock: "fund.repayment").
    fund_repaid = models.DecimalField(
        _("已归还周转金（元）"), max_digits=12, decimal_places=2, default=0, db_default=0
    )
    fund_repaid_on = models.DateField(_("周转金归还日期"), null=True, blank=True)

    scope_paths: ClassVar[ScopePaths] = ScopePaths(
        county="case__county", department="case__department"
    )

    class Meta:
        verbose_name = _("追回工资")
        verbose_name_plural = _("追回工资")
        ordering = ["paid_on", "id"]
        # Dashboards: wages recovered in a period.
        indexes = [models.Index(fields=["paid_on"], name="casepayment_paid_idx")]
        constraints = [
            models.CheckConstraint(
                name="casepayment_amount_positive", condition=models.Q(amount__gt=0)
            ),
            # Only the fund is repaid, never beyond what it advanced.
            models.CheckConstraint(
                name="casepayment_fund_repaid_within_advance",
                condition=models.Q(fund_repaid__gte=0, fund_repaid__lte=models.F("amount"))
                & (models.Q(payer="emergency_fund") | models.Q(fund_repaid=0)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.amount}"

    def get_absolute_url(self) -> str:
        # The repayment clock's reminders and escalations lead to the case.
        return f"/cases/{self.case_id}/"

    @property
    def fund_outstanding(self) -> Any:
        """What the employer still owes the emergency fund for this advance."""
        return self.amount - self.fund_repaid if self.payer == Payer.EMERGENCY_FUND else 0


class ExtensionState(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")


class ExtensionRequest(AuditedModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    working_days = models.PositiveSmallIntegerField(_("延长工作日数"))
    reason = models.CharField(_("理由"), max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        max_length=10, choices=ExtensionState.choices, default=ExtensionState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        constraints = [
            # An extension is granted once: at most one request that is pending or approved.
            models.UniqueConstraint(
                fields=["case"],
                condition=~models.Q(state="refused"),
                name="extension_once_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} +{self.working_days}"

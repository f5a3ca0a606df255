from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel
from arrears.fields import BlindIndexField, PhoneField, ResidentIdField
from arrears.identifiers import validate_credit_code
from arrears.models import City, County
from arrears.scoping import ScopePaths

MAX_AMOUNT = Decimal("999999999.99")  # under ¥1bn: anything larger is a typing error


class Channel(models.TextChoices):
    CLUE_PLATFORM = "clue_platform", _("全国根治欠薪线索反映平台")
    HOTLINE_12345 = "hotline_12345", _("12345政务服务热线")
    WEB_FORM = "web_form", _("小程序/网页投诉")
    DUTY_PHONE = "duty_phone", _("24小时值班电话")
    SERVICE_WINDOW = "service_window", _("一站式维权专窗")
    WALK_IN = "walk_in", _("来访")
    LETTERS_VISITS = "letters_visits", _("信访")
    INSPECTION = "inspection", _("检查发现")


class ComplaintStatus(models.TextChoices):
    """Intake's steps, then the steps of the complaint's case: once a case holds the complaint
    its status follows the case (`complaints.cases.services.complaints_follow`), so the
    tracking page, the API and the callbacks never say 已签收 about a closed case."""

    PENDING_DISPATCH = "pending_dispatch", _("待分派")
    PENDING_SIGNATURE = "pending_signature", _("待签收")
    SIGNED = "signed", _("已签收")
    MERGED = "merged", _("已合并")
    ACCEPTED = "accepted", _("已受理")
    FILED = "filed", _("立案调查")
    CLOSED = "closed", _("已办结")
    REFUSED = "refused", _("不予受理")


# A case's state → the status of the complaints it holds (the one mapping).
STATUS_FOR_CASE_STATE = {
    "pending": ComplaintStatus.SIGNED,
    "accepted": ComplaintStatus.ACCEPTED,
    "filed": ComplaintStatus.FILED,
    "closed": ComplaintStatus.CLOSED,
    "refused": ComplaintStatus.REFUSED,
}


class Complaint(AuditedModel):
    tracking_no = models.CharField(_("查询码"), max_length=12, unique=True)
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    # A referral's reference in the sending system; unique per client (see constraints).
    client = models.ForeignKey(
        "complaints.IntegrationClient",
        verbose_name=_("来源系统"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    external_id = models.CharField(_("来源编号"), max_length=200, null=True, blank=True)  # noqa: DJ001
    payload_hash = models.CharField(max_length=64, blank=True)
    # The referring system's work-order type (one of its client's types), whose clocks run on
    # the complaint (complaints.integration.work_orders); empty for other channels.
    work_order_type = models.CharField(_("工单类型"), max_length=30, blank=True)
    received_at = models.DateTimeField(_("收到时间"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("首问受理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    complainant_name = models.CharField(_("投诉人姓名"), max_length=50)
    complainant_phone = PhoneField(_("联系电话"))
    complainant_id_number = ResidentIdField(_("身份证号码"), blank=True)
    # The two numbers are encrypted (arrears.fields): these keyed indexes are what exact search,
    # duplicate detection and the public tracking check compare instead.
    complainant_phone_index = BlindIndexField(sources=["complainant_phone"], kind="phone")
    complainant_id_index = BlindIndexField(sources=["complainant_id_number"], kind="resident_id")
    # Tracking number + the phone's last four digits in one keyed hash: a per-row value, so the
    # 10,000 possible endings cannot be tried against the table without the key.
    tracking_check = BlindIndexField(sources=["tracking_no", "complainant_phone"], kind="last4")
    complainant_address = models.CharField(_("投诉人住址"), max_length=200, blank=True)

    employer_name = models.CharField(_("被投诉单位"), max_length=200)
    employer_credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    employer_address = models.CharField(_("单位地址"), max_length=200, blank=True)
    employer_contact = models.CharField(_("单位联系人"), max_length=50, blank=True)
    employer_phone = PhoneField(_("单位联系电话"), blank=True)

    # The registered employer, when the credit code (or an unambiguous name) matches.
    employer = models.ForeignKey(
        "projects.Employer",
        verbose_name=_("登记单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("登记项目"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    project_name = models.CharField(_("项目名称"), max_length=200, blank=True)
    project_address = models.CharField(_("项目地点"), max_length=300, blank=True)

    # The city whose office dispatches it, known before the county is (a referral naming only
    # its city waits in that city's queue); empty only in the province office's queue.
    city = models.ForeignKey(
        "arrears.City",
        verbose_name=_("地级市"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    county = models.ForeignKey(
        "arrears.County",
        verbose_name=_("属地县（区）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    industry = models.ForeignKey(
        "arrears.Industry",
        verbose_name=_("行业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    # The unit that must handle it now; the first one stays responsible until someone signs.
    department = models.ForeignKey(
        "arrears.Department",
        verbose_name=_("承办单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    # First responsibility (首问负责): the first unit it was routed to answers for it until a
    # unit signs; then the signing unit does.
    responsible_department = models.ForeignKey(
        "arrears.Department",
        verbose_name=_("责任单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    workers_owed = models.PositiveIntegerField(_("涉及人数"))
    amount_owed = models.DecimalField(_("欠薪金额（元）"), max_digits=12, decimal_places=2)
    period_start = models.DateField(_("欠薪起始日期"), null=True, blank=True)
    period_end = models.DateField(_("欠薪截止日期"), null=True, blank=True)
    facts = models.TextField(_("事实与理由"))
    request = models.TextField(_("诉求"), blank=True)

    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.PENDING_DISPATCH,
    )
    routed_at = models.DateTimeField(_("分派时间"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签收人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    case = models.ForeignKey(
        "complaints.Case",
        verbose_name=_("案件"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_complaints",
    )
    # The public form's one-time token (a hidden field): a second submit of the same form (a
    # double click, a refresh, a retry on a bad connection) finds this row instead of filing
    # the complaint again; the unique constraint settles two submits arriving at once.
    form_token = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)

    scope_paths: ClassVar[ScopePaths] = ScopePaths(
        county="county", department="department", city="city"
    )

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        ordering = ["-received_at", "-id"]
        permissions = [("reveal_personal_data", _("查看完整身份证号和电话号码"))]
        constraints = [
            # Idempotency of referrals: one complaint per (client, reference), enforced by the
            # database so that concurrent duplicates create exactly one.
            models.UniqueConstraint(
                fields=["client", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="complaint_unique_client_reference",
            ),
            models.UniqueConstraint(
                fields=["form_token"],
                condition=models.Q(form_token__isnull=False),
                name="complaint_unique_form_token",
            ),
            models.CheckConstraint(
                name="complaint_workers_at_least_one", condition=models.Q(workers_owed__gte=1)
            ),
            models.CheckConstraint(
                name="complaint_amount_in_range",
                condition=models.Q(amount_owed__gte=0, amount_owed__lte=MAX_AMOUNT),
            ),
            models.CheckConstraint(
                name="complaint_period_ordered",
                condition=models.Q(period_start__isnull=True)
                | models.Q(period_end__isnull=True)
                | models.Q(period_end__gte=models.F("period_start")),
            ),
        ]
        indexes = [
            # Intake inboxes: WHERE status = ? AND county_id = ? (AND department_id = ?).
            models.Index(fields=["status", "county", "department"], name="complaint_inbox_idx"),
            # Dashboards: complaints received in a period, rolled up per county.
            models.Index(fields=["received_at", "county"], name="complaint_received_idx"),
            # Duplicate detection looks up open complaints by each of these.
            models.Index(
                fields=["employer_credit_code"],
                name="complaint_credit_code_idx",
                condition=~models.Q(employer_credit_code=""),
            ),
            # With the time received: each arm of the duplicate lookup's OR reads only the
            # window's matches (complaints.intake.duplicates); without it, the planner ANDed
            # the bitmap of every complaint received in the window (10 ms a referral at 1M).
            # Their first column serves the exact employer filter and the phone lookups.
            models.Index(
                fields=["employer_name", "received_at"], name="complaint_dup_employer_idx"
            ),
            models.Index(
                fields=["complainant_phone_index", "received_at"], name="complaint_dup_phone_idx"
            ),
            # Staff search by ID number: WHERE complainant_id_index = ? (most complaints give none).
            models.Index(
                fields=["complainant_id_index"],
                name="complaint_id_number_bidx",
                condition=~models.Q(complainant_id_index=""),
            ),
            models.Index(
                fields=["project"],
                name="complaint_project_idx",
                condition=models.Q(project__isnull=False),
            ),
            # A unit's list, newest first (/api/v1/complaints/ as an inspector or a unit head):
            # WHERE department_id = ? ORDER BY id DESC, the cursor pagination's order. Without
            # it the primary key is read backwards past every other unit's complaints. The
            # extended statistics complaint_unit_county_stats (migration 0017) let the planner
            # see that the scope's county adds nothing to its department.
            models.Index(fields=["department", "-id"], name="complaint_unit_recent_idx"),
            # The dispatch queue and the intake inboxes, newest first (their default order):
            # WHERE status = ? ORDER BY received_at DESC, id DESC LIMIT 51, read in order
            # instead of sorting the whole queue for each page. Partial: only the complaints
            # waiting in a queue, a few percent of all.
            models.Index(
                fields=["-received_at", "-id"],
                name="complaint_queue_recent_idx",
                condition=models.Q(
                    status__in=[ComplaintStatus.PENDING_DISPATCH, ComplaintStatus.PENDING_SIGNATURE]
                ),
            ),
            # Substring search on the employer (?employer=, icontains) is served on PostgreSQL
            # by the trigram index complaint_employer_trgm_idx (migration 0017: not declared
            # here, SQLite has no GIN).
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A complaint with a county is in that county's city, whatever set the county (routing,
        # dispatch, an edit in the admin): the city decides which office sees it.
        fields = kwargs.get("update_fields")
        if self.county_id is not None and (fields is None or "county" in fields):
            self.city_id = County.objects.values_list("city_id", flat=True).get(pk=self.county_id)
            if fields is not None and "city" not in fields:
                kwargs["update_fields"] = [*fields, "city"]
        elif self.county_id is None and self.city_id is None and fields is None:
            # Placed nowhere: in a deployment of one city, that city's office dispatches it;
            # with several, it waits in the province office's queue (city empty).
            cities = list(City.objects.values_list("pk", flat=True)[:2])
            if len(cities) == 1:
                self.city_id = cities[0]
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.tracking_no} {self.employer_name}"


class EventKind(models.TextChoices):
    RECEIVED = "received", _("收到投诉")
    ROUTED = "routed", _("分派至承办单位")
    DISPATCH = "dispatch", _("转市根治欠薪办分派")
    SIGNED = "signed", _("签收")
    RETURNED = "returned", _("退回")
    DUPLICATE_FLAGGED = "duplicate_flagged", _("疑似重复")
    DUPLICATE_DISMISSED = "duplicate_dismissed", _("排除重复")
    MERGED = "merged", _("合并办理")
    REVEALED = "revealed", _("查看个人信息")
    CASE_PROGRESS = "case_progress", _("案件进展")
    SMS = "sms", _("短信告知投诉人")
    RATED = "rated", _("投诉人评价")


class ComplaintEvent(AuditedModel):
    """The complaint's timeline. Public events (with public_text) are what the complainant and
    the referring system see; the rest is internal."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=30, choices=EventKind.choices)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    department = models.ForeignKey(
        "arrears.Department", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)
    public = models.BooleanField(_("对投诉人公开"), default=False)
    public_text = models.CharField(_("公开内容"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("投诉进展")
        verbose_name_plural = _("投诉进展")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at"], name="complaintevent_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}"


class EvidenceFile(models.Model):
    """What every stored evidence file records (complaint evidence, case timeline evidence);
    `complaints.intake.services.store_evidence` fills it, each kind adds its owner and path."""

    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name


def _evidence_path(instance: Attachment, filename: str) -> str:
    # Stored under a random name: the original name is kept in a column, never in the path.
    return f"evidence/{instance.complaint.received_at:%Y/%m}/{instance.sha256}"


class Attachment(EvidenceFile):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=_evidence_path, max_length=200)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("证据材料")
        verbose_name_plural = _("证据材料")


class DuplicateState(models.TextChoices):
    FLAGGED = "flagged", _("待确认")
    MERGED = "merged", _("已合并")
    DISMISSED = "dismissed", _("已排除")


class DuplicateLink(AuditedModel):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="+")
    duplicate_of = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="+")
    reasons = models.JSONField(_("相同项"), default=list)
    state = models.CharField(
        _("状态"), max_length=10, choices=DuplicateState.choices, default=DuplicateState.FLAGGED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("疑似重复")
        verbose_name_plural = _("疑似重复")
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "duplicate_of"], name="duplicatelink_unique_pair"
            ),
            models.CheckConstraint(
                name="duplicatelink_not_self",
                condition=~models.Q(complaint=models.F("duplicate_of")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} ~ {self.duplicate_of_id}"


class RoutingKeyword(AuditedModel):
    """An administrator's routing rule: an address containing `keyword` belongs to `county`
    (towns, streets, industrial parks). County names and short names match without a rule."""

    keyword = models.CharField(_("地名关键词"), max_length=50, unique=True)
    county = models.ForeignKey(
        "arrears.County",
        verbose_name=_("县（区）"),
        on_delete=models.CASCADE,
        related_name="routing_keywords",
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("属地分派规则")
        verbose_name_plural = _("属地分派规则")
        ordering = ["keyword"]

    def __str__(self) -> str:
        return f"{self.keyword} → {self.county}"


class RevealLog(models.Model):
    """Who saw a complainant's full ID or phone number, when (PIPL)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="+")
    field = models.CharField(max_length=50)
    at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.complaint_id} {self.field}"


class Satisfaction(models.IntegerChoices):
    """The 1–5 satisfaction scale of the callback (回访) and of the public rating page."""

    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    FAIRLY = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


class ComplaintRating(AuditedModel):
    """The complainant's own rating of a closed case, from the public rating page (the link in
    the closing SMS): one per complaint, enforced by the database, so two submits rate once.
    A table of its own rather than columns on the complaint: the complaint table holds
    millions of rows, and a constraint added there would be checked against all of them."""

    complaint = models.OneToOneField(
        Complaint, on_delete=models.CASCADE, related_name="rating", verbose_name=_("投诉")
    )
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), choices=Satisfaction.choices)
    rated_at = models.DateTimeField(_("评价时间"), auto_now_add=True)

    scope_paths: ClassVar[ScopePaths] = ScopePaths(
        county="complaint__county", department="complaint__department", city="complaint__city"
    )

    class Meta:
        verbose_name = _("投诉人评价")
        verbose_name_plural = _("投诉人评价")
        constraints = [
            models.CheckConstraint(
                name="complaintrating_satisfaction_range",
                condition=models.Q(satisfaction__gte=1, satisfaction__lte=5),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.satisfaction}"

"""Supervision by the task-force office beyond inspections: the 通报 (a circular criticising
units whose work is overdue, with the cases and rectification orders that motivated it) and
the 约谈 (an interview of an employer or a unit, with a deadline clock of its own)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel
from arrears.scoping import ScopePaths


class CircularState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("已印发")


class Circular(AuditedModel):
    """通报: drafted by a city's task-force office, numbered and dated when issued, immutable
    from then on (a correction is a new circular that `supersedes` it)."""

    city = models.ForeignKey(
        "arrears.City", verbose_name=_("地级市"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("标题"), max_length=200)
    # The opening and closing paragraphs of the document; the units and reasons come between.
    preamble = models.TextField(_("正文（开头）"), blank=True)
    closing = models.TextField(_("正文（结尾）"), blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=CircularState.choices, default=CircularState.DRAFT
    )
    # 文号: given at issue, "云岭欠薪办通〔2026〕3号" — the issuing city's yearly sequence.
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    sequence = models.PositiveIntegerField(_("序号"), null=True, blank=True)
    number = models.CharField(_("文号"), max_length=60, blank=True)
    issued_on = models.DateField(_("印发日期"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("拟稿时间"), auto_now_add=True)
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("更正的通报"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )

    # The office sees its city's circulars; a county or department sees those naming it
    # (projects.supervision_selectors adds: and only once issued). Through a to-many path:
    # the selectors read it with distinct().
    scope_paths: ClassVar[ScopePaths] = ScopePaths(
        county="units__county", department="units__department", city="city"
    )

    class Meta:
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        ordering = ["-issued_on", "-id"]
        constraints = [
            # The yearly sequence is the city's own: one "〔2026〕3号" per city and year.
            models.UniqueConstraint(
                fields=["city", "year", "sequence"],
                condition=models.Q(sequence__isnull=False),
                name="circular_number_per_city_year",
            ),
            models.UniqueConstraint(
                fields=["number"],
                condition=~models.Q(number=""),
                name="circular_number_unique",
            ),
            # Issued means numbered and dated; a draft has neither.
            models.CheckConstraint(
                name="circular_issued_is_numbered",
                condition=(
                    models.Q(
                        state="issued",
                        year__isnull=False,
                        sequence__isnull=False,
                        issued_on__isnull=False,
                    )
                    & ~models.Q(number="")
                )
                | models.Q(state="draft", sequence__isnull=True, number=""),
            ),
        ]
        indexes = [
            # The assessment's count per county and year reads issued circulars by date.
            models.Index(fields=["state", "issued_on"], name="circular_issued_idx"),
        ]

    def __str__(self) -> str:
        return self.number or str(_("通报（草稿）"))

    def get_absolute_url(self) -> str:
        return f"/circulars/{self.pk}/"

    @property
    def is_draft(self) -> bool:
        return self.state == CircularState.DRAFT


class CircularUnit(AuditedModel):
    """A unit a circular criticises: a county (its government), a department of it, or an
    employer working there; each with its reason."""

    circular = models.ForeignKey(Circular, on_delete=models.CASCADE, related_name="units")
    county = models.ForeignKey(
        "arrears.County", verbose_name=_("县（区）"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "arrears.Department",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    employer = models.ForeignKey(
        "projects.Employer",
        verbose_name=_("用人单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("通报事由"))
    position = models.PositiveSmallIntegerField(default=0)

    scope_paths: ClassVar[ScopePaths] = ScopePaths(county="county", department="department")

    class Meta:
        verbose_name = _("被通报单位")
        verbose_name_plural = _("被通报单位")
        ordering = ["position", "id"]
        constraints = [
            # A unit is named once per circular (NULLs distinct: written out per shape).
            models.UniqueConstraint(
                fields=["circular", "county"],
                condition=models.Q(department__isnull=True, employer__isnull=True),
                name="circularunit_county_once",
            ),
            models.UniqueConstraint(
                fields=["circular", "department"],
                condition=models.Q(department__isnull=False, employer__isnull=True),
                name="circularunit_department_once",
            ),
            models.UniqueConstraint(
                fields=["circular", "employer"],
                condition=models.Q(employer__isnull=False),
                name="circularunit_employer_once",
            ),
        ]
        indexes = [
            # circulars_received: the units naming a county (or a department) in a period.
            models.Index(fields=["county", "circular"], name="circularunit_county_idx"),
        ]

    def __str__(self) -> str:
        return str(self.employer or self.department or self.county)


class CircularItem(AuditedModel):
    """An overdue case or rectification order behind a unit's place in a circular, with what it
    was when the circular was drafted (the issued document must not change with the case)."""

    unit = models.ForeignKey(CircularUnit, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey(
        "complaints.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        "projects.RectificationOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.CharField(_("情况"), max_length=300)

    scope_paths: ClassVar[ScopePaths] = ScopePaths(
        county="unit__county", department="unit__department"
    )

    class Meta:
        verbose_name = _("通报事项")
        verbose_name_plural = _("通报事项")
        constraints = [
            models.CheckConstraint(
                name="circularitem_case_or_order",
                condition=models.Q(case__isnull=False, order__isnull=True)
                | models.Q(case__isnull=True, order__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.summary


# The deadline kind of an interview's clock (arrears.models.Deadline.kind).
INTERVIEW = "interview"


class InterviewKind(models.TextChoices):
    EMPLOYER = "employer", _("约谈用人单位")
    UNIT = "unit", _("约谈县（区）或部门")


class InterviewState(models.TextChoices):
    OPEN = "open", _("限期解决中")
    RESOLVED = "resolved", _("已解决")
    UNRESOLVED = "unresolved", _("逾期未解决")


class Interview(AuditedModel):
    """约谈: an employer (or a county or department) is told to settle within a few days
    ("责令其3日内解决"); the clock is a Deadline of kind "interview", swept and escalated like
    any other, and recording the result closes it."""

    kind = models.CharField(_("约谈对象"), max_length=10, choices=InterviewKind.choices)
    employer = models.ForeignKey(
        "projects.Employer",
        verbose_name=_("用人单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interviews",
    )
    # The unit answering for it: the interviewed unit itself, or for an employer the unit that
    # follows the matter up (the clock escalates through this county).
    county = models.ForeignKey(
        "arrears.County", verbose_name=_("县（区）"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "arrears.Department",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    held_on = models.DateField(_("约谈日期"))
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("约谈人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    attendees = models.CharField(_("被约谈人"), max_length=200, blank=True)
    matter = models.TextField(_("约谈事项"))
    working_days = models.PositiveSmallIntegerField(_("限期（工作日）"))
    warning = models.ForeignKey(
        "projects.Warning",
        verbose_name=_("预警"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interviews",
    )
    case = models.ForeignKey(
        "complaints.Case",
        verbose_name=_("案件"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("工程项目"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interviews",
    )
    state = models.CharField(
        _("状态"), max_length=12, choices=InterviewState.choices, default=InterviewState.OPEN
    )
    result = models.TextField(_("解决情况"), blank=True)
    result_on = models.DateField(_("结果登记日期"), null=True, blank=True)
    result_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    scope_paths: ClassVar[ScopePaths] = ScopePaths(county="county", department="department")

    class Meta:
        verbose_name = _("约谈")
        verbose_name_plural = _("约谈")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="interview_employer_when_employer_kind",
                condition=models.Q(kind="employer", employer__isnull=False)
                | models.Q(kind="unit", employer__isnull=True),
            ),
            models.CheckConstraint(
                name="interview_result_when_closed",
                condition=models.Q(state="open", result_on__isnull=True)
                | (~models.Q(state="open") & models.Q(result_on__isnull=False)),
            ),
        ]
        indexes = [
            # The interview list of a county: WHERE county = ? ORDER BY held_on DESC.
            models.Index(fields=["county", "-held_on"], name="interview_county_idx"),
        ]

    def __str__(self) -> str:
        who = self.employer if self.employer_id else (self.department or self.county)
        return str(_("约谈：%(w)s") % {"w": who})

    def get_absolute_url(self) -> str:
        return f"/interviews/{self.pk}/"

    def notification_urgent(self) -> bool:
        """An interview about a zero-tolerance project (government-invested or state-owned)
        is not held for the daily digest (arrears.deadlines)."""
        return self.project is not None and self.project.zero_tolerance

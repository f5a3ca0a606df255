"""The working-day calendar: the database is the source of truth at run time."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel


class YearStatus(models.TextChoices):
    # Official: the State Council's schedule for the year is loaded (from the library or typed in
    # by the city office). Provisional: estimated, deadlines that depend on it say so.
    OFFICIAL = "official", _("正式")
    PROVISIONAL = "provisional", _("暂定")


class DayKind(models.TextChoices):
    WORKDAY = "workday", _("工作日")
    WEEKEND = "weekend", _("周末")
    HOLIDAY = "holiday", _("法定节假日")
    MAKEUP_WORKDAY = "makeup", _("调休上班")


class CalendarYear(AuditedModel):
    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    status = models.CharField(_("状态"), max_length=12, choices=YearStatus.choices)
    source = models.CharField(_("数据来源"), max_length=120)
    loaded_at = models.DateTimeField(_("载入时间"), auto_now=True)
    # Bumped by every change to the year or its days; the calendar cache compares the sum.
    revision = models.PositiveIntegerField(_("修订号"), default=0)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("载入人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year} ({self.get_status_display()})"

    @property
    def is_provisional(self) -> bool:
        return self.status == YearStatus.PROVISIONAL


class CalendarDay(AuditedModel):
    """One day of a loaded year. Every day of the year has a row, so a missing row means the
    year is not loaded at all."""

    date = models.DateField(_("日期"), primary_key=True)
    kind = models.CharField(_("类型"), max_length=10, choices=DayKind.choices)
    is_workday = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("节日名称"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("日历日")
        verbose_name_plural = _("日历日")
        ordering = ["date"]
        constraints = [
            # The two columns must agree; is_workday is kept as a column because the calendar
            # arithmetic loads only the workdays (see arrears.workdays).
            models.CheckConstraint(
                name="calendarday_workday_matches_kind",
                condition=models.Q(is_workday=True, kind__in=["workday", "makeup"])
                | models.Q(is_workday=False, kind__in=["weekend", "holiday"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

"""One deadline mechanism for every clock in the system: accepting a complaint, closing a case,
a rectification order, a deposit top-up. Domain apps create, extend, pause and close deadlines;
periodic sweeps act on the rows that are due."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel, AuditedQuerySet
from arrears.scoping import ScopePaths


class DeadlineState(models.TextChoices):
    OPEN = "open", _("进行中")
    PAUSED = "paused", _("已暂停")
    MET = "met", _("按期完成")
    MISSED = "missed", _("逾期完成")
    CANCELLED = "cancelled", _("已取消")


# A clock still counting or paused: the one definition behind the sweep, the partial indexes
# and every "running" or "overdue" figure.
RUNNING_STATES = (DeadlineState.OPEN, DeadlineState.PAUSED)


class DeadlineQuerySet(AuditedQuerySet["Deadline"]):
    def open(self) -> DeadlineQuerySet:
        return self.filter(state=DeadlineState.OPEN)

    def for_subject(self, subject: models.Model) -> DeadlineQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk
        )


class Deadline(AuditedModel):
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("时限类型"), max_length=50)
    county = models.ForeignKey(
        "arrears.County", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(
        "arrears.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The clock: due = started_on + (working_days + extended_days) working days, at the end of
    # that working day. Stored, not derived, so sweeps can use an index; recomputed when the
    # calendar changes (arrears.deadlines.deadlines_recompute).
    started_on = models.DateField(_("起算日"))
    working_days = models.PositiveSmallIntegerField(_("时限（工作日）"))
    extended_days = models.PositiveSmallIntegerField(_("延长（工作日）"), default=0)
    due_date = models.DateField(_("到期日"))
    due_at = models.DateTimeField(_("到期时间"))
    # When the next reminder step is due; NULL once every step of the kind was sent
    # (arrears.deadlines.reminder_steps).
    remind_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    # A clock of calendar hours (the police referral's 3 days and 24 hours, 国务院令310号
    # art. 5): due `calendar_hours` after it opened, weekends and holidays included, so a
    # calendar change never moves it. NULL for the usual clocks of working days.
    calendar_hours = models.PositiveIntegerField(_("时限（自然小时）"), null=True, blank=True)
    # True while the due date depends on a year whose official schedule is not loaded.
    provisional = models.BooleanField(_("暂定"), default=False)
    state = models.CharField(
        _("状态"), max_length=10, choices=DeadlineState.choices, default=DeadlineState.OPEN
    )
    # Who is reminded (the case owner); without one, the staff of `department`.
    owner = models.ForeignKey(
        "arrears.User",
        verbose_name=_("责任人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reminded_at = models.DateTimeField(_("已提醒时间"), null=True, blank=True)
    # The last reminder step sent, in working days before the due date (NULL: none yet): the
    # next step is the first configured one below it, so each is sent once per due date.
    reminded_step = models.PositiveSmallIntegerField(
        _("已发送的提醒（到期前工作日）"), null=True, blank=True
    )
    escalation_level = models.PositiveSmallIntegerField(_("升级层级"), default=0)
    # When the next step of the escalation ladder is due; NULL once the ladder is exhausted.
    next_escalation_at = models.DateTimeField(_("下次升级时间"), null=True, blank=True)
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    # Why it is paused (arrears.deadlines.PAUSE_REASONS; "" by hand): the end of that wait
    # resumes it, and only that. A database default too: bulk loaders (bench/seed_province)
    # insert clocks in SQL without naming it.
    pause_reason = models.CharField(
        _("暂停原因"), max_length=20, blank=True, default="", db_default=""
    )
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[models.Manager[Deadline]] = DeadlineQuerySet.as_manager()
    scope_paths: ClassVar[ScopePaths] = ScopePaths(county="county", department="department")

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        constraints = [
            models.CheckConstraint(
                name="deadline_working_days_positive", condition=models.Q(working_days__gt=0)
            ),
            models.CheckConstraint(
                name="deadline_closed_has_time",
                condition=models.Q(state__in=list(RUNNING_STATES))
                | models.Q(closed_at__isnull=False),
            ),
            # One running clock of a kind per subject; closed ones stay as history.
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind"],
                condition=models.Q(state__in=list(RUNNING_STATES)),
                name="deadline_one_running_per_subject_kind",
            ),
        ]
        indexes = [
            # Worklists: overdue / due today / due soon, WHERE state = 'open' ORDER BY due_at.
            models.Index(
                fields=["due_at"],
                condition=models.Q(state=DeadlineState.OPEN),
                name="deadline_open_due_idx",
            ),
            # The escalation sweep: WHERE state = 'open' AND next_escalation_at <= now. Partial,
            # so an idle sweep reads a handful of index pages however many deadlines run.
            models.Index(
                fields=["next_escalation_at"],
                condition=models.Q(state=DeadlineState.OPEN, next_escalation_at__isnull=False),
                name="deadline_escalation_idx",
            ),
            # The reminder sweep: WHERE state = 'open' AND remind_at <= now ORDER BY remind_at.
            # remind_at is the next step's time and NULL after the last step, so the index holds
            # only clocks with a step to send and an idle sweep reads a page or two.
            models.Index(
                fields=["remind_at"],
                condition=models.Q(state=DeadlineState.OPEN, remind_at__isnull=False),
                name="deadline_open_remind_step_idx",
            ),
            # Calendar reload: WHERE state IN ('open','paused') AND due_date >= first day changed.
            models.Index(
                fields=["due_date"],
                condition=models.Q(state__in=list(RUNNING_STATES)),
                name="deadline_running_date_idx",
            ),
            # The offices' calendar banner on every page (arrears.services.
            # calendar_years_needing_data): MIN(started_on) of the running clocks, one index
            # entry instead of a scan of every running clock (14 ms a page at 1M complaints).
            models.Index(
                fields=["started_on"],
                condition=models.Q(state__in=list(RUNNING_STATES)),
                name="deadline_running_start_idx",
            ),
            # The deadlines of one subject (case page).
            models.Index(fields=["content_type", "object_id"], name="deadline_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.due_date}"

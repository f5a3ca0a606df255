"""Background jobs: exports and imports too long for a request. A row records who asked, what
(kind and parameters), the asker's scope at that moment, state, progress and the result file;
the worker that runs it renews a lease on it, so a job whose worker died is noticed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


# The states a job can still change from; the jobs page polls while one of these is shown.
ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


def _job_path(job: Job, filename: str) -> str:
    return f"jobs/{job.pk}/{filename}"


class Job(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.CASCADE,
        related_name="jobs",
    )
    kind = models.CharField(_("类别"), max_length=50)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    # The owner's role, county and department when they asked: a job runs only while the owner
    # still has exactly that scope, so a file never holds rows the owner may no longer see.
    scope = models.JSONField(_("申请时的权限范围"), default=dict, blank=True)
    summary = models.CharField(_("内容"), max_length=300, blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=JobState.choices, default=JobState.QUEUED
    )
    done = models.PositiveIntegerField(_("已处理行数"), default=0)
    total = models.PositiveIntegerField(_("预计行数"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    cancel_requested = models.BooleanField(_("已请求取消"), default=False)
    error = models.TextField(_("错误"), blank=True)
    # An import's per-row report, or an export's notes.
    report = models.JSONField(_("结果报告"), default=dict, blank=True)
    upload = models.FileField(_("上传文件"), upload_to=_job_path, blank=True, max_length=300)
    upload_name = models.CharField(_("上传文件名"), max_length=200, blank=True)
    # Written under a temporary name and renamed when complete: only a finished job has one.
    result = models.FileField(_("结果文件"), upload_to=_job_path, blank=True, max_length=300)
    result_name = models.CharField(_("下载文件名"), max_length=200, blank=True)
    result_size = models.PositiveBigIntegerField(_("文件大小"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    queued_at = models.DateTimeField(_("入队时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # Renewed by the running worker; a running job whose lease ran out lost its worker.
    lease_until = models.DateTimeField(_("租约到期"), null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    expires_at = models.DateTimeField(_("文件删除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total__isnull=True) | models.Q(done__lte=models.F("total")),
                name="job_done_within_total",
            ),
            # A result file is offered only by a finished job.
            models.CheckConstraint(
                condition=models.Q(result="") | models.Q(state="done"),
                name="job_result_only_when_done",
            ),
        ]
        indexes = [
            # "我的导出与导入": WHERE owner_id = ? ORDER BY created_at DESC, id DESC.
            models.Index(fields=["owner", "-created_at", "-id"], name="job_owner_idx"),
            # The job sweep: running jobs whose lease ran out, queued jobs never picked up.
            models.Index(
                fields=["state", "lease_until"],
                condition=models.Q(state__in=["queued", "running"]),
                name="job_active_idx",
            ),
            # The file clean-up: finished jobs whose file is past its time.
            models.Index(
                fields=["expires_at"],
                condition=~models.Q(result=""),
                name="job_result_expiry_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.state == JobState.DONE else None
        return min(100, int(self.done * 100 / self.total))

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

"""Background jobs: the one way long work (exports, imports) leaves the request.

A domain app registers a kind with a runner (`register`); a view calls `job_start`, which
writes the row and, after commit, sends `arrears.tasks.run_job`. The worker claims the row
with a conditional UPDATE (so a redelivered task does nothing), runs the runner with a
`Progress` that records rows done, renews the job's lease and notices a cancel request, and
writes the result under a temporary name that becomes the job's file only when complete: a
job cut short never offers a file. `jobs_sweep` (beat, every minute) ends running jobs whose
lease ran out (their worker died) as failed, with a retry, re-sends queued jobs whose task was
lost, and deletes result files past their time."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import config, replica
from arrears.audit import security_event
from arrears.enqueue import enqueue
from arrears.models import Job, JobState, User
from arrears.notifications import Text
from arrears.scoping import scope_of
from arrears.services import notification_send

logger = logging.getLogger(__name__)

config.define(
    "jobs.inline_rows",
    "int",
    5000,
    gettext_lazy("超过此行数的导出在后台执行"),
    source="本地惯例：几千行以内数秒可完成",
    minimum=0,
    maximum=1_000_000,
)
config.define(
    "jobs.inline_upload_kb",
    "int",
    256,
    gettext_lazy("超过此大小（KB）的导入文件在后台执行"),
    source="本地惯例：约数千行",
    minimum=0,
    maximum=100_000,
)
config.define(
    "jobs.keep_hours",
    "int",
    24,
    gettext_lazy("导出文件保留时间（小时），到期后删除"),
    source="个人信息最小化保存（个人信息保护法第十九条）",
    minimum=1,
    maximum=24 * 30,
)

# Rows between two progress writes, and the longest time between them while rows flow.
FLUSH_ROWS = 2000
FLUSH_SECONDS = 2.0
# A queued job whose task has not started after this long is sent again (the broker may have
# been down when it was queued; the claim makes a second task harmless).
REQUEUE_AFTER = timedelta(minutes=2)


def export_in_background(*, rows: int, asked: bool = False) -> bool:
    """An export of more than `jobs.inline_rows` rows (or one the user asked to run in the
    background) runs as a job: past a few thousand rows it would outlast the request."""
    return asked or rows > config.get("jobs.inline_rows")


def import_in_background(*, size: int | None) -> bool:
    """An import file larger than `jobs.inline_upload_kb` runs as a job (a few thousand rows)."""
    return bool(size and size > config.get("jobs.inline_upload_kb") * 1024)


def lease() -> timedelta:
    """How long a running job may go without a sign of life before it counts as lost. Every
    progress write renews it; it must outlast the longest step without progress (saving a
    large XLSX)."""
    return timedelta(seconds=settings.JOB_LEASE_SECONDS)


class JobCancelled(Exception):
    """The owner cancelled the job while it ran."""


class JobLost(Exception):
    """This worker no longer holds the job (the sweep ended it, or another worker has it)."""


@dataclass
class Outcome:
    """What a runner hands back: the file it wrote (if any) and a report to show."""

    filename: str = ""
    report: dict[str, Any] = field(default_factory=dict)
    failed: str = ""  # a message for the owner when the work was refused (an invalid import)


Runner = Callable[["Job", "Progress", IO[bytes]], Outcome]


@dataclass(frozen=True)
class JobKind:
    name: str
    label: Any
    run: Runner
    writes_file: bool = True
    # The runner only reads (an export): its reads may come from the read replica, as the
    # page it exports would (arrears/replica.py decides, for the job's owner).
    replica_reads: bool = False


REGISTRY: dict[str, JobKind] = {}


def register(
    name: str, label: Any, run: Runner, *, writes_file: bool = True, replica_reads: bool = False
) -> None:
    REGISTRY[name] = JobKind(name, label, run, writes_file, replica_reads)


def kind_label(name: str) -> str:
    kind = REGISTRY.get(name)
    return str(kind.label) if kind else name


class Progress:
    """Counts a running job's rows; writes them (and renews the lease) every FLUSH_ROWS rows or
    FLUSH_SECONDS, and stops the runner when the job was cancelled or taken from it."""

    def __init__(self, job: Job, token: uuid.UUID) -> None:
        self.job = job
        self.token = token
        self.done = 0
        self.total: int | None = None
        self._flushed_rows = 0
        self._flushed_at = time.monotonic()

    def expect(self, total: int) -> None:
        self.total = total
        self.flush()

    def advance(self, rows: int = 1) -> None:
        self.done += rows
        if (
            self.done - self._flushed_rows >= FLUSH_ROWS
            or time.monotonic() - self._flushed_at >= FLUSH_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        total = self.total if self.total is None else max(self.total, self.done)
        # The job's own row from the primary even inside an export's replica reads: a cancel
        # request must be seen at once, not when the replica has replayed it.
        mine = Job.objects.using(replica.PRIMARY).filter(
            pk=self.job.pk, claim_token=self.token, state=JobState.RUNNING
        )
        if not mine.update(done=self.done, total=total, lease_until=timezone.now() + lease()):
            raise JobLost
        self._flushed_rows, self._flushed_at = self.done, time.monotonic()
        if mine.filter(cancel_requested=True).exists():
            raise JobCancelled


def _scope_snapshot(user: User) -> dict[str, Any]:
    scope = scope_of(user)
    return {
        "role": user.role,
        "superuser": user.is_superuser,
        "everything": scope.everything,
        "city_id": scope.city_id,
        "county_id": scope.county_id,
        "department_id": scope.department_id,
        "department_kind": scope.department_kind,
    }


# The task that runs a job (arrears/tasks.py registers it under this name; arrears/enqueue.py).
RUN_JOB = "arrears.tasks.run_job"


def _enqueue(job_id: int) -> None:
    try:
        enqueue(RUN_JOB, job_id)
    except Exception:  # the broker is down: the sweep sends it again when it is back
        logger.warning("could not enqueue job %s; the job sweep will send it", job_id)


def job_start(
    *,
    owner: User,
    kind: str,
    params: dict[str, Any],
    summary: str = "",
    upload: Any = None,
) -> Job:
    """Queue a job of a registered kind for its owner; it runs in the worker after commit, in
    the language the owner asked in (column headings, sheet names)."""
    if kind not in REGISTRY:
        raise ValidationError(_("未知的任务类别：%(k)s") % {"k": kind})
    with transaction.atomic():
        job = Job.objects.create(
            owner=owner,
            kind=kind,
            params={**params, "language": translation.get_language() or settings.LANGUAGE_CODE},
            scope=_scope_snapshot(owner),
            summary=summary[:300],
            queued_at=timezone.now(),
        )
        if upload is not None:
            name = os.path.basename(upload.name or "upload")
            job.upload.save(f"upload-{uuid.uuid4().hex[:8]}{Path(name).suffix}", upload, save=False)
            job.upload_name = name[:200]
            job.save(update_fields=["upload", "upload_name"])
        transaction.on_commit(partial(_enqueue, job.pk))
        _audit_job(job, "queued")
    return job


def _audit_job(job: Job, state: str, rows: int | None = None) -> None:
    """Exports and imports are security events (安全审计): who asked for which, and how it
    ended, beside the job row (which its owner may retry and the sweep rewrites)."""

    failed = state in (JobState.FAILED, JobState.CANCELLED)
    security_event(
        kind="import" if "import" in job.kind else "export",
        actor=job.owner,
        obj=job,
        result="failure" if failed else "success",
        detail={"job": job.pk, "kind": job.kind, "state": state, "rows": rows},
    )


def _partial_path(job: Job, token: uuid.UUID) -> Path:
    folder = Path(settings.MEDIA_ROOT) / "jobs" / str(job.pk)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f".partial-{token.hex}"


def _finish(job_id: int, token: uuid.UUID, **values: Any) -> bool:
    """Write a job's outcome if this worker still holds it."""
    values.setdefault("finished_at", timezone.now())
    finished = bool(
        Job.objects.filter(pk=job_id, claim_token=token, state=JobState.RUNNING).update(
            claim_token=None, lease_until=None, **values
        )
    )
    if finished:
        job = Job.objects.select_related("owner").get(pk=job_id)
        _audit_job(job, str(values.get("state", job.state)), values.get("done"))
    return finished


def _notify(job: Job, state: str) -> None:
    # Thin import: arrears.services imports the models this module's callers load first.
    titles: dict[str, Any] = {
        JobState.DONE: gettext_lazy("%(kind)s已完成"),
        JobState.FAILED: gettext_lazy("%(kind)s失败"),
    }
    if state not in titles:
        return
    kind = REGISTRY.get(job.kind)
    notification_send(
        recipients=[job.owner],
        kind=f"job.{state}",
        # In the owner's language, whichever language the worker runs in.
        title=Text(titles[state], kind=kind.label if kind else job.kind),
        body=job.summary,
        url="/jobs/",
        dedupe_key=f"job:{job.pk}:{job.attempts}:{state}",
        subject=job,
    )


def _claim(job_id: int, token: uuid.UUID) -> bool:
    """Queued → running, once: a conditional UPDATE, so two workers cannot both take it."""
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job_id, state=JobState.QUEUED, cancel_requested=False).update(
            state=JobState.RUNNING,
            claim_token=token,
            attempts=F("attempts") + 1,
            started_at=now,
            finished_at=None,
            lease_until=now + lease(),
            done=0,
            error="",
        )
    )


def _fail(job: Job, token: uuid.UUID, error: str, **fields: Any) -> str:
    _finish(job.pk, token, state=JobState.FAILED, error=error, **fields)
    job.refresh_from_db()
    _notify(job, JobState.FAILED)
    return JobState.FAILED


def job_run(*, job_id: int) -> str:
    """Run a queued job (called by the task). Returns the state it ended in; a job that is not
    queued (already run, running elsewhere, cancelled) is left alone."""
    token = uuid.uuid4()
    if not _claim(job_id, token):
        return "skipped"
    job = Job.objects.select_related("owner").get(pk=job_id)
    kind = REGISTRY.get(job.kind)
    if kind is None:
        _finish(job_id, token, state=JobState.FAILED, error=_("未知的任务类别"))
        return JobState.FAILED
    if _scope_snapshot(job.owner) != job.scope or not job.owner.is_active:
        _finish(job_id, token, state=JobState.FAILED, error=_("申请后权限范围已变更，请重新申请"))
        return JobState.FAILED
    progress = Progress(job, token)
    path = _partial_path(job, token)
    try:
        language = job.params.get("language") or settings.LANGUAGE_CODE
        reads: AbstractContextManager[Any] = (
            replica.reads(job.owner) if kind.replica_reads else nullcontext()
        )
        with open(path, "wb") as out, translation.override(language), reads:
            outcome = kind.run(job, progress, out)
        progress.flush()
        if not kind.replica_reads:
            # An import wrote on its owner's behalf: their next dashboard waits for the
            # replica to replay it, as after a write of their own in a request.
            replica.remember(job.owner_id)
    except JobCancelled:
        path.unlink(missing_ok=True)
        _finish(job_id, token, state=JobState.CANCELLED, done=progress.done)
        return JobState.CANCELLED
    except JobLost:
        path.unlink(missing_ok=True)
        return "lost"
    except (ValidationError, PermissionDenied) as exc:
        path.unlink(missing_ok=True)
        message = "；".join(getattr(exc, "messages", [str(exc)])) or _("无权执行")
        return _fail(job, token, message[:2000])
    except Exception:
        path.unlink(missing_ok=True)
        logger.exception("job %s (%s) failed", job_id, job.kind)
        return _fail(job, token, _("执行出错，请重试或联系管理员"))
    if outcome.failed:
        path.unlink(missing_ok=True)
        return _fail(job, token, outcome.failed, report=outcome.report)
    return _complete(job, token, kind, progress, outcome, path)


def _complete(
    job: Job, token: uuid.UUID, kind: JobKind, progress: Progress, outcome: Outcome, path: Path
) -> str:
    """Done: the file renamed to its final name (atomically, so a file under a job's name is
    always complete), the row marked done unless the sweep ended it meanwhile."""
    values: dict[str, Any] = {
        "state": JobState.DONE,
        "done": progress.done,
        "report": outcome.report,
    }
    if progress.total is not None:
        values["total"] = max(progress.total, progress.done)
    if kind.writes_file and outcome.filename:
        final = path.with_name(f"{token.hex[:12]}{Path(outcome.filename).suffix}")
        os.replace(path, final)
        values.update(
            result=str(final.relative_to(Path(settings.MEDIA_ROOT))),
            result_name=outcome.filename,
            result_size=final.stat().st_size,
            expires_at=timezone.now() + timedelta(hours=config.get("jobs.keep_hours")),
        )
    else:
        path.unlink(missing_ok=True)
    if not _finish(job.pk, token, **values):
        # The sweep ended the job while this worker finished: keep its verdict, drop the file.
        if values.get("result"):
            (Path(settings.MEDIA_ROOT) / values["result"]).unlink(missing_ok=True)
        return "lost"
    job.refresh_from_db()
    _notify(job, JobState.DONE)
    return JobState.DONE


def job_cancel(*, job: Job, user: User) -> Job:
    """A queued job ends at once; a running one stops at its next progress write."""
    if job.owner_id != user.pk:
        raise PermissionDenied
    now = timezone.now()
    queued = Job.objects.filter(pk=job.pk, state=JobState.QUEUED)
    running = Job.objects.filter(pk=job.pk, state=JobState.RUNNING)
    if not (
        queued.update(state=JobState.CANCELLED, cancel_requested=True, finished_at=now)
        or running.update(cancel_requested=True)
    ):
        raise ValidationError(_("任务已结束，无法取消"))
    job.refresh_from_db()
    return job


def job_retry(*, job: Job, user: User) -> Job:
    """Run a failed or cancelled job again, with the same parameters."""
    if job.owner_id != user.pk:
        raise PermissionDenied
    with transaction.atomic():
        updated = Job.objects.filter(
            pk=job.pk, state__in=[JobState.FAILED, JobState.CANCELLED]
        ).update(
            state=JobState.QUEUED,
            cancel_requested=False,
            error="",
            done=0,
            queued_at=timezone.now(),
            started_at=None,
            finished_at=None,
            scope=_scope_snapshot(user),
        )
        if not updated:
            raise ValidationError(_("只有失败或已取消的任务可以重试"))
        transaction.on_commit(partial(_enqueue, job.pk))
    job.refresh_from_db()
    return job


def _remove_files(job: Job) -> None:
    folder = Path(settings.MEDIA_ROOT) / "jobs" / str(job.pk)
    for partial_file in folder.glob(".partial-*"):
        partial_file.unlink(missing_ok=True)


def jobs_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """End jobs whose worker died, re-send queued jobs whose task was lost, delete expired
    files. Safe to run twice at once: every change is a conditional UPDATE."""
    now = now or timezone.now()
    lost = 0
    for job in Job.objects.filter(state=JobState.RUNNING, lease_until__lt=now).select_related(
        "owner"
    ):
        if Job.objects.filter(pk=job.pk, state=JobState.RUNNING, lease_until__lt=now).update(
            state=JobState.FAILED,
            claim_token=None,
            lease_until=None,
            finished_at=now,
            error=_("执行中断：处理该任务的进程已停止。可点击“重试”重新执行。"),
        ):
            lost += 1
            _remove_files(job)
            job.refresh_from_db()
            _notify(job, JobState.FAILED)
    requeued = 0
    for job_id in Job.objects.filter(
        state=JobState.QUEUED, queued_at__lt=now - REQUEUE_AFTER
    ).values_list("pk", flat=True):
        if Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(queued_at=now):
            requeued += 1
            _enqueue(job_id)
    expired = 0
    for job in Job.objects.exclude(result="").filter(expires_at__lt=now):
        name = job.result.name or ""
        if Job.objects.filter(pk=job.pk, result=name).update(result=""):
            (Path(settings.MEDIA_ROOT) / name).unlink(missing_ok=True)
            if job.upload:
                job.upload.delete(save=False)
                Job.objects.filter(pk=job.pk).update(upload="")
            expired += 1
    return {"lost": lost, "requeued": requeued, "expired": expired}


def job_file(*, job: Job) -> File[Any]:
    """The finished file of a job, opened for download."""
    if job.state != JobState.DONE or not job.result:
        raise ValidationError(_("文件不存在或已过期"))
    return File(job.result.open("rb"))

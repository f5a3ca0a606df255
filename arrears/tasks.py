"""Thin tasks: each loads what it needs and calls a service. All idempotent."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from arrears import deadlines, digests, health, jobs, notifications, retention, services
from arrears.audit_admin import maintenance
from arrears.signals import calendar_changed


@shared_task(name=services.RECOMPUTE_DEADLINES)
def recompute_deadlines() -> int:
    """After a calendar change: bring every running deadline in line with the new calendar,
    then let the apps recompute what they stored in working days (e.g. days a case took)."""

    changed = deadlines.deadlines_recompute()
    calendar_changed.send(sender=recompute_deadlines)
    return changed


@shared_task(name="arrears.tasks.sweep_deadlines", time_limit=900, soft_time_limit=840)
def sweep_deadlines() -> dict[str, int]:
    """Beat, every few minutes: reminders and escalations that are due (catches up gaps)."""
    result = deadlines.deadlines_sweep()
    # Only after a sweep that finished: /readyz's "beat" means "deadlines are being swept",
    # which needs beat to send this task and the sweep to succeed.
    health.heartbeat_record(name=health.BEAT)
    return result


@shared_task(name="arrears.tasks.heartbeat")
def heartbeat(queue: str = settings.QUEUE_DEFAULT) -> list[str]:
    """Beat, every minute, on every queue: a worker consuming `queue` marks it served (and
    alerts when the sweep has stopped while workers are running)."""
    return health.worker_heartbeat(queue=queue)


@shared_task(name="arrears.tasks.check_calendar_coverage")
def check_calendar_coverage() -> list[int]:
    """Alert administrators while a year the system relies on has no official schedule."""
    return services.calendar_coverage_alert()


@shared_task(name=notifications.DELIVER_MESSAGES, time_limit=600, soft_time_limit=540)
def deliver_messages() -> int:
    """Drain the e-mail/SMS outbox (kicked after commit, and run by beat every minute). Not
    retried by Celery: a refused send stays in the outbox with its backoff."""
    return notifications.messages_deliver_due()


@shared_task(name="arrears.tasks.ping")
def ping(value: str) -> str:
    """Round-trip check used by the health page and the worker test."""
    return value


# The per-notification tasks of before the outbox, kept so that messages still queued at an
# upgrade are consumed: each now just drains the outbox (their copies are rows there).
@shared_task(name="arrears.tasks.deliver_notification")
def deliver_notification(*args: object, **kwargs: object) -> int:
    return notifications.messages_deliver_due()


@shared_task(name="arrears.tasks.send_digests")
def send_digests() -> int:
    """Beat, every few minutes: from the digest time on, each recipient's daily digest of held
    reminders and escalations (once a day; a later run finds nothing to do)."""
    return digests.digests_send()


@shared_task(name="arrears.tasks.deliver_notifications")
def deliver_notifications(*args: object, **kwargs: object) -> int:
    return notifications.messages_deliver_due()


@shared_task(
    name=jobs.RUN_JOB,
    # An export of millions of rows outlasts the default limits; the job's lease, not the time
    # limit, is what notices a stuck or dead worker.
    soft_time_limit=3 * 3600,
    time_limit=3 * 3600 + 60,
)
def run_job(job_id: int) -> str:
    return jobs.job_run(job_id=job_id)


@shared_task(name="arrears.tasks.verify_audit", time_limit=3600, soft_time_limit=3540)
def verify_audit() -> bool:
    """Beat, daily: walk the audit trails' chains; administrators are alerted on a break."""

    return bool(maintenance.audit_verify_record().ok)


@shared_task(name="arrears.tasks.sweep_jobs")
def sweep_jobs() -> dict[str, int]:
    """Jobs whose worker died end as failed; lost queued tasks are sent again; old files go."""
    return jobs.jobs_sweep()


@shared_task(name="arrears.tasks.maintain_tables", time_limit=3600, soft_time_limit=3540)
def maintain_tables() -> dict[str, object]:
    """Beat, daily: the audit trails' months ahead, and the purge of old notifications and
    settled outbox rows in short chunks (a run cut off by the time limit resumes tomorrow)."""
    result = retention.tables_maintain()
    result["audit_partitions_dropped"] = maintenance.audit_partitions_drop_empty()
    return result


@shared_task(name="arrears.tasks.clear_sessions")
def clear_sessions() -> dict[str, int]:
    """Beat, daily: what `manage.py clearsessions` does, and the stale session-list rows."""
    return retention.sessions_clear()

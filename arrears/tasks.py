"""Thin tasks: each loads what it needs and calls a service. All idempotent."""

from __future__ import annotations

from celery import shared_task

from arrears import deadlines, services


@shared_task(name="arrears.tasks.recompute_deadlines")
def recompute_deadlines() -> int:
    """After a calendar change: bring every running deadline in line with the new calendar,
    then let the apps recompute what they stored in working days (e.g. days a case took)."""
    from arrears.signals import calendar_changed

    changed = deadlines.deadlines_recompute()
    calendar_changed.send(sender=recompute_deadlines)
    return changed


@shared_task(name="arrears.tasks.sweep_deadlines", time_limit=900, soft_time_limit=840)
def sweep_deadlines() -> dict[str, int]:
    """Beat, every few minutes: reminders and escalations that are due (catches up gaps)."""
    return deadlines.deadlines_sweep()


@shared_task(name="arrears.tasks.check_calendar_coverage")
def check_calendar_coverage() -> list[int]:
    """Alert administrators while a year the system relies on has no official schedule."""
    return services.calendar_coverage_alert()


@shared_task(
    name="arrears.tasks.deliver_notification",
    # Only the external sends are retried; the claim in the service stops double sends.
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def deliver_notification(notification_id: int, email: bool = False, sms: bool = False) -> None:
    services.notification_deliver(notification_id=notification_id, email=email, sms=sms)


@shared_task(name="arrears.tasks.ping")
def ping(value: str) -> str:
    """Round-trip check used by the health page and the worker test."""
    return value


@shared_task(
    name="arrears.tasks.deliver_notifications",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def deliver_notifications(notification_ids: list[int], sms: bool = False) -> None:
    """E-mail (and SMS) copies of a batch of notifications, each claimed before sending, so
    a retried task sends nothing twice."""
    for notification_id in notification_ids:
        services.notification_deliver(notification_id=notification_id, email=True, sms=sms)

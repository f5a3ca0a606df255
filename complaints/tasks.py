"""Thin tasks of the intake side; all idempotent."""

from __future__ import annotations

from celery import shared_task

from complaints.integration import callbacks, sms
from complaints.integration import callbacks as services


@shared_task(name=callbacks.DELIVER_CALLBACKS, time_limit=600, soft_time_limit=540)
def deliver_callbacks() -> int:
    """Drain the callback outbox (also run by beat every minute)."""
    return services.callback_deliver_due()


@shared_task(name=sms.DELIVER_TEXTS, time_limit=600, soft_time_limit=540)
def deliver_complainant_texts() -> int:
    """Drain the complainants' SMS outbox (also run by beat every minute)."""
    return sms.texts_deliver_due()

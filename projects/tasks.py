"""Thin tasks of the projects side; idempotent."""

from __future__ import annotations

from celery import shared_task

from projects import services


@shared_task(name="projects.tasks.evaluate_warnings", time_limit=1800, soft_time_limit=1700)
def evaluate_warnings() -> dict[str, int]:
    """Beat, daily: open and close early warnings from the monthly wage records."""
    return services.warnings_evaluate()


@shared_task(name="projects.tasks.expire_listings")
def expire_listings() -> int:
    """Beat, daily: listings past their end date come off the lists."""
    return services.listings_expire()


@shared_task(name="projects.tasks.ensure_deposit_clocks", time_limit=1800, soft_time_limit=1700)
def ensure_deposit_clocks() -> dict[str, int]:
    """Beat, daily: start the wage deposit's lodging and guarantee-letter clocks that are due
    to start (the deadline sweep then reminds and escalates them)."""
    return services.deposit_clocks_ensure()

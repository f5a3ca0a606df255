"""A real Celery worker over the configured broker (Redis in CI, the filesystem transport on
the embedded default) picks up a task and changes the database."""

from __future__ import annotations

import time
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from arrears.models import Notification
from arrears.tasks import check_calendar_coverage
from config.celery_app import app
from tests.factories import UserFactory

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_task_sent_through_the_broker(settings: Any) -> None:
    # given a city-office user and no calendar loaded, so the current year is provisional
    admin = UserFactory.create(city_office=True, email="office@example.org")
    this_year = f"/calendar/{timezone.localdate().year}/"
    app.conf.task_always_eager = False
    try:
        # Consuming every queue, as the development worker does: the task goes to its own
        # (deadlines, config/settings/base.py), not to Celery's default.
        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=30,
            queues=settings.WORKER_QUEUES,
        ):
            # when the beat task is sent through the broker
            check_calendar_coverage.delay()
            give_up = time.monotonic() + 60
            while time.monotonic() < give_up:
                if Notification.objects.filter(recipient=admin, url=this_year).exists():
                    break
                time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True
    # then the worker ran it: the administrator was alerted about the current year (and, in
    # the last weeks of a year, about the next one too: how many alerts depends on the date)
    kinds = set(Notification.objects.filter(recipient=admin).values_list("kind", "url"))
    assert ("calendar.provisional", this_year) in kinds

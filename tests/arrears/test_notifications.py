"""Notifications: inbox rows once per dedupe key, e-mail/SMS copies sent at most once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import mail

from arrears import services
from arrears.models import Notification
from arrears.sms import LoggingSmsBackend
from tests.factories import UserFactory


def test_calendar_alert_once_a_day_until_loaded(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    admin = UserFactory.create(city_office=True, email="office@example.org")
    UserFactory.create(role="inspector", email="i@example.org")
    day = dt.date(2026, 12, 5)
    with django_capture_on_commit_callbacks(execute=True):
        # 2026 is not loaded here and 2027 is within the lead time: both are alerted
        assert services.calendar_coverage_alert(today=day) == [2026, 2027]
        assert services.calendar_coverage_alert(today=day) == [2026, 2027]  # same day: no new row
    assert Notification.objects.filter(recipient=admin).count() == 2
    assert Notification.objects.count() == 2  # inspectors are not administrators
    assert len(mail.outbox) == 2
    assert "2026" in mail.outbox[0].subject
    # the next day, still not loaded: alerted again
    services.calendar_coverage_alert(today=day + dt.timedelta(days=1))
    assert Notification.objects.filter(recipient=admin).count() == 4
    # once loaded, silence
    for year in (2026, 2027):
        days = services.calendar_schedule_from_announcement(year=year, holidays=[], makeup_days=[])
        services.calendar_year_load(year=year, days=days, status="official", source="t")
    assert services.calendar_coverage_alert(today=day) == []


def test_delivery_is_at_most_once(db: None) -> None:
    user = UserFactory.create(email="a@example.org", phone="13812345678")
    LoggingSmsBackend.sent.clear()
    [notification] = services.notification_send(recipients=[user], kind="k", title="标题")
    for _ in range(2):  # a retried task
        services.notification_deliver(notification_id=notification.pk, email=True, sms=True)
    assert len(mail.outbox) == 1
    assert LoggingSmsBackend.sent == [("13812345678", "标题 ")]


def test_mark_read_only_touches_own(db: None) -> None:
    a, b = UserFactory.create(), UserFactory.create()
    services.notification_send(recipients=[a, b], kind="k", title="t")
    assert services.notification_mark_read(user=a) == 1
    assert Notification.objects.filter(read_at__isnull=True).get().recipient == b

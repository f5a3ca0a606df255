"""Notifications: inbox rows once per dedupe key, in the recipient's language; e-mail/SMS
copies in the outbox, sent once accepted (tests/arrears/test_outbox.py for failures)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation

from arrears import services
from arrears.models import MessageDelivery, Notification
from arrears.notifications import messages_deliver_due
from arrears.sms import LoggingSmsBackend
from tests.factories import UserFactory

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates


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
    services.notification_send(recipients=[user], kind="k", title="标题", email=True, sms=True)
    assert MessageDelivery.objects.count() == 2  # written with the notification
    for _ in range(2):  # a second drain, a retried task
        messages_deliver_due()
    assert len(mail.outbox) == 1
    assert LoggingSmsBackend.sent == [("13812345678", "标题")]
    notification = Notification.objects.get()
    assert notification.emailed_at is not None and notification.texted_at is not None


def test_text_is_in_the_recipients_language(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    # given an English-speaking and a Chinese-speaking administrator
    english = UserFactory.create(city_office=True, email="en@example.org", language="en")
    chinese = UserFactory.create(city_office=True, email="zh@example.org")
    # when the alert is raised by a process running in English
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.calendar_coverage_alert(today=dt.date(2026, 3, 2))
    # then each reads it in their own language, inbox and e-mail alike
    assert Notification.objects.get(recipient=english).title == (
        "The official 2026 holiday schedule has not been loaded"
    )
    assert Notification.objects.get(recipient=chinese).title == "2026 年节假日安排尚未正式载入"
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects["en@example.org"].startswith("The official 2026")
    assert subjects["zh@example.org"].startswith("2026 年")


def test_links_in_e_mails_are_absolute(
    db: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SITE_URL = "https://arrears.example.gov.cn/"
    user = UserFactory.create(email="a@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_send(
            recipients=[user], kind="k", title="t", body="b", url="/calendar/2026/", email=True
        )
    assert mail.outbox[0].body == "b\n\nhttps://arrears.example.gov.cn/calendar/2026/"
    assert Notification.objects.get().url == "/calendar/2026/"  # the inbox keeps it relative


def test_switching_language_is_kept_on_the_user(db: None) -> None:
    user = UserFactory.create()
    client = Client()
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})  # unknown: ignored
    user.refresh_from_db()
    assert user.language == "en"


def test_mark_read_only_touches_own(db: None) -> None:
    a, b = UserFactory.create(), UserFactory.create()
    services.notification_send(recipients=[a, b], kind="k", title="t")
    assert services.notification_mark_read(user=a) == 1
    assert Notification.objects.filter(read_at__isnull=True).get().recipient == b

"""The e-mail/SMS outbox: a refused send stays pending and is retried after its backoff, an
accepted one is never sent again, a broker that is down loses nothing, failed rows are resent
from the delivery log. A real SMTP server on 127.0.0.1 (aiosmtpd) answers the e-mails."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from arrears import services
from arrears.models import MessageDelivery, Notification
from arrears.notifications import messages_deliver_due
from arrears.services import config_set
from arrears.sms import BaseSmsBackend
from arrears.tasks import deliver_messages
from tests.factories import CityFactory, UserFactory
from tests.races import run_at_once, succeeded


class SmtpHandler:
    """Answers 451 (try again later) to the first `refuse` messages, then accepts."""

    def __init__(self) -> None:
        self.refuse = 1
        self.accepted: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.accepted.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpHandler]:
    handler = SmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    yield handler
    controller.stop()


class FlakySms(BaseSmsBackend):
    """A gateway that is down for the first `failures` sends."""

    failures = 1
    sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        if FlakySms.failures > 0:
            FlakySms.failures -= 1
            raise OSError("SMS gateway unreachable")
        FlakySms.sent.append((phone, text))


def _send(user: Any, **kwargs: Any) -> Notification:
    [notification] = services.notification_send(
        recipients=[user], kind="k", title="欠薪预警：测试", body="内容", url="/inbox/", **kwargs
    )
    return notification


def test_refused_then_accepted_by_a_real_smtp_server(db: None, smtp: SmtpHandler) -> None:
    # given a copy written with its notification
    user = UserFactory.create(email="officer@example.org")
    _send(user, email=True)
    delivery = MessageDelivery.objects.get()
    # when the server answers 451 to the first attempt
    now = timezone.now()
    assert messages_deliver_due(now=now) == 0
    # then the row stays pending, with the attempt and the server's answer
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "451" in delivery.last_error
    assert smtp.accepted == []
    # not due before its backoff: nothing is tried
    assert messages_deliver_due(now=now) == 0
    assert delivery.attempts == MessageDelivery.objects.get().attempts
    # when time has moved past the backoff, the second attempt is accepted
    later = delivery.next_attempt_at + dt.timedelta(seconds=1)
    assert messages_deliver_due(now=later) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("delivered", 2, "")
    assert len(smtp.accepted) == 1
    assert smtp.accepted[0].rcpt_tos == ["officer@example.org"]
    assert b"http://127.0.0.1:8000/inbox/" in smtp.accepted[0].original_content
    # and once accepted it is never sent again, however often the drain runs
    for hours in (1, 24):
        assert messages_deliver_due(now=later + dt.timedelta(hours=hours)) == 0
    assert len(smtp.accepted) == 1
    assert Notification.objects.get().emailed_at == delivery.delivered_at


def test_broker_down_when_the_row_is_written_then_the_beat_drain_delivers(
    db: None, smtp: SmtpHandler, django_capture_on_commit_callbacks: Any
) -> None:
    smtp.refuse = 0
    user = UserFactory.create(email="officer@example.org")
    # when the commit's kick cannot reach the broker
    with (
        mock.patch.object(deliver_messages, "delay", side_effect=OperationalError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _send(user, email=True)
    # then the send is not lost: the row waits…
    assert MessageDelivery.objects.get().state == "pending"
    assert smtp.accepted == []
    # …for the drain beat runs every minute
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-deliver-messages"]
    assert (entry["task"], entry["schedule"]) == ("arrears.tasks.deliver_messages", 60)
    assert deliver_messages() == 1
    assert len(smtp.accepted) == 1


def test_sms_gateway_down_once(db: None, settings: Any) -> None:
    settings.SMS_BACKEND = "tests.arrears.test_outbox.FlakySms"
    FlakySms.failures, FlakySms.sent = 1, []
    user = UserFactory.create(phone="13812345678")
    _send(user, sms=True)
    now = timezone.now()
    assert messages_deliver_due(now=now) == 0
    delivery = MessageDelivery.objects.get()
    assert (delivery.channel, delivery.state, delivery.attempts) == ("sms", "pending", 1)
    assert "unreachable" in delivery.last_error
    assert messages_deliver_due(now=delivery.next_attempt_at + dt.timedelta(seconds=1)) == 1
    assert messages_deliver_due(now=now + dt.timedelta(days=1)) == 0
    assert FlakySms.sent == [("13812345678", "欠薪预警：测试 内容")]


def test_gives_up_then_an_administrator_resends_from_the_log(
    db: None, smtp: SmtpHandler, django_capture_on_commit_callbacks: Any
) -> None:
    config_set(key="notifications.max_attempts", value=2)
    smtp.refuse = 2
    # (an officer of the office's city: the log shows a city's office its own people's copies)
    _send(UserFactory.create(email="officer@example.org", city=CityFactory.create()), email=True)
    delivery = MessageDelivery.objects.get()
    now = timezone.now()
    for step in range(2):
        messages_deliver_due(now=now + dt.timedelta(hours=step))
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", 2)
    assert messages_deliver_due(now=now + dt.timedelta(days=1)) == 0  # failed: left alone
    # the log is the city office's: anyone else gets 404, for the page and the resend
    inspector = Client()
    inspector.force_login(UserFactory.create(role="inspector"))
    assert inspector.get("/notifications/deliveries/").status_code == 404
    resend = f"/notifications/deliveries/{delivery.pk}/resend/"
    assert inspector.post(resend).status_code == 404
    office = Client()
    office.force_login(UserFactory.create(city_office=True))
    page = office.get("/notifications/deliveries/?state=failed").content.decode()
    assert f"message-{delivery.pk}" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert office.post(resend).status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == "delivered"  # the resend's kick drained it
    assert len(smtp.accepted) == 1
    # a delivered copy is not resent
    office.post(resend)
    assert messages_deliver_due(now=now + dt.timedelta(days=2)) == 0
    assert len(smtp.accepted) == 1


def test_sms_numbers_are_masked_in_the_log(db: None) -> None:
    _send(UserFactory.create(phone="13812345678", city=CityFactory.create()), sms=True)
    office = Client()
    office.force_login(UserFactory.create(city_office=True))
    page = office.get("/notifications/deliveries/").content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_draining_the_same_rows_send_each_once() -> None:
    users = [UserFactory.create(email=f"u{i}@example.org") for i in range(30)]
    # autocommit here: without this the commit's kick (eager in tests) would drain at once
    with mock.patch("arrears.notifications._kick"):
        services.notification_send(recipients=users, kind="k", title="t", email=True)
    # when: two workers drain at once
    results = succeeded(run_at_once(messages_deliver_due, 2))
    # then: SKIP LOCKED splits the rows between them
    assert sum(results) == 30
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert MessageDelivery.objects.filter(state="delivered", attempts=1).count() == 30

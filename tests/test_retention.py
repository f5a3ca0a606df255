"""Retention of the tables that only grow (issue 14): old notifications and settled outbox
rows go in chunks, recent and pending ones stay; expired sessions are cleared; the audit
trails are never touched by the purge and never configurable below six months; the daily
beat entries exist. The partitioned audit trails themselves: tests/test_partitions.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from arrears import audit, config, retention, tasks
from arrears.models import (
    AuditEvent,
    ConfigValue,
    MessageDelivery,
    Notification,
    SecurityEvent,
    UserSession,
)
from arrears.models.outbox import DeliveryState
from complaints.intake import referrals
from complaints.models import CallbackDelivery, Complaint
from config.celery_app import app
from tests.complaints.conftest import City, city, complaint_data
from tests.factories import CountyFactory, UserFactory

__all__ = ["city"]  # the complaints app's fixture, used here for a referring client

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# "Now" of every purge below; rows are written at dates relative to it.
NOW = dt.datetime(2030, 6, 15, 10, tzinfo=SHANGHAI)


def _at(days_ago: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days_ago)


def _notification(user: Any, *, days_ago: int, read: bool, **kw: Any) -> Notification:
    with time_machine.travel(_at(days_ago), tick=False):
        return Notification.objects.create(
            recipient=user,
            kind="test",
            title=f"{days_ago} days, read={read}",
            read_at=timezone.now() if read else None,
            **kw,
        )


def _copy(notification: Notification, state: str, channel: str = "email") -> MessageDelivery:
    with time_machine.travel(notification.created_at, tick=False):
        return MessageDelivery.objects.create(
            notification=notification, channel=channel, address="a@b.cn", subject="s", state=state
        )


# --- notifications -------------------------------------------------------------------------


def test_read_notifications_go_after_a_year_unread_ones_after_three(db: None) -> None:
    # given
    user = UserFactory.create()
    old_read = _notification(user, days_ago=400, read=True)
    recent_read = _notification(user, days_ago=300, read=True)
    old_unread = _notification(user, days_ago=400, read=False)
    ancient_unread = _notification(user, days_ago=1200, read=False)
    # when
    removed = retention.notifications_purge(now=NOW)
    # then
    assert removed == 2
    left = set(Notification.objects.values_list("pk", flat=True))
    assert left == {recent_read.pk, old_unread.pk}
    assert old_read.pk not in left and ancient_unread.pk not in left


def test_a_notification_with_a_pending_copy_stays_and_settled_copies_go_with_theirs(
    db: None,
) -> None:
    user = UserFactory.create()
    waiting = _notification(user, days_ago=400, read=True)
    pending = _copy(waiting, DeliveryState.PENDING)
    sent = _notification(user, days_ago=400, read=True)
    _copy(sent, DeliveryState.DELIVERED)
    _copy(sent, DeliveryState.FAILED, channel="sms")

    assert retention.notifications_purge(now=NOW) == 1

    assert list(Notification.objects.values_list("pk", flat=True)) == [waiting.pk]
    assert list(MessageDelivery.objects.values_list("pk", flat=True)) == [pending.pk]


def test_a_digest_stays_while_an_item_it_took_remains(db: None) -> None:
    # Deleting the digest would set the item's digest to NULL: held again, sent again.
    user = UserFactory.create()
    digest = _notification(user, days_ago=400, read=True)
    item = _notification(user, days_ago=300, read=True, digest=digest, digest_channels="email")

    retention.notifications_purge(now=NOW)
    assert Notification.objects.filter(pk=digest.pk).exists()

    Notification.objects.filter(pk=item.pk).delete()
    retention.notifications_purge(now=NOW)
    assert not Notification.objects.filter(pk=digest.pk).exists()


def test_the_purge_walks_the_table_in_chunks(db: None, monkeypatch: Any) -> None:
    monkeypatch.setattr(retention, "CHUNK", 3)
    user = UserFactory.create()
    old = [_notification(user, days_ago=500 - i, read=True) for i in range(10)]
    young = [_notification(user, days_ago=10, read=True) for _ in range(4)]

    assert retention.notifications_purge(now=NOW) == len(old)
    assert set(Notification.objects.values_list("pk", flat=True)) == {n.pk for n in young}


def test_notification_retention_has_floors() -> None:
    with pytest.raises(ValidationError):
        config.REGISTRY["retention.notification_read_days"].parse("7")
    with pytest.raises(ValidationError):
        config.REGISTRY["retention.outbox_days"].parse("1")


def test_an_administrator_may_keep_notifications_longer(db: None) -> None:
    user = UserFactory.create()
    _notification(user, days_ago=400, read=True)
    ConfigValue.objects.create(key="retention.notification_read_days", value="730")
    config.forget()
    assert retention.notifications_purge(now=NOW) == 0


# --- the outbox ----------------------------------------------------------------------------


def _callback(city: City, complaint: Complaint, *, days_ago: int, state: str) -> CallbackDelivery:
    with time_machine.travel(_at(days_ago), tick=False):
        return CallbackDelivery.objects.create(
            client=city.client, complaint=complaint, payload={}, state=state
        )


def test_settled_outbox_rows_go_after_six_months_pending_ones_never(city: City) -> None:
    # given callbacks and e-mail copies, old and recent, delivered, failed and pending
    complaint, _ = referrals.referral_submit(
        client=city.client, external_id="R-1", data=complaint_data(county_code="369902")
    )
    CallbackDelivery.objects.all().delete()
    keep = {
        _callback(city, complaint, days_ago=400, state=DeliveryState.PENDING).pk,
        _callback(city, complaint, days_ago=100, state=DeliveryState.DELIVERED).pk,
    }
    for state in (DeliveryState.DELIVERED, DeliveryState.FAILED):
        _callback(city, complaint, days_ago=200, state=state)
    user = UserFactory.create()
    unread = _notification(user, days_ago=200, read=False)  # the inbox keeps it
    old_copy = _copy(unread, DeliveryState.DELIVERED)
    # when
    removed = retention.outbox_purge(now=NOW)
    # then
    assert removed == {
        "arrears.MessageDelivery": 1,
        "complaints.CallbackDelivery": 2,
        "complaints.ComplainantSms": 0,
    }
    assert set(CallbackDelivery.objects.values_list("pk", flat=True)) == keep
    assert not MessageDelivery.objects.filter(pk=old_copy.pk).exists()
    assert Notification.objects.filter(pk=unread.pk).exists()


def test_every_outbox_table_is_purged() -> None:
    labels = {m._meta.label for m in retention.outbox_models()}
    assert labels == {
        "arrears.MessageDelivery",
        "complaints.CallbackDelivery",
        "complaints.ComplainantSms",
    }


# --- sessions ------------------------------------------------------------------------------


def test_expired_sessions_and_stale_session_rows_are_cleared(db: None) -> None:
    user = UserFactory.create()
    now = timezone.now()
    Session.objects.create(
        session_key="expired", session_data="", expire_date=now - dt.timedelta(hours=1)
    )
    Session.objects.create(
        session_key="live", session_data="", expire_date=now + dt.timedelta(hours=1)
    )
    UserSession.objects.create(
        session_key="live", user=user, created_at=now - dt.timedelta(hours=1), last_seen_at=now
    )
    UserSession.objects.create(
        session_key="idle",
        user=user,
        created_at=now - dt.timedelta(hours=2),
        last_seen_at=now - dt.timedelta(hours=2),
    )

    assert tasks.clear_sessions() == {"user_sessions": 1}

    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
    assert list(UserSession.objects.values_list("session_key", flat=True)) == ["live"]


# --- the audit trails are not the purge's --------------------------------------------------


def test_the_daily_maintenance_never_deletes_audit_records(db: None) -> None:
    # given audit records from three years before, far past the retention period
    with time_machine.travel(_at(1100), tick=False), audit.acting_as(label="test"):
        CountyFactory.create()
        audit.security_event(kind="login", result="success")
    trail = AuditEvent.objects.count(), SecurityEvent.objects.count()
    # when the daily task runs
    with time_machine.travel(NOW, tick=False):
        result = tasks.maintain_tables()
    # then they are still there: only audit_archive removes them, after writing a file
    assert (AuditEvent.objects.count(), SecurityEvent.objects.count()) == trail
    # (on PostgreSQL it may drop month partitions past the retention that hold no row)
    assert result["notifications"] == 0


def test_the_audit_floor_is_six_months() -> None:
    setting = config.REGISTRY["audit.retention_days"]
    assert setting.minimum == 180 and setting.default >= 180
    with pytest.raises(ValidationError):
        setting.parse("179")


def test_the_retention_command_reports_what_it_deleted(db: None, capsys: Any) -> None:
    user = UserFactory.create()
    _notification(user, days_ago=4000, read=True)
    call_command("retention")
    out = capsys.readouterr().out
    assert "notifications: 1 deleted" in out
    assert "complaints.CallbackDelivery: 0 deleted" in out


# --- beat ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "task"),
    [
        ("retention-maintain-tables", "arrears.tasks.maintain_tables"),
        ("sessions-clear", "arrears.tasks.clear_sessions"),
    ],
)
def test_beat_runs_the_maintenance_daily(entry: str, task: str) -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE[entry]
    assert schedule["task"] == task
    assert schedule["schedule"] == 24 * 3600
    assert task in app.tasks

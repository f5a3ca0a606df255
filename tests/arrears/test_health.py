"""/healthz (the process answers) and /readyz (database, cache, broker, media, and the
heartbeats kept in the database: one per queue's workers, and beat's), with the alerts a stale
heartbeat sends."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from kombu import Connection

from arrears import health
from arrears.models import Heartbeat, Notification, User
from arrears.tasks import heartbeat, sweep_deadlines
from config.celery_app import app
from tests.factories import UserFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# A fixed moment: nothing here depends on the day the tests run.
NOW = dt.datetime(2026, 3, 2, 10, 20, tzinfo=SHANGHAI)
QUEUES: list[str] = settings.WORKER_QUEUES
WORKERS = {f"worker:{queue}" for queue in QUEUES}
CHECKS = {"database", "cache", "broker", "beat", "media"} | WORKERS


def _beats(worker_age: float | None, beat_age: float | None) -> None:
    """Heartbeats written that many minutes before NOW (None: never written), the workers'
    of every queue alike."""
    ages = [(name, worker_age) for name in sorted(WORKERS)] + [("beat", beat_age)]
    for name, age in ages:
        if age is not None:
            health.heartbeat_record(name=name, at=NOW - dt.timedelta(minutes=age))


def _readyz(at: dt.datetime = NOW) -> Any:
    with time_machine.travel(at, tick=False):
        return Client().get("/readyz")


@dataclass(frozen=True)
class Admins:
    """Who hears about a stalled worker: the city office; a superuser; and who does not."""

    office: User
    root: User
    inspector: User


@pytest.fixture
def admins(db: None) -> Admins:
    return Admins(
        office=UserFactory.create(city_office=True, email="office@example.org"),
        root=UserFactory.create(role="inspector", is_superuser=True),
        inspector=UserFactory.create(role="inspector"),
    )


def test_healthz_is_only_the_process(db: None, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_green_when_everything_answers_and_the_heartbeats_are_fresh(
    admins: Admins,
) -> None:
    # given a worker that beat a minute ago and a sweep four minutes ago
    _beats(worker_age=1, beat_age=4)
    # when
    response = _readyz()
    # then
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECKS
    for name, check in body["checks"].items():
        assert check["ok"] is True, name
        assert isinstance(check["detail"], str) and check["detail"]
    assert "1 分钟前" in body["checks"]["worker:deadlines"]["detail"]
    assert not Notification.objects.exists()


def test_readyz_fails_and_alerts_when_the_heartbeats_are_stale(
    admins: Admins, settings: Any
) -> None:
    # given a worker silent for 10 minutes (limit 5) and a sweep 20 minutes ago (limit 15)
    settings.ADMINS = [("Ops", "ops@example.org")]
    _beats(worker_age=10, beat_age=20)
    # when
    response = _readyz()
    # then not ready, the other checks still reported
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert {name for name, check in body["checks"].items() if not check["ok"]} == WORKERS | {"beat"}
    assert "10 分钟前" in body["checks"]["worker:outbox"]["detail"]
    # and the administrators (city office, superusers; not inspectors) are alerted
    alerted = Notification.objects.filter(kind="health.stale")
    assert set(alerted.values_list("recipient", flat=True)) == {
        admins.office.pk,
        admins.root.pk,
    }
    # one alert naming every queue without a worker, one about beat, × two administrators
    assert alerted.count() == 4
    workers_alert = alerted.filter(title__contains="worker").first()
    assert workers_alert is not None
    assert all(queue in workers_alert.title for queue in QUEUES)
    assert len(mail.outbox) == 2  # ADMINS mailed directly, once per heartbeat
    # probed again within the hour: nothing new
    _readyz(NOW + dt.timedelta(minutes=30))
    assert alerted.count() == 4
    assert len(mail.outbox) == 2
    # the next hour, still stale: alerted again
    _readyz(NOW + dt.timedelta(minutes=45))
    assert alerted.count() == 8
    assert len(mail.outbox) == 4


def test_thresholds_come_from_settings(admins: Admins, settings: Any) -> None:
    _beats(worker_age=10, beat_age=20)
    settings.READYZ_WORKER_MINUTES = 11
    settings.READYZ_BEAT_MINUTES = 21
    assert _readyz().status_code == 200


def test_heartbeats_never_written_are_not_ready_but_not_alerted(admins: Admins) -> None:
    # a fresh install: beat has not sent its first tasks yet
    response = _readyz()
    assert response.status_code == 503
    assert response.json()["checks"]["worker:jobs"] == {"ok": False, "detail": "从未记录"}
    assert not Notification.objects.exists()


def test_a_clock_slightly_ahead_on_another_node_is_fresh(admins: Admins) -> None:
    _beats(worker_age=-1, beat_age=-1)
    assert _readyz().status_code == 200


def test_a_failing_broker_answers_within_seconds(
    admins: Admins, monkeypatch: pytest.MonkeyPatch
) -> None:
    _beats(worker_age=1, beat_age=1)

    def unreachable(**kwargs: Any) -> Connection:
        # nothing listens on port 9
        return Connection("redis://127.0.0.1:9/0", **kwargs)

    monkeypatch.setattr(app, "connection_for_write", unreachable)
    started = time.monotonic()
    response = _readyz()
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False
    assert checks["broker"]["detail"]
    assert all(checks[name]["ok"] for name in CHECKS - {"broker"})


def test_a_cache_that_forgets_fails(admins: Admins, monkeypatch: pytest.MonkeyPatch) -> None:
    _beats(worker_age=1, beat_age=1)
    monkeypatch.setattr(health.cache, "get", lambda key: None)
    response = _readyz()
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["ok"] is False


def test_unwritable_media_fails(admins: Admins, settings: Any, tmp_path: Path) -> None:
    _beats(worker_age=1, beat_age=1)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    # a folder that cannot be created, whoever runs the tests (root included)
    settings.MEDIA_ROOT = str(blocker / "media")
    response = _readyz()
    assert response.status_code == 503
    assert response.json()["checks"]["media"]["ok"] is False


def test_media_check_leaves_nothing_behind(admins: Admins) -> None:
    _beats(worker_age=1, beat_age=1)
    before = set(Path(settings.MEDIA_ROOT).iterdir())
    assert _readyz().status_code == 200
    assert set(Path(settings.MEDIA_ROOT).iterdir()) == before


def test_the_heartbeat_task_marks_the_worker_and_alerts_about_a_stopped_sweep(
    admins: Admins,
) -> None:
    # given a sweep that last ran 40 minutes ago
    _beats(worker_age=None, beat_age=40)
    # when a worker runs the heartbeat task beat sends every minute
    with time_machine.travel(NOW, tick=False):
        alerted = heartbeat.apply().get()
    # then the default queue is marked served now, and the administrators hear about the sweep
    assert Heartbeat.objects.get(name="worker:celery").at == NOW
    assert alerted == ["beat"]
    assert Notification.objects.filter(kind="health.stale").count() == 2
    # a minute later, same hour: no second alert
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        assert heartbeat.apply().get() == []
    assert Notification.objects.filter(kind="health.stale").count() == 2


def test_the_heartbeat_task_is_quiet_while_the_sweep_runs(admins: Admins) -> None:
    _beats(worker_age=None, beat_age=3)
    with time_machine.travel(NOW, tick=False):
        assert heartbeat.apply().get() == []
    assert not Notification.objects.exists()


def test_a_finished_sweep_marks_beat(db: None) -> None:
    with time_machine.travel(NOW, tick=False):
        sweep_deadlines.apply().get()
    assert Heartbeat.objects.get(name="beat").at == NOW


def test_heartbeats_are_one_row_each(db: None) -> None:
    health.heartbeat_record(name="worker:outbox", at=NOW)
    health.heartbeat_record(name="worker:outbox", at=NOW + dt.timedelta(minutes=1))
    assert list(Heartbeat.objects.values_list("name", "at")) == [
        ("worker:outbox", NOW + dt.timedelta(minutes=1))
    ]


def test_a_queue_nobody_consumes_is_named(admins: Admins) -> None:
    # given workers beating on every queue but jobs, whose last worker stopped 10 minutes ago
    _beats(worker_age=1, beat_age=1)
    health.heartbeat_record(name="worker:jobs", at=NOW - dt.timedelta(minutes=10))
    # when
    response = _readyz()
    # then not ready, for that queue alone, and the alert names it
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert [name for name, check in checks.items() if not check["ok"]] == ["worker:jobs"]
    alert = Notification.objects.get(kind="health.stale", recipient=admins.office)
    assert "jobs" in alert.title
    assert "deadlines" not in alert.title
    # a second queue going silent within the hour is news: alerted again, naming both
    health.heartbeat_record(name="worker:outbox", at=NOW - dt.timedelta(minutes=10))
    _readyz()
    latest = Notification.objects.filter(kind="health.stale", recipient=admins.office)
    assert latest.count() == 2
    assert "outbox、jobs" in latest.latest("pk").title


def test_the_heartbeat_marks_the_queue_it_was_sent_to(db: None) -> None:
    with time_machine.travel(NOW, tick=False):
        heartbeat.apply(args=("outbox",)).get()
    assert list(Heartbeat.objects.values_list("name", flat=True)) == ["worker:outbox"]


def test_beat_sends_the_heartbeat_every_minute_to_every_queue() -> None:
    schedule: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
    entries = {entry["task"]: entry for entry in schedule.values()}
    beats = [entry for entry in schedule.values() if entry["task"] == "arrears.tasks.heartbeat"]
    assert {entry["schedule"] for entry in beats} == {60}
    # each entry sent to its queue, naming it, so only a worker of that queue can run it
    assert sorted((entry["options"]["queue"], *entry["args"]) for entry in beats) == sorted(
        (queue, queue) for queue in QUEUES
    )
    # the sweep runs well within the beat threshold
    beat_limit: int = settings.READYZ_BEAT_MINUTES
    assert entries["arrears.tasks.sweep_deadlines"]["schedule"] < beat_limit * 60

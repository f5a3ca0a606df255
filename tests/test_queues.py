"""Queues by kind of work (config/settings/base.py, CELERY_TASK_ROUTES): every task of the
project has a queue a worker consumes, and an export waiting on the jobs queue does not hold up
the deadline sweep on its own."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from arrears import jobs, notifications, services
from arrears.enqueue import enqueue
from arrears.models import Heartbeat
from arrears.tasks import sweep_deadlines
from complaints.integration import callbacks
from config.celery_app import app

PROJECT = ("arrears.", "complaints.", "projects.", "reporting.")
QUEUES: list[str] = settings.WORKER_QUEUES


def _project_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if name.startswith(PROJECT))


def _queue_of(name: str, options: dict[str, Any] | None = None) -> str:
    # The router a send goes through (routes, then the task's default queue).
    route = app.amqp.router.route(dict(options or {}), name, (), {})
    return str(route["queue"].name)


def test_every_task_of_the_project_has_a_route_to_a_known_queue() -> None:
    tasks = _project_tasks()
    assert len(tasks) >= 15  # the autodiscovery found the apps' tasks modules
    routes: dict[str, dict[str, str]] = settings.CELERY_TASK_ROUTES
    unrouted = [name for name in tasks if name not in routes]
    assert not unrouted, f"add these to _TASKS_BY_QUEUE in config/settings/base.py: {unrouted}"
    assert {name: _queue_of(name) for name in tasks} == {
        name: routes[name]["queue"] for name in tasks
    }
    assert {routes[name]["queue"] for name in tasks} <= set(QUEUES)
    # and no route names a task that no longer exists
    assert set(routes) <= set(tasks)


def test_the_names_services_send_by_are_routed_to_their_kind_of_work() -> None:
    assert _queue_of(jobs.RUN_JOB) == "jobs"
    assert _queue_of(services.RECOMPUTE_DEADLINES) == "deadlines"
    assert _queue_of(notifications.DELIVER_MESSAGES) == "outbox"
    assert _queue_of(callbacks.DELIVER_CALLBACKS) == "outbox"
    assert _queue_of("arrears.tasks.sweep_jobs") == "deadlines"


def test_beat_sends_each_entry_to_a_known_queue() -> None:
    tasks = set(_project_tasks())
    schedule: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
    for key, entry in schedule.items():
        assert entry["task"] in tasks, key
        assert _queue_of(entry["task"], entry.get("options")) in QUEUES, key


def test_a_slow_export_and_an_escalation_never_share_a_queue() -> None:
    # The escalations' sweep and everything long (exports, imports, dashboard warming, the
    # audit chains' walk) are consumed by different workers.
    slow = {jobs.RUN_JOB, "reporting.tasks.warm_dashboards", "arrears.tasks.verify_audit"}
    assert _queue_of("arrears.tasks.sweep_deadlines") not in {_queue_of(name) for name in slow}


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_sweep_runs_while_an_export_waits_for_a_jobs_worker() -> None:
    # given an export queued first, on the jobs queue, whose workers are all busy (here:
    # none is running at all)
    app.conf.task_always_eager = False
    try:
        enqueue(jobs.RUN_JOB, 999_999)
        # when the deadline sweep is sent after it, with a worker of the deadlines queue only
        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=30,
            queues=["deadlines"],
        ):
            sweep_deadlines.delay()
            give_up = time.monotonic() + 60
            while time.monotonic() < give_up:
                if Heartbeat.objects.filter(name="beat").exists():
                    break
                time.sleep(0.2)
        # (the export still waits on its own queue: the deadlines worker never took it)
        with app.connection_for_write() as conn:
            channel: Any = conn.default_channel  # kombu's virtual channel (Redis or files)
            waiting = channel.queue_purge("jobs")
    finally:
        app.conf.task_always_eager = True
    # then the sweep ran (it marks beat's heartbeat when it finishes)
    assert Heartbeat.objects.filter(name="beat").exists()
    assert waiting == 1


ROOT = Path(__file__).resolve().parent.parent


def _queue_lists(text: str) -> list[set[str]]:
    return [set(found.split(",")) for found in re.findall(r"--queues=([\w,$%]+)", text)]


def test_the_deployments_start_a_worker_for_every_queue() -> None:
    kinds = set(QUEUES) - {settings.QUEUE_DEFAULT}
    # docker-compose.yml: a service per queue, each also serving the default one
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    workers = {name: service for name, service in compose["services"].items() if "worker" in name}
    assert {service["environment"]["QUEUE"] for service in workers.values()} == kinds
    # (each also serving the default queue; "$$" is compose's escape of "$")
    for service in workers.values():
        assert _queue_lists(service["command"]) == [{"$$QUEUE", "celery"}]
    # systemd: the template unit, one instance per queue in the guide
    unit = (ROOT / "deploy/systemd/arrears-worker@.service").read_text()
    assert _queue_lists(unit) == [{"%i", "celery"}]
    guide = (ROOT / "docs/deployment.md").read_text()
    assert kinds <= set(re.findall(r"arrears-worker@(\w+)", guide))
    # make run: one worker for everything; make smoke-prod: workers covering every queue
    assert _queue_lists((ROOT / "scripts/run-dev.sh").read_text()) == [set(QUEUES)]
    smoke = _queue_lists((ROOT / "scripts/smoke-prod.sh").read_text())
    assert set().union(*smoke) == set(QUEUES)

"""Sending a task by its registered name, so that a service never imports the tasks module that
calls it back.

Tasks are thin (`tasks.py` loads a row and calls a service), so a tasks module imports the
services it runs; a service that must enqueue follow-up work would import the tasks module back,
and the two would form a cycle. Instead each service module names its follow-up task once, as a
constant (`jobs.RUN_JOB = "arrears.tasks.run_job"`), the tasks module registers the task under
that constant, and the service sends it through the app's registry. `.delay` on the registered
task keeps every Celery behaviour the direct call had (eager mode in tests, routing, retries)."""

from __future__ import annotations

from typing import Any

from celery import current_app


def task(name: str) -> Any:
    """The task registered under `name`. A worker imports every app's tasks module when it
    starts; a web process has not, so the first send there runs the same autodiscovery."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def enqueue(name: str, *args: Any, **kwargs: Any) -> Any:
    return task(name).delay(*args, **kwargs)

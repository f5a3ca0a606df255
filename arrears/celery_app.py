"""The Celery app. Settings come from Django settings (CELERY_*), beat schedule included."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arrears.settings.local")

app = Celery("arrears")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_tokens: dict[str, object] = {}


@task_prerun.connect
def _name_the_actor(task_id: str, task: object, **_: object) -> None:
    # Everything a task records in the audit trail names the task as its actor.
    from arrears import audit

    token = audit._actor.set(audit.Actor(label=f"task:{getattr(task, 'name', '?')}"))
    _tokens[task_id] = token


@task_postrun.connect
def _forget_the_actor(task_id: str, **_: object) -> None:
    from arrears import audit

    token = _tokens.pop(task_id, None)
    if token is not None:
        audit._actor.reset(token)  # type: ignore[arg-type]

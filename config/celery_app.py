"""The Celery app. Settings come from Django settings (CELERY_*), beat schedule included."""

import os
from logging.config import dictConfig

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun
from django.conf import settings

# Neither module touches the models, so both may load before Django does (this module is
# imported with the settings, through the config package).
from arrears import actors, logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("arrears")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _redbeat_settings_by_their_own_names(sender: Celery, **_: object) -> None:
    # RedBeat reads CELERY_REDBEAT_* (settings, namespaced) but checks for its URL and options
    # under the bare names, and warns at every start that it falls back to the broker's. The
    # same values again under those names (nothing set without Redis: no RedBeat then).
    conf = sender.conf
    if conf.get("redbeat_redis_url"):
        conf.redbeat_redis_url = conf.get("redbeat_redis_url")
        conf.redbeat_redis_options = conf.get("redbeat_redis_options") or {}


_tokens: dict[str, object] = {}
_request_ids: dict[str, object] = {}


@setup_logging.connect
def _keep_django_logging(**_: object) -> None:
    # With a receiver here Celery leaves logging alone instead of putting its own handler
    # on the root logger: the worker logs through settings.LOGGING like the web (JSON when
    # LOG_FORMAT=json, the task id on every line).
    dictConfig(settings.LOGGING)


@task_prerun.connect
def _name_the_request(task_id: str, **_: object) -> None:
    # A task's log lines carry its id where a request's carry the request id.
    _request_ids[task_id] = logs.request_id.set(task_id)


@task_postrun.connect
def _forget_the_request(task_id: str, **_: object) -> None:
    token = _request_ids.pop(task_id, None)
    if token is not None:
        logs.request_id.reset(token)  # type: ignore[arg-type]


@task_prerun.connect
def _name_the_actor(task_id: str, task: object, **_: object) -> None:
    # Everything a task records in the audit trail names the task as its actor.
    token = actors._actor.set(actors.Actor(label=f"task:{getattr(task, 'name', '?')}"))
    _tokens[task_id] = token


@task_postrun.connect
def _forget_the_actor(task_id: str, **_: object) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        actors._actor.reset(token)  # type: ignore[arg-type]

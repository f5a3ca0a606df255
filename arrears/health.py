"""Readiness: can this node serve, and are the background processes it relies on alive?

/healthz only says the process answers; /readyz (this module) checks the database, the cache,
the broker, media storage, and heartbeats kept in the database: "worker:<queue>" for each
queue of settings.WORKER_QUEUES (written by whichever worker consumes that queue, when it runs
the heartbeat task beat sends there every minute: a queue nobody consumes shows up by name) and
"beat" (written after every deadline sweep, the job that must never stop). A stale heartbeat
also alerts the administrators, at most once an hour."""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass, field

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import mail_admins
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import offices, services
from arrears.models import Heartbeat, User

logger = logging.getLogger(__name__)

WORKER = "worker"
BEAT = "beat"


def worker_check(queue: str) -> str:
    """The heartbeat (and /readyz check) of the workers consuming `queue`."""
    return f"{WORKER}:{queue}"


def _worker_checks() -> list[str]:
    return [worker_check(queue) for queue in settings.WORKER_QUEUES]


# Seconds the broker may take to accept a connection: a load balancer probing every few
# seconds must get an answer, not hang behind kombu's default retry loop.
BROKER_TIMEOUT = 2


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str
    # A heartbeat that is old (not a failed query): what deserves an alert.
    stale: bool = False


@dataclass(frozen=True)
class Report:
    checks: dict[str, Check] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks.values())

    def as_json(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "fail",
            "checks": {
                name: {"ok": check.ok, "detail": check.detail}
                for name, check in self.checks.items()
            },
        }


def heartbeat_record(*, name: str, at: datetime.datetime | None = None) -> None:
    """Upsert the heartbeat: one statement, so two workers beating at once cannot collide."""
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, at=at or timezone.now())],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["at"],
    )


def _failed(exc: BaseException) -> Check:
    # The reason, short; the whole traceback goes to the log, not to whoever probes /readyz.
    return Check(ok=False, detail=f"{type(exc).__name__}: {exc}"[:200])


def _database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return Check(ok=True, detail=_("数据库可用"))


def _cache() -> Check:
    # A key of our own, so probes from several nodes at once do not read each other's value.
    key = f"arrears:readyz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=30)
    found = cache.get(key)
    cache.delete(key)
    if found != "ok":
        return Check(ok=False, detail=_("缓存写入后读不到"))
    return Check(ok=True, detail=_("缓存可用"))


def _broker() -> Check:
    # The app the process runs (the configuration package sets it current); the kernel never
    # imports the configuration.
    with current_app.connection_for_write(connect_timeout=BROKER_TIMEOUT) as conn:
        conn.ensure_connection(
            max_retries=1, interval_start=0, interval_step=1, timeout=BROKER_TIMEOUT
        )
    return Check(ok=True, detail=_("消息队列可连接"))


def _media() -> Check:
    # Through the storage API, so a shared store configured later is what gets checked.
    name = default_storage.save(f"readyz-{uuid.uuid4().hex}.tmp", ContentFile(b"ok"))
    default_storage.delete(name)
    return Check(ok=True, detail=_("附件目录可写"))


def _heartbeat(at: datetime.datetime | None, now: datetime.datetime, limit: int) -> Check:
    if at is None:
        # Not ready, but no alert: on a fresh install the first sweep is a minute away,
        # and a process that never ran is what the deployment check (503 here) is for.
        return Check(ok=False, detail=_("从未记录"))
    # A node whose clock runs a little ahead may write a time in the future: that is fresh.
    minutes = max(0, int((now - at).total_seconds() // 60))
    detail = _("最近一次 %(at)s（%(minutes)s 分钟前，限 %(limit)s 分钟）") % {
        "at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S"),
        "minutes": minutes,
        "limit": limit,
    }
    if now - at > datetime.timedelta(minutes=limit):
        return Check(ok=False, stale=True, detail=detail)
    return Check(ok=True, detail=detail)


def _heartbeats(now: datetime.datetime) -> dict[str, Check]:
    names = [*_worker_checks(), BEAT]
    beats = dict(Heartbeat.objects.filter(name__in=names).values_list("name", "at"))
    checks = {
        name: _heartbeat(beats.get(name), now, settings.READYZ_WORKER_MINUTES)
        for name in _worker_checks()
    }
    checks[BEAT] = _heartbeat(beats.get(BEAT), now, settings.READYZ_BEAT_MINUTES)
    return checks


def readiness(*, now: datetime.datetime | None = None) -> Report:
    """Every check, each caught on its own: one failing check never hides the others."""
    now = now or timezone.now()
    checks: dict[str, Check] = {}
    for name, probe in (("database", _database), ("cache", _cache), ("broker", _broker)):
        try:
            checks[name] = probe()
        except Exception as exc:
            logger.warning("readyz: %s check failed", name, exc_info=True)
            checks[name] = _failed(exc)
    try:
        checks.update(_heartbeats(now))
    except Exception as exc:
        logger.warning("readyz: heartbeats could not be read", exc_info=True)
        for name in [*_worker_checks(), BEAT]:
            checks[name] = _failed(exc)
    try:
        checks["media"] = _media()
    except Exception as exc:
        logger.warning("readyz: media check failed", exc_info=True)
        checks["media"] = _failed(exc)
    return Report(checks=checks)


def _administrators() -> models.QuerySet[User]:
    # The same people the calendar alerts go to (services.calendar_coverage_alert).
    return offices.every_office_and_superusers()


def _alert_texts(name: str, queues: list[str]) -> tuple[str, str]:
    if name == WORKER:
        return (
            _("后台任务进程（Celery worker）无响应：队列 %(queues)s")
            % {"queues": "、".join(queues)},
            _(
                "在规定时间内没有 worker 运行这些队列的心跳任务：消费它们的 worker 已停止，"
                "或其进程全部被长任务占用。排在其中的任务暂不执行"
                "（deadlines：提醒和督办；outbox：回调、邮件和短信；jobs：导出和导入；"
                "reporting：统计预计算和审计校验）。"
                "请检查消费这些队列的 worker 进程（以及发送心跳任务的 beat 进程），"
                "必要时增加该队列的进程数。"
            ),
        )
    return (
        _("定时任务（Celery beat）已停止"),
        _(
            "办理时限的定时扫描在规定时间内没有运行：到期提醒和逐级督办不会发出。"
            "请检查 beat 进程和 worker 的日志。"
        ),
    )


def alert_stale(*, report: Report, now: datetime.datetime | None = None) -> list[str]:
    """Alert the administrators about each stale heartbeat, once per heartbeat and clock hour
    (the dedupe key); the first alert of the hour is also mailed to ADMINS directly, because
    the inbox's e-mail copies are sent by the very worker that may be down."""

    now = now or timezone.now()
    hour = timezone.localtime(now).strftime("%Y-%m-%dT%H")
    alerted = []
    # The queues without a worker make one alert together (all of them, when every worker
    # is down), the beat another.
    stale_queues = [
        name.removeprefix(f"{WORKER}:")
        for name in _worker_checks()
        if (check := report.checks.get(name)) is not None and check.stale
    ]
    for name in (WORKER, BEAT):
        if name == WORKER:
            if not stale_queues:
                continue
            details = [
                f"{queue}: {report.checks[worker_check(queue)].detail}" for queue in stale_queues
            ]
            key = f"health.stale:{WORKER}:{','.join(stale_queues)}:{hour}"
        else:
            check = report.checks.get(name)
            if check is None or not check.stale:
                continue
            details, key = [check.detail], f"health.stale:{name}:{hour}"
        title, body = _alert_texts(name, stale_queues)
        body = "\n".join([body, *details])
        try:
            created = services.notification_send(
                recipients=_administrators(),
                kind="health.stale",
                title=title,
                body=body,
                dedupe_key=key,
                email=True,
            )
        except Exception:
            # The alert is a courtesy on top of the 503: never let it break the probe.
            logger.exception("readyz: could not alert administrators about %s", name)
            continue
        if created:
            logger.error("health: the %s heartbeat is stale (%s)", name, "; ".join(details))
            mail_admins(title, body, fail_silently=True)
            alerted.append(name)
    return alerted


def worker_heartbeat(*, queue: str, now: datetime.datetime | None = None) -> list[str]:
    """The heartbeat task's work: mark the workers of `queue` alive, and since a worker is
    plainly running, a stale "beat" mark means the sweep itself stopped: alert about it."""
    now = now or timezone.now()
    heartbeat_record(name=worker_check(queue), at=now)
    beats = _heartbeats(now)
    return alert_stale(report=Report(checks={BEAT: beats[BEAT]}), now=now)

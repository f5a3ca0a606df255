"""The Django superuser is for installation only (三员分立): every login and every change it
makes in the admin alerts the security administrators (inbox and e-mail, at once) and ADMINS,
and a deploy check warns while more than one exists or one was used lately."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in
from django.core import checks
from django.core.cache import cache
from django.core.mail import mail_admins
from django.db import DatabaseError, models, transaction
from django.db.models.signals import post_save
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from arrears import config, services
from arrears.models import Role, User
from arrears.notifications import Text, kind_register
from arrears.ratelimit import client_ip

logger = logging.getLogger(__name__)

KIND = "security.superuser"
kind_register(KIND, _("超级管理员使用告警"))

config.define(
    "security.superuser_recent_days",
    "int",
    7,
    _("超级管理员在多少天内登录过即在部署检查中告警"),
    source="三员分立：超级管理员仅用于安装（GB/T 22239-2019 8.1.4.2）",
    minimum=1,
    maximum=365,
)

_ACTIONS = {ADDITION: _("新增"), CHANGE: _("修改"), DELETION: _("删除")}


def _security_admins() -> models.QuerySet[Any]:
    return User.objects.filter(is_active=True, role=Role.SECURITY_ADMIN)


def superuser_alert(*, title: Text, body: Text, dedupe_key: str) -> None:
    """One alert: each security administrator's inbox (e-mail at once, no digest) and, after
    commit, ADMINS — who may be the only ones to hear of it while installing, before any
    security administrator exists. The dedupe key makes a repeated signal alert once."""

    services.notification_send(
        recipients=_security_admins(),
        kind=KIND,
        title=title,
        body=body,
        dedupe_key=dedupe_key,
        email=True,
        urgent=True,
    )
    if not settings.ADMINS:
        return
    # ADMINS are not users, so the inbox's dedupe key cannot guard them: the cache does (a
    # day is far longer than any repeat of the same signal).
    if not cache.add(f"superuser-alert:{dedupe_key}", 1, timeout=86400):
        return

    def send() -> None:
        # In the installation's language: ADMINS have no language of their own.
        with translation.override(settings.LANGUAGE_CODE):
            mail_admins(title.render(), body.render(), fail_silently=True)

    transaction.on_commit(send)


def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if not getattr(user, "is_superuser", False):
        return

    now = timezone.localtime()
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None) or now.isoformat()
    address = client_ip(request) if request is not None else ""
    logger.warning("superuser %s logged in from %s", user.get_username(), address or "-")
    superuser_alert(
        title=Text(_("超级管理员 %(user)s 登录了系统"), user=user.get_username()),
        body=Text(
            _(
                "超级管理员账号仅用于安装。%(user)s 于 %(at)s 从 %(ip)s 登录。"
                "如非计划中的安装或维护，请立即核查并停用该账号。"
            ),
            user=user.get_username(),
            at=now.strftime("%Y-%m-%d %H:%M:%S"),
            ip=address or "-",
        ),
        dedupe_key=f"superuser.login:{user.pk}:{key}",
    )


def _entry_alert(*, user: Any, what: str, count: int, action: Any, dedupe_key: str) -> None:
    superuser_alert(
        title=Text(_("超级管理员 %(user)s 在管理后台修改了数据"), user=user.get_username()),
        body=Text(
            _("%(user)s 于 %(at)s %(action)s：%(what)s（%(n)s 项）。变更明细见审计记录。"),
            user=user.get_username(),
            at=timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
            action=action,
            what=what,
            n=count,
        ),
        dedupe_key=dedupe_key,
    )


def on_log_entry(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """The admin writes a LogEntry for each add, change and single delete it makes."""
    if not created or not instance.user.is_superuser:
        return
    model = instance.content_type.name if instance.content_type is not None else ""
    _entry_alert(
        user=instance.user,
        what=f"{model} {instance.object_repr}".strip(),
        count=1,
        action=_ACTIONS.get(instance.action_flag, ""),
        dedupe_key=f"superuser.admin:{instance.pk}",
    )


def bulk_deleted(*, user: Any, model: type[models.Model], count: int) -> None:
    """Deleting several rows at once logs them with bulk_create, which sends no post_save:
    the admin's delete action reports them here (arrears.admin)."""
    if not user.is_superuser or count <= 1:
        return
    latest = LogEntry.objects.filter(user=user).order_by("-pk").values_list("pk", flat=True)
    _entry_alert(
        user=user,
        what=str(model._meta.verbose_name),
        count=count,
        action=_ACTIONS[DELETION],
        dedupe_key=f"superuser.admin-bulk:{user.pk}:{latest.first()}",
    )


@checks.register(checks.Tags.security, deploy=True)  # type: ignore[type-var]
def check_superusers(
    app_configs: Any = None, databases: list[str] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """`manage.py check --deploy --database default`: the superuser is for installation only.
    Without --database Django runs no check that reads the database, nor does this one."""
    if not databases:
        return []

    try:
        supers = list(
            User.objects.filter(is_superuser=True, is_active=True).values_list(
                "username", "last_login"
            )
        )
        days = int(config.get("security.superuser_recent_days"))
    except DatabaseError:
        return []  # not migrated yet: nothing to say about its users
    found: list[checks.CheckMessage] = []
    if len(supers) > 1:
        found.append(
            checks.Warning(
                f"{len(supers)} active superusers ({', '.join(sorted(u for u, _ in supers))}).",
                hint="Keep one, for installation only; administrators work with the system, "
                "security and audit administrator roles (docs/security.md).",
                id="arrears.W101",
            )
        )
    since = timezone.now() - datetime.timedelta(days=days)
    recent = sorted(u for u, last in supers if last is not None and last >= since)
    if recent:
        found.append(
            checks.Warning(
                f"Superuser login in the last {days} days: {', '.join(recent)}.",
                hint="The superuser is for installation only; each use alerted the security "
                "administrators. Check that it was planned.",
                id="arrears.W102",
            )
        )
    return found


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="arrears.superuser.login")
    post_save.connect(on_log_entry, sender=LogEntry, dispatch_uid="arrears.superuser.log_entry")

"""The audit trails: the change trail (one row per created, changed or deleted domain record,
bulk updates too) and the security events (logins, lockouts, role changes, exports, reveals…).

Both are chained (arrears/audit/chain.py): every row carries a sequence number without gaps and
a MAC over its content and the previous row's MAC, so an edited or removed row is found by
`manage.py audit_verify`. On PostgreSQL a trigger refuses UPDATE and DELETE on them (migration
0010); only `audit_archive` may delete, and only what it has written to an archive file.

On PostgreSQL both trails are partitioned by month of `occurred_at` (migration 0018,
arrears/retention.py): there the primary key is (id, occurred_at) and the chain's unique
constraint (seq, occurred_at), as a partitioned table requires; the models keep `id` as the
primary key (the admin cannot register a composite one) and `seq` as the constraint's field,
which is what SQLite enforces."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")


class Chained(models.Model):
    """What every chained record carries. Written only by arrears.audit.chain.append, which
    numbers the rows and computes their MACs under one lock."""

    # Set here, not by auto_now_add: the MAC is computed over the time before the insert.
    occurred_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    seq = models.BigIntegerField(_("序号"))
    mac = models.CharField(_("校验码"), max_length=64)

    class Meta:
        abstract = True


def _actor_field() -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        # DO_NOTHING and no constraint: the trail must survive the deletion of the user it
        # names (the actor is copied into actor_label), and SET_NULL would be an UPDATE, which
        # the append-only trigger refuses.
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )


class AuditEvent(Chained):
    actor = _actor_field()
    actor_label = models.CharField(_("操作人标识"), max_length=150)
    action = models.CharField(_("操作"), max_length=10, choices=AuditAction.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(_("对象ID"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=200)
    # {"field": [old, new]}; personal identifiers are masked before they get here.
    changes = models.JSONField(_("变更内容"), default=dict)
    bulk = models.BooleanField(_("批量操作"), default=False)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            # The chain's order; also serves the writer's head lookup (ORDER BY seq DESC
            # LIMIT 1) and audit_verify's walk (ORDER BY seq).
            models.UniqueConstraint(fields=["seq"], name="auditevent_seq_unique"),
        ]
        indexes = [
            # The history of one record: WHERE content_type_id = ? AND object_id = ?.
            models.Index(
                fields=["content_type", "object_id", "-occurred_at"], name="auditevent_object_idx"
            ),
            # What one person did: WHERE actor_id = ? ORDER BY occurred_at DESC.
            models.Index(fields=["actor", "-occurred_at"], name="auditevent_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_repr}"


class SecurityKind(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGOUT = "logout", _("退出登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOCKOUT = "lockout", _("账户锁定")
    UNLOCK = "unlock", _("解除锁定")
    PASSWORD_CHANGED = "password_changed", _("修改密码")
    OTP_DEVICE_ADDED = "otp_device_added", _("添加双因素认证设备")
    OTP_DEVICE_REMOVED = "otp_device_removed", _("删除双因素认证设备")
    ROLE_CHANGED = "role_changed", _("角色或权限变更")
    CONFIG_CHANGED = "config_changed", _("配置变更")
    EXPORT = "export", _("导出")
    IMPORT = "import", _("导入")
    REVEAL = "reveal", _("查看完整个人信息")
    API_KEY_USED = "api_key_used", _("使用接口密钥")
    API_KEY_FAILED = "api_key_failed", _("接口密钥认证失败")
    API_KEY_ISSUED = "api_key_issued", _("签发接口密钥")
    API_KEY_REVOKED = "api_key_revoked", _("吊销接口密钥")
    SESSION_ENDED = "session_ended", _("结束会话")
    SUPERUSER_USED = "superuser_used", _("使用超级用户")
    AUDIT_VIEWED = "audit_viewed", _("查看审计记录")
    AUDIT_EXPORTED = "audit_exported", _("导出审计记录")
    AUDIT_VERIFIED = "audit_verified", _("校验审计记录")
    AUDIT_ARCHIVED = "audit_archived", _("归档审计记录")


class SecurityResult(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")
    DENIED = "denied", _("拒绝")


class SecurityEvent(Chained):
    """One security-relevant event (安全审计): who, from where, on what, with what result.
    Written through arrears.audit.security_event; other apps name their own kinds."""

    # Free text, not limited to SecurityKind: the apps add kinds of their own.
    kind = models.CharField(_("事件类型"), max_length=40)
    actor = _actor_field()
    actor_label = models.CharField(_("操作人标识"), max_length=150)
    # Text, not inet: the MAC is computed over exactly what was written (PostgreSQL would
    # rewrite an inet's text form), and an address may be missing.
    address = models.CharField(_("地址"), max_length=64, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    result = models.CharField(_("结果"), max_length=10, choices=SecurityResult.choices)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("安全事件")
        verbose_name_plural = _("安全事件")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            # As AuditEvent's: the chain's order, the head lookup and the verifier's walk.
            models.UniqueConstraint(fields=["seq"], name="securityevent_seq_unique"),
        ]
        indexes = [
            # The audit page filtered by kind: WHERE kind = ? ORDER BY occurred_at DESC.
            models.Index(fields=["kind", "-occurred_at"], name="securityevent_kind_idx"),
            # What one person did: WHERE actor_id = ? ORDER BY occurred_at DESC.
            models.Index(fields=["actor", "-occurred_at"], name="securityevent_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.kind} {self.result}"


class AuditArchive(models.Model):
    """One run of `audit_archive` per trail: the rows up to last_seq went to `file` and were
    deleted; last_mac is where the chain in the database now starts. The row has a MAC of its
    own, so a forged archive record cannot hide deleted rows."""

    archived_at = models.DateTimeField(default=timezone.now)
    table = models.CharField(max_length=63)
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField()
    count = models.BigIntegerField()
    last_mac = models.CharField(max_length=64)
    file = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("审计归档")
        verbose_name_plural = _("审计归档")
        ordering = ["-archived_at", "-id"]

    def __str__(self) -> str:
        return f"{self.table} ≤{self.last_seq}"


class AuditVerification(models.Model):
    """The outcome of one walk over the chains (the daily beat task or `audit_verify`). The
    heads seen are kept so the next walk notices rows cut off the end of a chain."""

    verified_at = models.DateTimeField(default=timezone.now, db_index=True)
    ok = models.BooleanField()
    checked = models.BigIntegerField(default=0)
    # {"arrears_auditevent": [seq, mac], ...}
    heads = models.JSONField(default=dict)
    problems = models.JSONField(default=list)
    seconds = models.FloatField(default=0)
    mac = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("审计校验")
        verbose_name_plural = _("审计校验")
        ordering = ["-verified_at", "-id"]

    def __str__(self) -> str:
        return f"{self.verified_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'FAILED'}"

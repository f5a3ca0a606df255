"""What identification and authentication (身份鉴别) keep beside the user: the hashes of earlier
passwords (so none of the last few is chosen again) and each signed-in browser session (so a
user sees where they are signed in and can end the others)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PasswordHistory(models.Model):
    # Not an AuditedModel: the row is a password hash, which the audit trail never stores.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="password_history",
    )
    password = models.CharField(_("密码哈希"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"))

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        indexes = [
            # The history check and the trim read a user's newest rows first.
            models.Index(fields=["user", "-created_at"], name="passwordhistory_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at.isoformat()}"


class UserSession(models.Model):
    """A signed-in browser session; the Django session row with the same key holds its data."""

    # Not an AuditedModel: last_seen_at is written once a minute per active user; sign-ins
    # and sign-outs are recorded by the security audit trail instead.
    session_key = models.CharField(_("会话标识"), max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="browser_sessions",
    )
    created_at = models.DateTimeField(_("登录时间"))
    last_seen_at = models.DateTimeField(_("最近活动"))
    ip_address = models.GenericIPAddressField(_("地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        indexes = [
            # "My sessions", ending a user's sessions, and the security administrator's list
            # (active ones: last seen within the idle limit) all start from these columns.
            models.Index(fields=["user", "-last_seen_at"], name="usersession_user_seen_idx"),
            models.Index(fields=["-last_seen_at"], name="usersession_seen_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.session_key[:6]}…"

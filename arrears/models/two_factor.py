"""The SMS device of two-factor sign-in: a code sent through the project's SMS backend. The
authenticator-app and recovery-code devices are django-otp's own (otp_totp, otp_static)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.models import CooldownMixin, SideChannelDevice, ThrottlingMixin, TimestampMixin

from arrears.fields import PhoneField
from arrears.sms import get_sms_backend


class SmsDevice(TimestampMixin, CooldownMixin, ThrottlingMixin, SideChannelDevice):
    """A mobile number that receives a short-lived code at each sign-in.

    Sent straight through `settings.SMS_BACKEND`, not through the notification outbox: the
    outbox retries for hours and keeps the rendered text in a table, while a sign-in code is
    useless after a few minutes and must not be stored anywhere but here (and cleared once
    used)."""

    # As django-otp's abstract Device declares it, without a reverse accessor on User: nothing
    # uses one (django-otp queries by user), and the type checker, which does not read
    # django-otp, cannot build it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        help_text="The user that this device belongs to.",
        on_delete=models.CASCADE,
        related_name="+",
    )
    phone = PhoneField(_("手机号码"))

    class Meta:
        verbose_name = _("短信验证设备")
        verbose_name_plural = _("短信验证设备")

    def get_cooldown_duration(self) -> int:
        return int(settings.TWO_FACTOR_SMS_COOLDOWN_SECONDS)

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_SMS_THROTTLE_FACTOR", 1))

    def send_code(self) -> None:
        """Generate a code and text it; the caller checked `generate_is_allowed` first."""

        valid = int(settings.TWO_FACTOR_SMS_VALID_SECONDS)
        self.cooldown_set(commit=False)
        self.generate_token(valid_secs=valid, commit=True)
        # In the recipient's language, like every other message they receive.
        with translation.override(self.user.language):
            text = gettext(
                "【根治欠薪】您的登录验证码为 %(code)s，%(minutes)s分钟内有效。请勿告诉他人。"
            ) % {"code": self.token, "minutes": max(1, valid // 60)}
        get_sms_backend().send(self.phone, text)

    def verify_token(self, token: str) -> bool:
        # Throttled like the other devices: each failure doubles the wait before the next try.
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        verified = bool(super().verify_token(str(token).strip()))
        if verified:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
        else:
            self.throttle_increment()
        return verified

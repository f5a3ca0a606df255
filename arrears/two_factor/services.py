"""Writes for two-factor sign-in: enrolment, recovery codes, SMS codes, verification, removal
and the security administrator's reset. Every change, and every refused code, is logged and
sent as `two_factor_event`, which arrears/two_factor/signals.py writes to the security audit
trail."""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, GenerateNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from arrears import locks, ratelimit
from arrears.models.two_factor import SmsDevice
from arrears.two_factor import policy, selectors

logger = logging.getLogger("arrears.security")

# Sent after every change of a user's devices and every refused code: action is one of
# "enrolled", "removed", "recovery_codes_issued", "reset", "verify_failed"; kind is "totp",
# "sms", "static" or "" (all of them); actor is who acted when it is not the user.
two_factor_event = Signal()

RECOVERY_CODE_COUNT = 10
_SEPARATORS = re.compile(r"[\s\-]+")


def _changed(*, user: Any, action: str, kind: str, actor: Any = None) -> None:
    logger.info(
        "two-factor %s (%s) for user %s by %s",
        action,
        kind or "all",
        user.get_username(),
        actor.get_username() if actor is not None else user.get_username(),
    )
    two_factor_event.send(sender=None, user=user, action=action, kind=kind, actor=actor)


def device_kind(device: Device) -> str:
    if isinstance(device, TOTPDevice):
        return "totp"
    if isinstance(device, SmsDevice):
        return "sms"
    return "static"


def normalize_code(code: str) -> str:
    """Codes as people type them: spaces and hyphens dropped, recovery codes are lower case."""
    return _SEPARATORS.sub("", str(code)).lower()


# --- Authenticator app -----------------------------------------------------------------------


def totp_device_pending(*, user: Any) -> TOTPDevice:
    """The unconfirmed authenticator device being enrolled (made once, so reloading the page
    keeps the QR code the person may already have scanned)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=str(_("身份验证器应用")), confirmed=False
        )
    return device


def totp_device_confirm(*, device: TOTPDevice, code: str) -> bool:
    """Confirm an enrolment with the first code the app shows; False if the code is wrong."""
    with transaction.atomic():
        locked = locks.lock_rows(TOTPDevice.objects.filter(pk=device.pk, confirmed=False))
        current = locked.first()
        if current is None or not current.verify_token(normalize_code(code)):
            return False
        current.confirmed = True
        current.save(update_fields=["confirmed"])
    device.confirmed = True
    _changed(user=device.user, action="enrolled", kind="totp")
    return True


# --- SMS -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmsResult:
    sent: bool
    message: Any  # shown to the user
    retry_at: datetime.datetime | None = None


def sms_code_send(*, device: SmsDevice) -> SmsResult:
    """Text a code, unless one went out less than the cooldown ago or the user had their hourly
    number already (both stop an SMS bill or a phone being flooded through this page)."""
    allowed, info = device.generate_is_allowed()
    if not allowed:
        retry_at = info.get("next_generation_at") if info else None
        if info and info.get("reason") == GenerateNotAllowed.COOLDOWN_DURATION_PENDING:
            return SmsResult(False, _("验证码刚刚已发送，请稍后再试。"), retry_at)
        return SmsResult(False, _("暂时不能发送验证码，请稍后再试。"), retry_at)
    if not ratelimit.hit(
        f"2fa-sms:{device.user_id}",
        limit=int(settings.TWO_FACTOR_SMS_PER_HOUR),
        window_seconds=3600,
    ):
        return SmsResult(False, _("一小时内发送的验证码过多，请稍后再试或改用其他验证方式。"))
    device.send_code()
    return SmsResult(True, _("验证码已发送，请查收短信。"))


def sms_device_start(*, user: Any, phone: str) -> tuple[SmsDevice, SmsResult]:
    """Begin adding a phone: an unconfirmed device (replacing an earlier unfinished one) and its
    first code."""
    with transaction.atomic():
        SmsDevice.objects.filter(user=user, confirmed=False).delete()
        device = SmsDevice(user=user, name=str(_("短信验证码")), phone=phone, confirmed=False)
        device.full_clean(exclude=["user", "token", "valid_until"])
        device.save()
    return device, sms_code_send(device=device)


def sms_device_confirm(*, device: SmsDevice, code: str) -> bool:
    with transaction.atomic():
        current = locks.lock_row_or_none(SmsDevice.objects.all(), pk=device.pk, confirmed=False)
        if current is None or not current.verify_token(normalize_code(code)):
            return False
        current.confirmed = True
        current.save(update_fields=["confirmed"])
    device.confirmed = True
    _changed(user=device.user, action="enrolled", kind="sms")
    return True


# --- Recovery codes --------------------------------------------------------------------------


def recovery_codes_issue(*, user: Any) -> list[str]:
    """Ten new one-time codes, replacing any earlier ones; returned once, to be shown once."""
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=str(_("恢复码")), confirmed=True)
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    _changed(user=user, action="recovery_codes_issued", kind="static")
    return sorted(codes)


def recovery_codes_if_none(*, user: Any) -> list[str] | None:
    """At a first enrolment: codes for the day the phone is lost, unless the user has some."""
    if selectors.recovery_device(user) is not None:
        return None
    return recovery_codes_issue(user=user)


# --- Verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    device: Device | None
    locked_until: datetime.datetime | None = None


def verify(*, user: Any, device_id: str, code: str) -> VerifyResult:
    """Check a code against one of the user's confirmed devices, under its row lock so two
    requests cannot both spend the same code; throttled per device by django-otp (each failure
    doubles the wait)."""
    token = normalize_code(code)
    with transaction.atomic():
        device = Device.from_persistent_id(device_id, for_verify=True)
        if device is None or device.user_id != user.pk or not device.confirmed:
            return VerifyResult(None)
        allowed, info = device.verify_is_allowed()
        if not allowed:
            return VerifyResult(None, (info or {}).get("locked_until"))
        verified = bool(token) and device.verify_token(token)
    if not verified:
        _changed(user=user, action="verify_failed", kind=device_kind(device))
        return VerifyResult(None)
    return VerifyResult(device)


# --- Removal and reset -----------------------------------------------------------------------


def may_remove(*, user: Any, device: Device) -> bool:
    """A device goes only if another one remains or the user need not use two factors."""
    if not policy.required_for(user):
        return True
    others = [d for d in selectors.primary_devices(user) if d.persistent_id != device.persistent_id]
    return bool(others)


def device_remove(*, user: Any, device: Device) -> None:
    if device.user_id != user.pk or isinstance(device, StaticDevice):
        raise ValidationError(_("不能删除该验证方式。"))
    if not may_remove(user=user, device=device):
        raise ValidationError(_("这是您唯一的验证方式，请先添加另一种方式再删除。"))
    kind = device_kind(device)
    with transaction.atomic():
        device.delete()
        if not selectors.primary_devices(user):
            # Codes alone are not a second factor: an optional user who removes the last
            # device stops using two-factor sign-in altogether.
            StaticDevice.objects.filter(user=user).delete()
    _changed(user=user, action="removed", kind=kind)


def two_factor_reset(*, actor: Any, user: Any) -> int:
    """Remove every device of `user` (lost phone): they enrol again at their next sign-in, and
    sessions they verified with a removed device must pass the verify step again."""
    if not policy.can_reset(actor):
        raise PermissionError("only the security administrator resets two-factor sign-in")
    if actor.pk == user.pk:
        raise ValidationError(_("不能重置自己的两步验证，请由另一位安全管理员操作。"))
    removed = 0
    with transaction.atomic():
        for model in (*selectors.PRIMARY_MODELS, StaticDevice):
            removed += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
    _changed(user=user, action="reset", kind="", actor=actor)
    return removed

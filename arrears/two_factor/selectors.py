"""Reads for two-factor sign-in: a user's devices and the security administrator's list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from arrears.models import Role, User
from arrears.models.two_factor import SmsDevice

# The devices that are a second factor on their own; recovery codes only stand in for a lost one.
PRIMARY_MODELS: tuple[type[Device], ...] = (TOTPDevice, SmsDevice)


def primary_devices(user: Any, *, confirmed: bool = True) -> list[Device]:
    devices: list[Device] = []
    for model in PRIMARY_MODELS:
        devices.extend(model.objects.filter(user=user, confirmed=confirmed).order_by("pk"))
    return devices


def has_confirmed_device(user: Any) -> bool:
    """Any confirmed device, recovery codes included (a user left with codes only must use them)."""
    return any(
        model.objects.filter(user=user, confirmed=True).exists()
        for model in (*PRIMARY_MODELS, StaticDevice)
    )


def recovery_device(user: Any) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@dataclass(frozen=True)
class VerifyChoice:
    persistent_id: str
    kind: str  # "totp", "sms", "static"
    device: Device


def verify_choices(user: Any) -> list[VerifyChoice]:
    """The ways `user` can pass the verify step, the authenticator app first."""
    choices = [
        VerifyChoice(d.persistent_id, "totp" if isinstance(d, TOTPDevice) else "sms", d)
        for d in primary_devices(user)
    ]
    static = recovery_device(user)
    if static is not None:
        choices.append(VerifyChoice(static.persistent_id, "static", static))
    return choices


def users_for_reset(query: str = "") -> QuerySet[User]:
    """People (not machine clients) with whether each has a confirmed device, for the security
    administrator's page; at most 200 rows, searched by username or name."""
    users = User.objects.exclude(role=Role.INTEGRATION_CLIENT).order_by("username")
    users = users.annotate(
        has_sms=Exists(SmsDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        has_totp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        has_codes=Exists(StaticDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
    )
    if query:
        users = users.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    return users[:200]

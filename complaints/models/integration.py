from __future__ import annotations

import datetime
import ipaddress
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel
from arrears.models.outbox import OutboxItem

from .complaint import Channel, Complaint


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Addresses or CIDR networks, one per line (commas and spaces also separate)."""
    items = text.replace(",", " ").split()
    # strict=False: "10.12.3.4/16" means the network it lies in, as administrators write it.
    return [ipaddress.ip_network(item, strict=False) for item in items]


def validate_networks(text: str) -> None:
    for item in text.replace(",", " ").split():
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise ValidationError(
                _("“%(item)s”不是有效的地址或网段（CIDR）"), params={"item": item}
            ) from exc


# The stages a work-order type may limit (complaints.integration.work_orders).
WORK_ORDER_STAGES = ("accept", "respond", "close")


def validate_work_order_types(value: Any) -> None:
    """{code: {"name": "咨询", "close": 2, …}}: each type a name and at least one stage of
    1 to 365 working days."""
    if not isinstance(value, dict):
        raise ValidationError(
            gettext("工单类型应为 JSON 对象：{类型代码: {name, accept, respond, close}}")
        )
    for code, spec in value.items():
        if not isinstance(code, str) or not code.strip() or len(code) > 30:
            raise ValidationError(gettext("工单类型代码应为1至30个字符"))
        if not isinstance(spec, dict) or not str(spec.get("name", "")).strip():
            raise ValidationError(gettext("工单类型“%(c)s”须有名称（name）") % {"c": code})
        unknown = set(spec) - {"name", *WORK_ORDER_STAGES}
        if unknown:
            raise ValidationError(
                gettext("工单类型“%(c)s”含未知字段：%(f)s")
                % {"c": code, "f": "、".join(sorted(unknown))}
            )
        stages = [stage for stage in WORK_ORDER_STAGES if stage in spec]
        if not stages:
            raise ValidationError(
                gettext("工单类型“%(c)s”至少须设一个时限（accept、respond、close）") % {"c": code}
            )
        for stage in stages:
            days = spec[stage]
            if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
                raise ValidationError(
                    gettext("工单类型“%(c)s”的 %(s)s 时限应为1至365个工作日")
                    % {"c": code, "s": stage}
                )


class IntegrationClient(AuditedModel):
    """A referring system (the 12345 hotline, the national clue platform): a machine user
    bound to one channel, with API keys, a rate limit and an optional callback."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="integration_client"
    )
    name = models.CharField(_("名称"), max_length=100, unique=True)
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    rate = models.CharField(
        _("限流"), max_length=20, default="600/min", help_text=_("如 600/min、20/s")
    )
    # A city's own system (its 12345 hotline) refers only within that city; a province-wide
    # one (the national clue platform, the provincial 12345) leaves it empty and its
    # referrals are routed to a city and county by their addresses.
    city = models.ForeignKey(
        "arrears.City",
        verbose_name=_("所属地级市"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("留空为全省客户端：按地址分派到市、县"),
    )
    callback_url = models.URLField(_("状态回调地址"), blank=True)
    # Shared with the receiver to sign callbacks (HMAC-SHA256); it has to be readable to sign.
    callback_secret = models.CharField(_("回调签名密钥"), max_length=100, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    # Optional: the addresses (CIDR, one per line) it may call from, as the caller's address
    # is read behind the proxies (arrears.ratelimit.client_ip); empty means from anywhere.
    allowed_networks = models.TextField(
        _("允许的调用地址"),
        blank=True,
        help_text=_("每行一个地址或网段（CIDR），如 10.12.0.0/16；留空为不限"),
        validators=[validate_networks],
    )
    # The referrals' work-order types and their limits in working days, e.g.
    # {"consultation": {"name": "咨询", "close": 2}}; empty: the channel's presets
    # (complaints.integration.work_orders.PRESETS).
    work_order_types = models.JSONField(
        _("工单类型及时限"),
        default=dict,
        blank=True,
        validators=[validate_work_order_types],
        help_text=_(
            "{类型代码: {name: 名称, accept/respond/close: 工作日}}；留空使用渠道默认"
            "（12345：咨询2、求助10、投诉15；线索平台：签收1、响应3、办结15）"
        ),
    )
    audit_exclude = frozenset({"callback_secret"})

    class Meta:
        verbose_name = _("接口客户端")
        verbose_name_plural = _("接口客户端")

    def __str__(self) -> str:
        return self.name

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return parse_networks(self.allowed_networks)

    def address_allowed(self, address: str) -> bool:
        networks = self.networks()
        if not networks:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False  # no readable address: refused when a list is set
        return any(ip in network for network in networks)

    def clean(self) -> None:
        # Unsigned callbacks could be forged by anyone who can reach the receiver.
        if self.callback_url and len(self.callback_secret) < 16:
            raise ValidationError({"callback_secret": _("设置回调地址时须设置至少16位的签名密钥")})


class ApiKey(AuditedModel):
    """An API key is shown once; only its SHA-256 is stored. Keys carry 256 bits of randomness,
    so a fast hash is enough (no password stretching needed), and lookups go by prefix.
    Every key expires; rotating one issues a new key and brings the old one's expiry forward
    to the end of the overlap, so both work while the client switches over."""

    client = models.ForeignKey(IntegrationClient, on_delete=models.CASCADE, related_name="keys")
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    label = models.CharField(_("说明"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签发人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("有效期至"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("吊销人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("最近使用地址"), null=True, blank=True)
    # Use is written at most once a minute; the trail would only repeat it.
    audit_exclude = frozenset({"key_hash", "last_used_at", "last_used_ip"})

    class Meta:
        verbose_name = _("接口密钥")
        verbose_name_plural = _("接口密钥")
        ordering = ["client", "-created_at"]
        constraints = [
            models.CheckConstraint(
                name="apikey_expires_after_created",
                condition=models.Q(expires_at__gt=F("created_at")),
            ),
            models.CheckConstraint(
                name="apikey_revoked_has_time",
                condition=models.Q(revoked_by__isnull=True) | models.Q(revoked_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.prefix}…"

    def state_at(self, now: datetime.datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


class CallbackDelivery(OutboxItem):
    """Status callbacks in the one outbox (`arrears.outbox`): written in the same transaction
    as the status change, POSTed by a task. `event_id` travels with the callback so a receiver
    can drop a repeat."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(IntegrationClient, on_delete=models.PROTECT, related_name="+")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="deliveries")
    payload = models.JSONField()
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("状态回调")
        verbose_name_plural = _("状态回调")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The outbox drain: WHERE state = 'pending' AND next_attempt_at <= now.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="delivery_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.event_id}"


class ComplainantSms(OutboxItem):
    """A progress SMS to the complainant (received, signed for, wages paid, closed), in the one
    outbox. The phone number is not copied here: the drain reads it, decrypted, from the
    complaint when it sends, so this row holds no personal data beyond the tracking number in
    its text. `key` names the step (e.g. "signed", "payment:12"): unique per complaint, so a
    repeated action, a retried task or a re-saved payment writes no second message."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="texts")
    key = models.CharField(_("步骤"), max_length=40)
    body = models.CharField(_("内容"), max_length=300)

    class Meta:
        verbose_name = _("投诉人短信")
        verbose_name_plural = _("投诉人短信")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "key"], name="complainantsms_once_per_step"
            ),
        ]
        indexes = [
            # The outbox drain: WHERE state = 'pending' AND next_attempt_at <= now
            # ORDER BY next_attempt_at, id.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(state="pending"),
                name="complainantsms_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.key}"

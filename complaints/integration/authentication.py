"""API keys for integration clients, and their per-client rate limit."""

from __future__ import annotations

import hmac
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from arrears import audit
from arrears.ratelimit import client_ip

# Issued, rotated and revoked by the services; importable from here as before.
from complaints.integration.api_keys import (
    KEY_PREFIX,
    api_key_touch,
    hash_key,
)
from complaints.models import ApiKey


def _when(moment: Any) -> str:
    return str(timezone.localtime(moment).strftime("%Y-%m-%d %H:%M"))


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key ak_<prefix>_<secret>`. A wrong, revoked or expired key answers
    401 and a call from outside the client's address list 403, each saying which: the reason
    is told only to a caller who presented the whole key, since the hash is checked first."""

    keyword = "Api-Key"

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        try:
            return self._authenticate(request)
        except (exceptions.AuthenticationFailed, exceptions.PermissionDenied) as exc:
            # Every refused key is a security event (安全审计), with the key's prefix (never
            # the secret) and the reason the caller was given.
            header = authentication.get_authorization_header(request).decode(errors="ignore")
            prefix = header[len(self.keyword) + 1 :].strip()[len(KEY_PREFIX) :].split("_")[0]
            audit.security_event(
                kind="api_key_failed",
                request=request,
                result="failure" if isinstance(exc, exceptions.AuthenticationFailed) else "denied",
                actor_label="anonymous:api",
                detail={"prefix": prefix[:12], "reason": str(exc.detail)},
            )
            raise

    def _authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode(errors="ignore")
        if not header.startswith(self.keyword + " "):
            return None
        key = header[len(self.keyword) + 1 :].strip()
        parts = key[len(KEY_PREFIX) :].split("_", 1) if key.startswith(KEY_PREFIX) else []
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("接口密钥格式不正确"))
        record = ApiKey.objects.select_related("client__user").filter(prefix=parts[0]).first()
        # Compare in constant time so response timing says nothing about the hash.
        if record is None or not hmac.compare_digest(record.key_hash, hash_key(key)):
            raise exceptions.AuthenticationFailed(_("接口密钥无效"))
        now = timezone.now()
        if record.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                _("接口密钥已于 %(at)s 吊销，请使用新签发的密钥") % {"at": _when(record.revoked_at)}
            )
        if record.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                _("接口密钥已于 %(at)s 过期，请使用新签发的密钥") % {"at": _when(record.expires_at)}
            )
        client = record.client
        if not client.is_active or not client.user.is_active:
            raise exceptions.AuthenticationFailed(_("接口客户端已停用"))
        address = client_ip(request)
        if not client.address_allowed(address):
            raise exceptions.PermissionDenied(
                _("不允许从地址 %(ip)s 调用本接口（不在本客户端的允许地址列表中）")
                % {"ip": address or "-"}
            )
        api_key_touch(key=record, address=address, now=now)
        request.integration_client = client  # type: ignore[attr-defined]
        return client.user, record

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class IsIntegrationClient(permissions.BasePermission):
    message = gettext_lazy("仅接口客户端可以调用")

    def has_permission(self, request: Request, view: Any) -> bool:
        return getattr(request, "integration_client", None) is not None


class ClientRateThrottle(throttling.SimpleRateThrottle):
    """Each client's own rate (IntegrationClient.rate, e.g. "600/min")."""

    scope = "integration_client"

    def get_rate(self) -> str | None:
        return None  # set per request in allow_request

    def allow_request(self, request: Request, view: Any) -> bool:
        client = getattr(request, "integration_client", None)
        if client is None:
            return True
        self.rate = client.rate
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        client = getattr(request, "integration_client", None)
        return None if client is None else f"throttle:client:{client.pk}"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "complaints.integration.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "Api-Key ak_<prefix>_<secret>. 每个密钥有有效期，轮换后旧密钥在过渡期内继续有效；"
                "过期、吊销或无效的密钥返回 401，不在客户端允许地址列表中的调用返回 403 / "
                "Every key expires; after a rotation the old key works until the overlap "
                "ends. An expired, revoked or wrong key answers 401, a call from an address "
                "outside the client's allowlist 403."
            ),
        }

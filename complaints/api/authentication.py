"""API keys for integration clients, and their per-client rate limit."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from arrears import audit
from complaints.models import ApiKey, IntegrationClient

KEY_PREFIX = "ak_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_issue(*, client: IntegrationClient, label: str = "") -> str:
    """Create a key and return it; it is shown once, only its hash is kept."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    ApiKey.objects.create(client=client, prefix=prefix, key_hash=hash_key(key), label=label)
    return key


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key ak_<prefix>_<secret>`."""

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
        record = (
            ApiKey.objects.select_related("client__user")
            .filter(prefix=parts[0], revoked_at__isnull=True)
            .first()
        )
        # Compare in constant time so response timing says nothing about the hash.
        if record is None or not hmac.compare_digest(record.key_hash, hash_key(key)):
            raise exceptions.AuthenticationFailed(_("接口密钥无效或已吊销"))
        client = record.client
        if not client.is_active or not client.user.is_active:
            raise exceptions.AuthenticationFailed(_("接口客户端已停用"))
        now = timezone.now()
        # Touch last_used_at at most every five minutes: no write on every request.
        if record.last_used_at is None or now - record.last_used_at > datetime.timedelta(minutes=5):
            ApiKey.objects.filter(pk=record.pk).update(last_used_at=now)
        request.integration_client = client  # type: ignore[attr-defined]
        return client.user, record

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class IsIntegrationClient(permissions.BasePermission):
    message = _("仅接口客户端可以调用")

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
    target_class = "complaints.api.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Api-Key ak_<prefix>_<secret>",
        }

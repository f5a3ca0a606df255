"""Integration clients' API keys: issued (shown once), rotated with an overlap, revoked, and
their use recorded. The authentication class (complaints.integration.authentication) reads them."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import audit, config, locks
from complaints.models import ApiKey, IntegrationClient

KEY_PREFIX = "ak_"
# Use is recorded at most this often per key: no write on every request.
TOUCH_EVERY = datetime.timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_issue(
    *,
    client: IntegrationClient,
    label: str = "",
    actor: Any = None,
    days: int | None = None,
) -> str:
    """Create a key valid for `days` (complaints.api_key_days) and return it; it is shown
    once, only its hash is kept."""
    now = timezone.now()
    days = days if days is not None else config.get("complaints.api_key_days")
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiKey.objects.create(
        client=client,
        prefix=prefix,
        key_hash=hash_key(key),
        label=label,
        created_by=actor if getattr(actor, "pk", None) else None,
        expires_at=now + datetime.timedelta(days=days),
    )
    # 安全审计: who issued which key (its prefix, never the secret) for which client.
    audit.security_event(
        kind="api_key_issued",
        actor=actor if getattr(actor, "pk", None) else None,
        obj=record,
        detail={"client": client.name, "prefix": prefix, "expires_at": record.expires_at},
    )
    return key


def api_key_rotate(
    *, key: ApiKey, actor: Any = None, overlap_days: int | None = None
) -> tuple[str, ApiKey]:
    """Issue a new key for the same client and end the old one after the overlap
    (complaints.api_key_overlap_days): both work until then, so the client can switch over
    without a failed call. Returns the new key (shown once) and the old key's row."""
    overlap = (
        overlap_days if overlap_days is not None else config.get("complaints.api_key_overlap_days")
    )
    with transaction.atomic():
        # Locked: two administrators rotating the same key at once would issue two new keys.
        old = locks.lock_row(ApiKey.objects.all(), pk=key.pk)
        now = timezone.now()
        if old.state_at(now) != "active":
            raise ValidationError(_("只能轮换有效的密钥；已过期或已吊销的密钥请签发新密钥"))
        new = api_key_issue(client=old.client, label=old.label, actor=actor)
        # Never extended: a key about to expire anyway keeps its own earlier end.
        old.expires_at = min(old.expires_at, now + datetime.timedelta(days=overlap))
        old.save(update_fields=["expires_at"])
    return new, old


def api_key_revoke(*, key: ApiKey, actor: Any = None) -> bool:
    """Revoke at once; False if it already was. A conditional update, so the first of two
    revocations is the one recorded (who and when)."""
    updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(),
        revoked_by=actor if getattr(actor, "pk", None) else None,
    )
    if updated:
        audit.security_event(
            kind="api_key_revoked",
            actor=actor if getattr(actor, "pk", None) else None,
            obj=key,
            detail={"client": key.client.name, "prefix": key.prefix},
        )
    return bool(updated)


def _address_or_none(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None  # a malformed forwarded header is not stored as an address


def api_key_touch(*, key: ApiKey, address: str, now: datetime.datetime) -> bool:
    """Record the key's use (when, from where), at most once a minute per key: the condition
    in the UPDATE lets one of many simultaneous requests write."""
    if key.last_used_at is not None and now - key.last_used_at < TOUCH_EVERY:
        return False
    updated = (
        ApiKey.objects.filter(pk=key.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY))
        .update(last_used_at=now, last_used_ip=_address_or_none(address))
    )
    if updated:
        # Use is a security event as often as it is recorded on the key (once a minute at
        # most), not per request: the trail shows when and from where each key was used.
        audit.security_event(
            kind="api_key_used",
            actor=key.client.user,
            obj=key,
            address=_address_or_none(address),
            detail={"client": key.client.name, "prefix": key.prefix},
        )
    return bool(updated)

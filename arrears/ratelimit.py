"""A fixed-window counter in the cache (Redis in production): enough to slow down guessing on
public pages. Per-client API limits use DRF throttles instead."""

from __future__ import annotations

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt; False once `limit` attempts were made in the current window."""
    bucket = f"rl:{key}:{int(time.time()) // window_seconds}"
    # add() is atomic: it creates the counter only if absent; incr() is atomic on Redis.
    cache.add(bucket, 0, timeout=window_seconds + 5)
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.add(bucket, 1, timeout=window_seconds + 5)
        count = 1
    return count <= limit


def allowed(key: str, *, limit: int, window_seconds: int) -> bool:
    """Whether another attempt would still be within the limit (counts nothing)."""
    bucket = f"rl:{key}:{int(time.time()) // window_seconds}"
    return int(cache.get(bucket, 0)) < limit


def client_ip(request: object) -> str:
    """The caller's address. Behind the intranet's reverse proxies (TRUSTED_PROXY_COUNT of
    them), REMOTE_ADDR is the last proxy, so the address is taken from X-Forwarded-For,
    counting from the right: entries further left are written by the client and can be
    forged, the right-most ones are appended by our own proxies."""

    meta = getattr(request, "META", {})
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if proxies > 0:
        hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return str(hops[-proxies])
    return str(meta.get("REMOTE_ADDR", ""))


def client_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address the public pages' rate limits count by
    (TRUSTED_PROXY_COUNT), or None when there is none or it is not an address (axes stores it
    in an inet column on PostgreSQL, which refuses anything else)."""
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None

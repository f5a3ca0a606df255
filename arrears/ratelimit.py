"""A fixed-window counter in the cache (Redis in production): enough to slow down guessing on
public pages. Per-client API limits use DRF throttles instead."""

from __future__ import annotations

import time

from django.core.cache import cache


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


def client_ip(request: object) -> str:
    """The caller's address. Behind the intranet proxy, REMOTE_ADDR is the proxy, so the first
    X-Forwarded-For entry is used when the deployment says the proxy is trusted."""
    from django.conf import settings

    meta = getattr(request, "META", {})
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded.split(",")[0].strip())
    return str(meta.get("REMOTE_ADDR", ""))

"""Computed dashboards kept for a few minutes (REPORTING_CACHE_SECONDS), shared by everyone
with the same scope, and refreshed by beat for the city's default views: a year's overview
over a million complaints takes seconds to compute, a cached one milliseconds. Every page
says when its figures were computed, and `?fresh=1` computes them again at once."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

from arrears.scoping import scope_of
from reporting import selectors

if TYPE_CHECKING:
    from arrears.models import User


def _key(user: User, filters: selectors.Filters, dim: str, rank_by: str) -> str:
    scope = scope_of(user)
    parts = {
        "scope": [
            scope.everything,
            scope.city_id,
            scope.county_id,
            scope.department_id,
            scope.department_kind,
        ],
        "filters": filters.params(),
        "dim": dim,
        "rank": rank_by,
        "lang": get_language(),
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]
    return f"reporting:dashboard:v1:{digest}"


def is_cached(
    *, user: User, filters: selectors.Filters, dim: str = "county", rank_by: str = "on_time_rate"
) -> bool:
    """Whether the dashboard would come from the cache now. With the cache off every
    dashboard is computed per request anyway (development), and counts as at hand."""
    if settings.REPORTING_CACHE_SECONDS <= 0:
        return True
    return cache.get(_key(user, filters, dim, rank_by)) is not None


def dashboard(
    *,
    user: User,
    filters: selectors.Filters,
    dim: str = "county",
    rank_by: str = "on_time_rate",
    fresh: bool = False,
) -> selectors.Dashboard:
    """The dashboard from the cache when it is young enough, else computed (and kept)."""
    seconds = settings.REPORTING_CACHE_SECONDS
    key = _key(user, filters, dim, rank_by)
    if seconds > 0 and not fresh:
        board = cache.get(key)
        if board is not None:
            return board
    board = selectors.dashboard(user=user, filters=filters, dim=dim, rank_by=rank_by)
    if seconds > 0:
        cache.set(key, board, seconds)
    return board

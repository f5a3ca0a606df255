"""Computed dashboards kept for a few minutes (REPORTING_CACHE_SECONDS), shared by everyone
with the same scope, and refreshed by beat for the city's default views: a year's overview
over a million complaints takes seconds to compute, a cached one milliseconds. Every page
says when its figures were computed and from where (the read replica or the primary,
arrears/replica.py): that is kept with the figures, so a page served from the cache states the
age of what it shows, not of the request. `?fresh=1` computes them again at once."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

from arrears import replica
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
    return f"reporting:dashboard:v2:{digest}"


def is_cached(
    *, user: User, filters: selectors.Filters, dim: str = "county", rank_by: str = "on_time_rate"
) -> bool:
    """Whether the dashboard would come from the cache now. With the cache off every
    dashboard is computed per request anyway (development), and counts as at hand."""
    if settings.REPORTING_CACHE_SECONDS <= 0:
        return True
    return cache.get(_key(user, filters, dim, rank_by)) is not None


def figures(
    *,
    user: User,
    filters: selectors.Filters,
    dim: str = "county",
    rank_by: str = "on_time_rate",
    fresh: bool = False,
) -> tuple[selectors.Dashboard, replica.Freshness]:
    """The dashboard and how fresh it is: from the cache when it is young enough, else computed
    (in the caller's marked block, if any: on the replica when that may serve it) and kept."""
    seconds = settings.REPORTING_CACHE_SECONDS
    key = _key(user, filters, dim, rank_by)
    if seconds > 0 and not fresh:
        kept = cache.get(key)
        if kept is not None:
            board, freshness = kept
            return board, freshness
    source = replica.current()
    board = selectors.dashboard(user=user, filters=filters, dim=dim, rank_by=rank_by)
    freshness = source.older(board.computed_at)
    if seconds > 0:
        cache.set(key, (board, freshness), seconds)
    return board, freshness


def dashboard(
    *,
    user: User,
    filters: selectors.Filters,
    dim: str = "county",
    rank_by: str = "on_time_rate",
    fresh: bool = False,
) -> selectors.Dashboard:
    """The dashboard alone (`figures` without its freshness)."""
    return figures(user=user, filters=filters, dim=dim, rank_by=rank_by, fresh=fresh)[0]

"""Sortable lists: `?sort=key` or `?sort=-key` with the keys each list allows (a whitelist, so a
query parameter never reaches `order_by` as a field name). Column headers are drawn by the
`sort_header` template tag from the `Sorting` this returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest


@dataclass(frozen=True)
class Sorting:
    key: str  # the chosen key, without its sign
    descending: bool
    params: Mapping[str, Sequence[str]]  # the request's other parameters, kept by the links

    @property
    def value(self) -> str:
        return f"-{self.key}" if self.descending else self.key


def sort_queryset(
    request: HttpRequest,
    qs: QuerySet[Any],
    keys: Mapping[str, Sequence[str]],
    default: str,
) -> tuple[QuerySet[Any], Sorting]:
    """Order `qs` by `?sort=` when it names one of `keys` (key -> the fields it orders by,
    ascending), else by `default`; the pk last so pages do not overlap on ties."""
    asked = request.GET.get("sort", "") or default
    descending = asked.startswith("-")
    key = asked.lstrip("-")
    if key not in keys:
        descending = default.startswith("-")
        key = default.lstrip("-")
    fields = [f"-{f.lstrip('-')}" if descending else f for f in keys[key]]
    others = {k: request.GET.getlist(k) for k in request.GET if k not in ("sort", "page")}
    ordered = qs.order_by(*fields, "-pk" if descending else "pk")
    return ordered, Sorting(key=key, descending=descending, params=others)

"""Pages of HTML lists without counting the list (issue 15).

Django's Paginator runs ``SELECT COUNT(*)`` over the whole filtered list on every request, to
draw "page n of m": over a million complaints that count cost more than the page itself.
Two ways instead, both asking the database for one row more than the page to learn whether
a next page exists:

- `offset_page`: ``?page=n`` as before (links and bookmarks keep working), ``OFFSET`` without
  the count. Cheap for the first pages people actually read; a deep page still reads the rows
  before it, so the big lists below page through keys instead.
- `KeysetPage` (built by a list's own selector): ``?after=`` / ``?before=`` carry the sort key
  of the page's last / first row, so page 1,000 costs what page 1 costs and rows inserted
  meanwhile neither repeat nor skip a row.

`bounded_count` is for the one page that shows a total (the drill-down rows, whose count is
the dashboard number): exact up to a bound, "more than" beyond it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict

PAGE_PARAMS = ("page", "after", "before")


class _Links:
    """Query strings for the previous / next page that keep every other parameter (filters,
    sorting, the view): only the paging parameters are replaced."""

    def __init__(self, params: QueryDict | None) -> None:
        kept = params.copy() if params is not None else QueryDict(mutable=True)
        for name in PAGE_PARAMS:
            kept.pop(name, None)
        self._params = kept

    def _with(self, **paging: str) -> str:
        query = self._params.copy()
        for name, value in paging.items():
            query[name] = value
        return query.urlencode()


class OffsetPage(_Links, Sequence[Any]):
    """A numbered page that knows whether another follows, not how many do."""

    def __init__(
        self, rows: list[Any], number: int, per_page: int, more: bool, params: QueryDict | None
    ) -> None:
        super().__init__(params)
        self.object_list = rows
        self.number = number
        self.per_page = per_page
        self._more = more

    def __iter__(self) -> Iterator[Any]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __getitem__(self, index: Any) -> Any:
        return self.object_list[index]

    def has_next(self) -> bool:
        return self._more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)

    @property
    def next_query(self) -> str:
        return self._with(page=str(self.number + 1))

    @property
    def previous_query(self) -> str:
        return self._with(page=str(self.number - 1))


def _page_number(raw: str | None) -> int:
    # As Paginator.get_page: anything unreadable is the first page. Capped so that a typed
    # ?page=99999999999 is an empty page, not an OFFSET overflowing the database's bigint.
    try:
        number = int(raw or "1")
    except ValueError:
        return 1
    return min(max(number, 1), 1_000_000)


def offset_page(
    request: HttpRequest, qs: QuerySet[Any] | Sequence[Any], per_page: int
) -> OffsetPage:
    """Page ``?page=`` of ``qs`` (which must be ordered, ties broken): one query, no COUNT.
    A page past the end is empty with a link back, where Paginator showed the last page."""
    number = _page_number(request.GET.get("page"))
    start = (number - 1) * per_page
    rows = list(qs[start : start + per_page + 1])
    return OffsetPage(rows[:per_page], number, per_page, len(rows) > per_page, request.GET)


class KeysetPage(_Links, Sequence[Any]):
    """A page between two cursors: ``after`` / ``before`` of its neighbours are its last and
    first row's sort keys (encoded by `encode_cursor`)."""

    def __init__(
        self,
        rows: list[Any],
        *,
        first_key: Any,
        last_key: Any,
        has_next: bool,
        has_previous: bool,
        params: QueryDict | None,
    ) -> None:
        super().__init__(params)
        self.object_list = rows
        self._first_key = first_key
        self._last_key = last_key
        self._has_next = has_next
        self._has_previous = has_previous

    def __iter__(self) -> Iterator[Any]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __getitem__(self, index: Any) -> Any:
        return self.object_list[index]

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self._has_previous

    def has_other_pages(self) -> bool:
        return self._has_next or self._has_previous

    @property
    def next_query(self) -> str:
        return self._with(after=encode_cursor(self._last_key))

    @property
    def previous_query(self) -> str:
        return self._with(before=encode_cursor(self._first_key))


def encode_cursor(key: Sequence[Any]) -> str:
    """A sort key (strings, numbers, None) as an opaque URL-safe token."""
    raw = json.dumps(list(key), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str | None) -> list[Any] | None:
    """The key `encode_cursor` wrote, or None for a missing or mangled token (the list then
    starts at its first page, as Paginator did for an unreadable ?page=)."""
    if not token:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        return None
    return value if isinstance(value, list) else None


def bounded_count(qs: QuerySet[Any], bound: int = 10_000) -> tuple[int, bool]:
    """(n, False) when the list has n ≤ bound rows, (bound, True) when it has more: a
    ``COUNT(*)`` over ``LIMIT bound + 1`` rows, whose cost stops at the bound."""
    n = qs.order_by()[: bound + 1].count()
    return (bound, True) if n > bound else (n, False)

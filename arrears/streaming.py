"""Streamed reads: the rows of an export through a PostgreSQL server-side cursor that lives in a
transaction of its own, so memory stays flat however many rows there are, behind a pooler in
transaction mode too (docs/deployment.md, "Connection pooling").

Outside a transaction Django declares the cursor WITH HOLD and fetches each chunk in a
transaction of its own: PgBouncer in transaction mode may hand each fetch to another server
connection, where the cursor does not exist, and PostgreSQL computes the whole result before
the first row anyway (a held cursor is materialised when its transaction commits). Inside one
transaction the cursor streams and stays on one server connection for its life.

That transaction is on a connection of its own (the `stream` alias: the same database), not on
the default one: a background job writes its progress while its rows stream, and those writes
must commit as they go (they renew the job's lease and let a cancel through, arrears/jobs.py);
inside the read's transaction they would hold the job's row locked until the export ended.
Code already inside a transaction (a test; an atomic block of the caller's) reads in it; a
test with committed rows (`django_db(transaction=True)`) that streams names both connections
(`databases=["default", "stream"]`).

A loop that writes as it goes and does not need an order of its own (a sweep) reads in batches
by primary key instead (`by_pk`): no cursor, no transaction held, one connection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model, QuerySet

STREAM = "stream"

_T = TypeVar("_T")
_M = TypeVar("_M", bound=Model)


def stream(qs: QuerySet[Any, _T], *, chunk_size: int) -> Iterator[_T]:
    """The rows of `qs` (models or values), `chunk_size` at a time from the server."""
    alias = qs.db
    if connections[alias].vendor != "postgresql":
        # No server-side cursors (SQLite reads in chunks all the same), and a transaction
        # there would hold the database's write lock (transaction_mode IMMEDIATE) throughout.
        yield from qs.iterator(chunk_size=chunk_size)
        return
    if (
        alias == DEFAULT_DB_ALIAS
        and not connections[alias].in_atomic_block
        and STREAM in settings.DATABASES
    ):
        alias = STREAM
        qs = qs.using(STREAM)
    # Read-only: the transaction only gives the cursor one server connection for its life
    # (an exception or an abandoned download rolls it back, which undoes nothing).
    with transaction.atomic(using=alias):
        yield from qs.iterator(chunk_size=chunk_size)


def by_pk(qs: QuerySet[_M], *, batch: int) -> Iterator[_M]:
    """The objects of `qs` in primary-key order, `batch` per query (each `pk > last`, served by
    the primary key's index): what the loop wrote meanwhile is not read again."""
    last = None
    while True:
        page = qs.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        rows = list(page[:batch])
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].pk

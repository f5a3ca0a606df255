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
by primary key instead (`by_pk`): no cursor, no transaction held, one connection.

The row exports on PostgreSQL skip the ORM altogether: `copy_to` runs `COPY (SELECT …) TO
STDOUT` on the connection `copy_alias` picks by the same rule, and hands each row to the caller
as the server sends it (reporting/copy_export.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import nullcontext
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


# --- COPY ------------------------------------------------------------------------------------


def copy_alias(qs: QuerySet[Any]) -> str:
    """The connection a `COPY` of `qs` runs on, chosen as `stream` chooses its cursor's: the
    `stream` alias for the default database outside a transaction (so a job's progress writes
    on `default` go on while the rows flow), the queryset's own alias otherwise (a replica, or
    code inside a transaction, which must read its own uncommitted rows)."""
    alias = qs.db
    if (
        alias == DEFAULT_DB_ALIAS
        and not connections[alias].in_atomic_block
        and STREAM in settings.DATABASES
    ):
        return STREAM
    return alias


def copy_to(
    alias: str, sql: str, write: Callable[[bytes], Any], settings: dict[str, str] | None = None
) -> None:
    """Run `COPY (…) TO STDOUT` on `alias`, handing `write` each row as PostgreSQL sends it:
    the server sends one message per row (the protocol's rule for COPY out) and psycopg2
    calls `write` once per message, with bytes. One statement, no cursor and no transaction
    of its own: PostgreSQL streams a COPY's rows as the query produces them, and behind a
    pooler in transaction mode a single statement keeps its server connection.

    If `write` raises (a cancelled job, a full disk) the server is told to stop at once (a
    cancel request; otherwise it would finish the query first) and the connection is closed,
    not reused: a cancel request that arrives late would cancel its next statement. Inside a
    transaction (a test's) the connection must live on, so the COPY is left to finish.

    `settings`: planner settings for this statement only (SET LOCAL in a transaction around
    the one COPY, which behind a pooler in transaction mode keeps its server connection);
    not applied inside a caller's transaction, where they would outlive the statement."""
    connection = connections[alias]
    connection.ensure_connection()
    closable = not connection.in_atomic_block
    raw: Any = connection.connection
    try:
        statement = transaction.atomic(using=alias) if closable and settings else nullcontext()
        with statement, connection.cursor() as cursor:
            for name, value in (settings or {}).items() if closable else ():
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
            cursor.copy_expert(sql, _Writer(write, raw.cancel if closable else None))
    except BaseException:
        if closable:
            connection.close()
        raise


class _Writer:
    """What copy_expert writes into: any object with `write` (psycopg2 passes bytes unless it
    is a text file)."""

    def __init__(self, write: Callable[[bytes], Any], cancel: Callable[[], Any] | None) -> None:
        self._write = write
        self._cancel = cancel

    def write(self, data: bytes) -> Any:
        try:
            return self._write(data)
        except BaseException:
            if self._cancel is not None:
                self._cancel()
            raise

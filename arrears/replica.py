"""Reads on a PostgreSQL streaming replica: which reads may go there, and when they may not.

Only reads marked with `reads(user)` (or the `reads_view` decorator) go to the `replica` alias
(settings REPLICA_DATABASE_URL): the dashboards, their drill-down lists, exports and the
reporting API, whose figures may be a few seconds old. Everything else, and every write, stays
on the primary (`default`), so a service never reads a row older than the one it will update.
Without a replica configured the mark does nothing.

Inside a marked block a read still goes to the primary when
- the primary connection is inside a transaction (a service's read-modify-write: a stale read
  there would overwrite a newer row), or the request has already written;
- the user wrote recently and the replica has not replayed that write yet (read-your-writes:
  the request that wrote remembered the primary's WAL position for the user, see `remember`);
- the replica is further behind than REPLICA_MAX_LAG_SECONDS, is not a standby, or does not
  answer (then the page is served from the primary instead of failing).

The choice is made once when the block starts, and `Freshness` says what it was, so the page
can tell its reader how fresh the figures are."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from arrears.models import User

logger = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"

# How long one measurement of the replica's position is reused by a process: every marked
# read in those seconds is decided without a query (one query to each server per interval).
PROBE_SECONDS = 2.0
# A replica that failed is not asked again for this long, so an unreachable host costs one
# request its connect timeout every few seconds, not every request.
DOWN_SECONDS = 10.0
# A WAL position no replica reaches: stored as a user's mark when the primary's position could
# not be read after a write, so that user reads the primary until the mark expires.
UNKNOWN_LSN = 2**64 - 1


def configured() -> bool:
    return REPLICA in settings.DATABASES


def _lsn(text: str | None) -> int | None:
    """A pg_lsn ('16/B374D848') as a number, so positions compare."""
    if not text:
        return None
    high, _sep, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


@dataclass(frozen=True)
class Freshness:
    """Where a block's marked reads went and up to when the data they saw is complete."""

    source: str  # PRIMARY or REPLICA
    as_of: datetime

    @property
    def on_replica(self) -> bool:
        return self.source == REPLICA

    def older(self, other: datetime | None) -> Freshness:
        """The same source, as of the earlier moment (a cached result computed at `other`)."""
        if other is None or other >= self.as_of:
            return self
        return Freshness(self.source, other)


def live() -> Freshness:
    return Freshness(PRIMARY, timezone.now())


# --- Where the replica stands ------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """One measurement: the replica's replay position, and how far behind the primary it was."""

    measured: float  # time.monotonic() of the measurement
    replay_lsn: int
    lag: float  # seconds of the primary's writes the replica may be missing
    as_of: datetime  # the replica holds every write committed before this moment


@dataclass(frozen=True)
class Sample:
    at: datetime
    primary_lsn: int


_lock = threading.Lock()
_position: Position | None = None
_down_until = 0.0
# The primary's recent positions, with when they were read: a replica that has replayed past
# one of them holds everything written before that moment, which bounds its lag even while
# the primary is idle (see `_measure`).
_samples: deque[Sample] = deque(maxlen=32)


def forget() -> None:
    """Drop this process's measurement (tests; after the replica was found failing)."""
    global _position, _down_until
    with _lock:
        _position = None
        _down_until = 0.0
        _samples.clear()


def _failed(exc: BaseException) -> None:
    global _position, _down_until
    logger.warning("replica unavailable, reading from the primary: %s", exc)
    with _lock:
        _position = None
        _down_until = time.monotonic() + DOWN_SECONDS
    if configured():
        connections[REPLICA].close()


def lag_of(
    *,
    primary_lsn: int,
    replay_lsn: int,
    replay_age: float | None,
    samples: Iterable[Sample],
    started: datetime,
) -> float:
    """Seconds of the primary's writes a replica may be missing (see `_measure`)."""
    if replay_lsn >= primary_lsn:
        return 0.0
    bounds = [replay_age] if replay_age is not None else []
    bounds += [(started - s.at).total_seconds() for s in samples if s.primary_lsn <= replay_lsn]
    return max(0.0, min(bounds, default=math.inf))


def _measure() -> Position | None:
    """The replica's position now: one query to the primary, then one to the replica.

    Lag is not `now() - pg_last_xact_replay_timestamp()` alone: that grows while the primary is
    idle (nothing new to replay) and would send every read to the primary at night. The
    positions decide first: a replica that has replayed what the primary had written when we
    asked (primary first, then replica) is not behind at all. Only a replica that is behind
    counts time, bounded by two facts: it holds every commit up to its last replayed one (the
    replay timestamp), and every write before a sample of the primary it has replayed past."""
    started = timezone.now()
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        primary_lsn = _lsn(cursor.fetchone()[0]) or 0
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn(),"
            " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"
        )
        in_recovery, replay_text, replay_age = cursor.fetchone()
    if not in_recovery:
        # Promoted, or pointed at a primary by mistake: its data may diverge from ours.
        logger.error("REPLICA_DATABASE_URL is not a standby; reading from the primary")
        return None
    replay_lsn = _lsn(replay_text) or 0
    _samples.append(Sample(started, primary_lsn))
    lag = lag_of(
        primary_lsn=primary_lsn,
        replay_lsn=replay_lsn,
        replay_age=None if replay_age is None else float(replay_age),
        samples=_samples,
        started=started,
    )
    as_of = started - timedelta(seconds=lag) if math.isfinite(lag) else started
    return Position(time.monotonic(), replay_lsn, lag, as_of)


def position() -> Position | None:
    """The replica's position, measured at most every PROBE_SECONDS per process; None while it
    is down or not a standby."""
    global _position, _down_until
    now = time.monotonic()
    # One thread measures while the others of the process wait for its answer (milliseconds;
    # at most the connect timeout once per DOWN_SECONDS when the replica is unreachable).
    with _lock:
        if now < _down_until:
            return None
        current = _position
        if current is not None and now - current.measured < probe_seconds():
            return current
        try:
            measured = _measure()
        except DatabaseError as exc:
            measured = None
            error: DatabaseError | None = exc
        else:
            error = None
            if measured is None:  # not a standby: asked again later, not every request
                _down_until = now + DOWN_SECONDS
        _position = measured
    if error is not None:
        _failed(error)
    return measured


def probe_seconds() -> float:
    return float(getattr(settings, "REPLICA_PROBE_SECONDS", PROBE_SECONDS))


def _replayed_now() -> int | None:
    """The replica's replay position, asked afresh (for a user whose write the last
    measurement had not seen yet)."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn()")
            return _lsn(cursor.fetchone()[0])
    except DatabaseError as exc:
        _failed(exc)
        return None


# --- Read-your-writes: the user's last write -----------------------------------------------


def _mark_key(user_id: int) -> str:
    return f"replica:written:v1:{user_id}"


def mark_seconds() -> int:
    """How long a user's write is remembered. Once it is older than the lag allowed (plus one
    measurement's age), any replica we would read from has replayed it: the mark is moot."""
    return math.ceil(settings.REPLICA_MAX_LAG_SECONDS + 2 * probe_seconds()) + 1


def remember(user_id: int) -> None:
    """After a request (or job) by this user wrote: keep the primary's WAL position, which is
    past every commit the user made, so their next marked read waits for the replica to replay
    it. Kept in the shared cache, not the session: the next read may come through another web
    node, the API (no session) or a job in a worker."""
    if not configured():
        return
    try:
        with connections[PRIMARY].cursor() as cursor:
            # The insert position, not the write position: with synchronous_commit off a
            # commit may still sit in the WAL buffers, behind pg_current_wal_lsn(). (At worst
            # the insert position is a page header ahead of the last record, and an idle
            # replica never reaches it: the user reads the primary until the mark expires.)
            cursor.execute("SELECT pg_current_wal_insert_lsn()")
            lsn = _lsn(cursor.fetchone()[0]) or UNKNOWN_LSN
    except DatabaseError:
        logger.warning("could not read the primary's WAL position after a write", exc_info=True)
        lsn = UNKNOWN_LSN
    key = _mark_key(user_id)
    try:
        # Two requests of one user finishing out of order must not lower the mark. (get-then-
        # set is not atomic; the loser is at most one request's writes, milliseconds apart.)
        lsn = max(lsn, cache.get(key) or 0)
        cache.set(key, lsn, mark_seconds())
    except Exception:  # the cache (Redis) is down: reads will go to the primary, see _written
        logger.warning("could not remember a write for the replica's reads", exc_info=True)


def _written(user_id: int) -> int:
    try:
        return int(cache.get(_mark_key(user_id)) or 0)
    except Exception:
        # Without the cache we cannot know whether this user just wrote: the primary is safe.
        logger.warning("could not read the replica's write marks", exc_info=True)
        return UNKNOWN_LSN


# --- The marked block and the router -------------------------------------------------------

_reading: ContextVar[Freshness | None] = ContextVar("replica_reading", default=None)


@dataclass
class _Writes:
    wrote: bool = False


_request_writes: ContextVar[_Writes | None] = ContextVar("replica_request_writes", default=None)


def _wrote_in_request() -> bool:
    writes = _request_writes.get()
    return writes is not None and writes.wrote


def choose(user: User | AnonymousUser | None) -> Freshness:
    """Where a marked block about to start should read: the replica when it is up, close
    enough, and has replayed this user's last write; else the primary."""
    if not configured() or connections[PRIMARY].in_atomic_block or _wrote_in_request():
        return live()
    current = position()
    if current is None or current.lag > settings.REPLICA_MAX_LAG_SECONDS:
        return live()
    user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    written = _written(user_id) if user_id is not None else 0
    if written > current.replay_lsn:
        replayed = _replayed_now()
        if replayed is None or replayed < written:
            return live()
    return Freshness(REPLICA, current.as_of)


@contextmanager
def reads(user: User | AnonymousUser | None) -> Iterator[Freshness]:
    """Mark the reads of this block as allowed on the replica (for `user`'s view of the data)."""
    freshness = choose(user)
    token = _reading.set(freshness)
    try:
        yield freshness
    finally:
        _reading.reset(token)


@contextmanager
def _primary_reads() -> Iterator[Freshness]:
    freshness = live()
    token = _reading.set(freshness)
    try:
        yield freshness
    finally:
        _reading.reset(token)


def current() -> Freshness:
    """The freshness of the marked block we are in (the primary, live, outside one)."""
    return _reading.get() or live()


V = TypeVar("V", bound=Callable[..., Any])


def reads_view(view: V) -> V:
    """A view (or a DRF handler method, through method_decorator) whose reads may use the
    replica. Should the replica fail mid-view, the view runs once more on the primary: these
    views only read, so running one again is safe (unless it wrote first: then it fails)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        with reads(getattr(request, "user", None)) as freshness:
            try:
                return view(request, *args, **kwargs)
            except DatabaseError as exc:
                if not freshness.on_replica or _wrote_in_request():
                    raise
                _failed(exc)
        with _primary_reads():
            return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


M = TypeVar("M", bound=Model)


def pinned(queryset: QuerySet[M]) -> QuerySet[M]:
    """The queryset bound to the database the current block reads from: for rows read after
    the view returned (a streamed CSV is written while the response is sent, outside the
    block)."""
    return queryset.using(REPLICA if current().on_replica else PRIMARY)


R = TypeVar("R", bound=HttpResponseBase)


def stamp(response: R, freshness: Freshness) -> R:
    """Say how fresh the response's data is (docs/deployment.md, "Reads on a replica")."""
    response["X-Data-As-Of"] = timezone.localtime(freshness.as_of).isoformat(timespec="seconds")
    response["X-Data-Source"] = freshness.source if freshness.on_replica else "primary"
    return response


class ReplicaRouter:
    """Marked reads to the replica (when `choose` allowed it), everything else to the primary.

    Unmarked reads name the primary explicitly rather than leaving it to Django, which would
    follow an object loaded from the replica (its related rows, a refresh) back there."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        freshness = _reading.get()
        if (
            freshness is not None
            and freshness.on_replica
            and not connections[PRIMARY].in_atomic_block
            and not _wrote_in_request()
        ):
            return REPLICA
        return PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # the same data on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY  # the replica receives the schema by replication


# --- Noticing a request's writes -----------------------------------------------------------

# Statements that change nothing. Anything else counts as a write, which errs on the safe side
# (a read from the primary): `WITH … INSERT`, COPY, a function call that writes.
_READ_ONLY = re.compile(
    r"\s*(SELECT|SHOW|SET|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|DECLARE|FETCH|CLOSE|EXPLAIN)\b",
    re.IGNORECASE,
)


def _watch(writes: _Writes) -> Callable[..., Any]:
    def wrapper(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if not writes.wrote and not _READ_ONLY.match(sql):
            writes.wrote = True
        return execute(sql, params, many, context)

    return wrapper


class ReadYourWritesMiddleware:
    """Watches the statements a request sends to the primary; when one wrote, remembers the
    primary's WAL position for the user afterwards (`remember`), and sends the rest of the
    request's marked reads to the primary. Placed after the session-limit middleware so its
    once-a-minute activity update does not count as the user's write."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        if not configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        writes = _Writes()
        token = _request_writes.set(writes)
        try:
            with connections[PRIMARY].execute_wrapper(_watch(writes)):
                response = self.get_response(request)
        finally:
            _request_writes.reset(token)
        user = getattr(request, "user", None)
        if writes.wrote and user is not None and user.is_authenticated:
            remember(user.pk)
        return response

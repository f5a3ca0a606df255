"""Tables that only grow: the audit trails' monthly partitions (PostgreSQL) and the batched
purge of the rest. docs/architecture.md, "Tables that only grow", has the table of decisions.

- The two audit trails (`PARTITIONED`) are range-partitioned by month of `occurred_at`
  (migration 0018). `partitions_ensure` keeps `partitions.months_ahead` months ahead; the
  DEFAULT partition catches a row whose month is missing, and a later ensure moves such rows
  into their month. Old months go only through `audit_archive` (archive file first), which
  drops a month whole once every row in it is archived (`archived_rows_remove`).
- Notifications, outbox rows (every `OutboxItem` model) and the session records are deleted
  in chunks of primary keys, each chunk its own short transaction, by per-table settings.

On SQLite, and on a database whose tables are plain, the partition functions do nothing."""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, OperationalError, connections, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears import config
from arrears.models import MessageDelivery, Notification, UserSession
from arrears.models.outbox import DeliveryState, OutboxItem
from arrears.user_sessions import active_sessions

logger = logging.getLogger(__name__)

# Partitioned table → its partition key (migration 0018 made them so on PostgreSQL).
PARTITIONED: dict[str, str] = {
    "arrears_auditevent": "occurred_at",
    "arrears_securityevent": "occurred_at",
}
# Ids per purge chunk: one short transaction each, so no delete holds many row locks for long.
CHUNK = 5000
# How long a partition drop may wait for the table's lock (it needs ACCESS EXCLUSIVE on the
# parent): a long read such as the daily chain walk must not queue every audit writer behind
# the drop. On timeout the rows are deleted instead, or the drop waits for the next run.
DROP_LOCK_TIMEOUT = "2s"
# How long creating a month may wait for its locks (see _create); a run that gives way tries
# again the next day, months ahead of need.
ATTACH_LOCK_TIMEOUT = "2s"
# Serialises partition maintenance (two beats, a command and a task at once): "partitio".
LOCK_KEY = 0x706172746974696F

config.define(
    "partitions.months_ahead",
    "int",
    3,
    _("审计记录表提前创建的月分区数"),
    source="本系统运维约定：每日任务保持未来三个月的分区，默认分区只作兜底",
    minimum=1,
    maximum=24,
)
config.define(
    "retention.notification_read_days",
    "int",
    365,
    _("已读通知保存天数（之后删除）"),
    source="本系统约定：收件箱保留一年内已读的消息；通知不是审计记录（操作留痕在审计记录中）",
    minimum=30,
    maximum=3650,
)
config.define(
    "retention.notification_unread_days",
    "int",
    1095,
    _("未读通知保存天数（之后删除）"),
    source="本系统约定：未读消息保留三年，长于任何办理时限",
    minimum=180,
    maximum=3650,
)
config.define(
    "retention.outbox_days",
    "int",
    180,
    _("已送达或已放弃的投递记录保存天数（状态回调、邮件、短信）"),
    source="本系统约定：投递记录供核对送达情况，保留六个月；待投递的记录不删除",
    minimum=30,
    maximum=3650,
)


# --- partitions ---------------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def month_bound(month: datetime.date) -> datetime.datetime:
    """The first instant of a month, local time (Asia/Shanghai): months as users and the
    retention dates count them (migration 0018 uses the same bounds)."""
    return timezone.make_aware(datetime.datetime.combine(month, datetime.time.min))


def partition_name(table: str, month: datetime.date) -> str:
    return f"{table}_p{month:%Y%m}"


_MONTH = re.compile(r"_p(\d{4})(\d{2})$")


@dataclass(frozen=True)
class Partition:
    name: str
    month: datetime.date | None  # None: the DEFAULT partition
    bounds: str
    rows: int  # the planner's estimate (reltuples); exact counts would read every row

    @property
    def is_default(self) -> bool:
        return self.month is None


def is_partitioned(table: str, using: str = "default") -> bool:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_class WHERE oid = to_regclass(%s) AND relkind = 'p'", [table]
        )
        return cursor.fetchone() is not None


def partitions_list(table: str, using: str = "default") -> list[Partition]:
    """The table's partitions, months in order, then the default."""
    if not is_partitioned(table, using):
        return []
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), greatest(c.reltuples, 0) "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [table],
        )
        rows = cursor.fetchall()
    found = []
    for name, bounds, estimate in rows:
        match = _MONTH.search(name)
        month = datetime.date(int(match[1]), int(match[2]), 1) if match else None
        found.append(Partition(name, month, bounds, int(estimate)))
    return sorted(found, key=lambda p: (p.month is None, p.month or datetime.date.min))


def _maintenance_lock(cursor: Any) -> None:
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _months(
    now: datetime.datetime, ahead: int, since: datetime.date | None
) -> Iterator[datetime.date]:
    this = month_start(timezone.localdate(now))
    month = min(month_start(since), this) if since else this
    last = this
    for _step in range(ahead):
        last = next_month(last)
    while month <= last:
        yield month
        month = next_month(month)


def partitions_ensure(
    *,
    months_ahead: int | None = None,
    since: datetime.date | None = None,
    now: datetime.datetime | None = None,
    using: str = "default",
) -> list[str]:
    """Create this month's partition and the next `months_ahead` ones where missing (each
    partitioned table), and with `since` every month from that one on (rows loaded into the
    past, e.g. by the benchmark's COPY, wait in the default partition until then); rows the
    default caught for such a month move into it. Idempotent; returns what it created."""
    ahead = int(config.get("partitions.months_ahead")) if months_ahead is None else months_ahead
    now = now or timezone.now()
    created = []
    for table, key in PARTITIONED.items():
        if not is_partitioned(table, using):
            continue
        existing = {p.month for p in partitions_list(table, using)}
        for month in _months(now, ahead, since):
            if month in existing:
                continue
            try:
                if _create(table, key, month, using):
                    created.append(partition_name(table, month))
            except OperationalError as exc:  # the lock timeout; a missing grant still raises
                logger.warning("%s: month %s not created now (%s)", table, month, exc)
    return created


def _create(table: str, key: str, month: datetime.date, using: str) -> bool:
    name = partition_name(table, month)
    low, high = month_bound(month), month_bound(next_month(month))
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        _maintenance_lock(cursor)
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is not None:  # another run made it meanwhile
            return False
        # A table of its own, then ATTACH: that locks the parent only in SHARE UPDATE
        # EXCLUSIVE mode, which inserts do not wait for (CREATE TABLE … PARTITION OF would
        # take ACCESS EXCLUSIVE). It still locks the default partition exclusively, to check
        # it holds none of the month's rows, and every audit writer reads the chain's head
        # through the parent — the default included — until it commits. So the attach waits
        # for the writers in flight, and the writers that come after wait behind it: at most
        # ATTACH_LOCK_TIMEOUT, after which this month is left for the next run.
        cursor.execute(f"SET LOCAL lock_timeout = '{ATTACH_LOCK_TIMEOUT}'")
        cursor.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS)")
        default = f"{table}_default"
        cursor.execute(
            f"INSERT INTO {name} SELECT * FROM {default} "  # noqa: S608
            f"WHERE {key} >= %s AND {key} < %s",
            [low, high],
        )
        if cursor.rowcount:
            # The default caught rows of this month (maintenance had stopped): they move into
            # it — moved, not removed, under the trail's DELETE exception.
            logger.warning(
                "%s: %s rows moved from the default into %s", table, cursor.rowcount, name
            )
            cursor.execute("SET LOCAL arrears.audit_archive = 'on'")
            cursor.execute(
                f"DELETE FROM {default} WHERE {key} >= %s AND {key} < %s",  # noqa: S608
                [low, high],
            )
        cursor.execute(
            f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)",
            [low, high],
        )
        cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    return True


def archived_rows_remove(
    *, table: str, last_seq: int, before: datetime.date, using: str = "default"
) -> int:
    """Inside `audit_archive`'s delete transaction, on a partitioned trail: remove the rows
    with seq ≤ last_seq, dropping each month that ended by `before` and holds nothing else
    (no row-by-row DELETE of a whole month) and deleting from the other partitions. Returns
    the rows removed, for the archive's count check.

    The deletes run first and the drops last, because a drop locks the whole table (ACCESS
    EXCLUSIVE) until the archive commits. A drop waits at most DROP_LOCK_TIMEOUT for that
    lock (a long reader, such as the daily chain walk, must not queue every audit writer
    behind it); if it cannot have it, or the role may not drop tables, those months are
    deleted row by row instead and their empty partitions dropped later."""
    connection = connections[using]
    parts = partitions_list(table, using)
    whole: list[str] = []
    with connection.cursor() as cursor:
        for part in parts:
            if part.month is None or next_month(part.month) > before:
                break  # the default, and months not wholly before the archive's date
            cursor.execute(f"SELECT coalesce(max(seq), 0) FROM {part.name}")  # noqa: S608
            if cursor.fetchone()[0] > last_seq:
                break  # months are in order: this and every later one hold live rows
            whole.append(part.name)
        removed = 0
        for part in parts:
            if part.name not in whole:
                # Each partition by its own seq index; the cloned trigger lets the archive's
                # transaction delete.
                cursor.execute(f"DELETE FROM {part.name} WHERE seq <= %s", [last_seq])  # noqa: S608
                removed += cursor.rowcount
    return removed + _drop_or_delete(table, whole, last_seq, using)


def _drop_or_delete(table: str, names: list[str], last_seq: int, using: str) -> int:
    if not names:
        return 0
    connection = connections[using]
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
            dropped = 0
            for name in names:
                # Counted again under the lock: what is dropped is exactly what is counted.
                cursor.execute(f"SELECT count(*), coalesce(max(seq), 0) FROM {name}")  # noqa: S608
                count, highest = cursor.fetchone()
                if highest > last_seq:
                    raise DatabaseError(f"{name} took a row after seq {last_seq}")
                cursor.execute(f"DROP TABLE {name}")
                dropped += count
            return int(dropped)
    except DatabaseError as exc:
        logger.warning("%s: months %s not dropped (%s); deleting their rows", table, names, exc)
    removed = 0
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DELETE FROM {name} WHERE seq <= %s", [last_seq])  # noqa: S608
            removed += cursor.rowcount
    return removed


def partitions_drop_empty(*, before: datetime.date, using: str = "default") -> list[str]:
    """Drop month partitions that ended before `before` and hold no row (months an archive
    emptied by DELETE). Never touches a partition with rows."""
    gone = []
    connection = connections[using]
    for table in PARTITIONED:
        for part in partitions_list(table, using):
            if part.is_default or part.month is None or next_month(part.month) > before:
                continue
            try:
                with transaction.atomic(using=using), connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
                    cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {part.name})")  # noqa: S608
                    if cursor.fetchone()[0]:
                        continue
                    cursor.execute(f"DROP TABLE {part.name}")
                    gone.append(part.name)
            except DatabaseError as exc:
                logger.warning("%s: empty partition %s not dropped (%s)", table, part.name, exc)
    return gone


# --- purges in chunks ---------------------------------------------------------------------


def _purge(
    model: type[models.Model],
    eligible: Q,
    *,
    time_field: str,
    cutoff: datetime.datetime,
    before_chunk: Callable[[int, int], None] | None = None,
) -> int:
    """Delete the rows matching `eligible`, walking the primary key from the oldest row in
    chunks of CHUNK ids, one transaction each, until the next chunk starts with a row younger
    than `cutoff` (ids grow with time, so nothing older lies beyond it). Each DELETE repeats
    the condition, so a row that changed since (a failed delivery sent again) stays."""
    manager = model._default_manager
    total = 0
    start = manager.order_by("pk").values_list("pk", time_field).first()
    while start is not None and start[1] < cutoff:
        low, high = start[0], start[0] + CHUNK
        with transaction.atomic():
            if before_chunk is not None:
                before_chunk(low, high)
            chunk = manager.filter(eligible, pk__gte=low, pk__lt=high)
            total += chunk._raw_delete(chunk.db)
        start = manager.filter(pk__gte=high).order_by("pk").values_list("pk", time_field).first()
    return total


def _days_ago(now: datetime.datetime, key: str) -> datetime.datetime:
    return now - datetime.timedelta(days=int(config.get(key)))


SETTLED = (DeliveryState.DELIVERED, DeliveryState.FAILED)


def outbox_models() -> list[type[OutboxItem]]:
    """Every concrete outbox table (the kernel's e-mail/SMS copies, the complaints app's
    callbacks), found in the app registry so the kernel imports no app above it."""
    return [m for m in apps.get_models() if issubclass(m, OutboxItem)]


def outbox_purge(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delivered or given-up (failed) rows older than `retention.outbox_days`; a pending row
    stays whatever its age."""
    now = now or timezone.now()
    cutoff = _days_ago(now, "retention.outbox_days")
    eligible = Q(state__in=SETTLED, created_at__lt=cutoff)
    return {
        m._meta.label: _purge(m, eligible, time_field="created_at", cutoff=cutoff)
        for m in outbox_models()
    }


def notifications_purge(*, now: datetime.datetime | None = None) -> int:
    """Notifications read and older than `retention.notification_read_days`, or older than
    `retention.notification_unread_days` read or not — with their settled e-mail/SMS copies.
    Kept: one with a copy still pending (the outbox would lose it), and a daily digest while
    an item it took remains (deleting it would set the item's digest to NULL, and the digest
    sweep would send that item again)."""
    now = now or timezone.now()
    read_cutoff = _days_ago(now, "retention.notification_read_days")
    unread_cutoff = _days_ago(now, "retention.notification_unread_days")
    old = Q(read_at__isnull=False, created_at__lt=read_cutoff) | Q(created_at__lt=unread_cutoff)
    # The walk stops at the later of the two cutoffs: nothing younger is eligible.
    cutoff = max(read_cutoff, unread_cutoff)
    pending = MessageDelivery.objects.filter(
        notification=OuterRef("pk"), state=DeliveryState.PENDING
    )
    items = Notification.objects.filter(digest=OuterRef("pk"))
    eligible = old & ~Q(Exists(pending)) & ~Q(Exists(items))

    def copies_first(low: int, high: int) -> None:
        # The copies go first (their foreign key would refuse the notifications' delete), and
        # only those of notifications the delete below takes: all settled, as `eligible` says.
        doomed = Notification.objects.filter(eligible, pk__gte=low, pk__lt=high)
        rows = MessageDelivery.objects.filter(notification__in=doomed.values("pk"))
        rows._raw_delete(rows.db)

    return _purge(
        Notification, eligible, time_field="created_at", cutoff=cutoff, before_chunk=copies_first
    )


def sessions_clear(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """What `manage.py clearsessions` does (the session engine's expired rows), and the
    session list's rows that can no longer be in use (past the idle or absolute limit);
    each user's stale rows are also removed at their next sign-in."""
    now = now or timezone.now()
    store = import_module(settings.SESSION_ENGINE).SessionStore
    store.clear_expired()
    stale = UserSession.objects.exclude(pk__in=active_sessions(now=now).values("pk"))
    return {"user_sessions": stale._raw_delete(stale.db)}


def tables_maintain(*, now: datetime.datetime | None = None) -> dict[str, Any]:
    """The daily task: months ahead, then the purges. Partition creation needs the tables'
    owner; a role with grants only logs the refusal (rows land in the default partition
    until `manage.py partitions` runs as the owner) and still purges."""
    now = now or timezone.now()
    result: dict[str, Any] = {}
    try:
        result["partitions_created"] = partitions_ensure(now=now)
    except DatabaseError:
        logger.exception("could not create the audit trails' partitions")
        result["partitions_created"] = None
    result["notifications"] = notifications_purge(now=now)
    result["outbox"] = outbox_purge(now=now)
    return result

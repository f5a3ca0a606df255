"""The chained MAC of the audit trails (tamper evidence).

Each row of a chained table (the change trail and the security events) carries `seq`, a
number without gaps, and `mac` = HMAC(key, canonical(row) ‖ previous row's mac), with the key
from the environment (AUDIT_HMAC_KEY) and HMAC-SM3 by default (HMAC-SHA-256 by setting). Who
edits a row without the key cannot make its MAC match; who removes one leaves a gap in `seq`
and a next row whose MAC no longer links; who cuts rows off the end is found against the head
the previous verification recorded.

Writers serialise: `append` takes one transaction-level PostgreSQL advisory lock (the same
for both tables, so two writers never take two locks in opposite orders), reads the head,
numbers and MACs all rows of its batch, inserts them, and keeps the lock until commit, so the
next writer's head is this one's last row. A bulk update of 10,000 rows takes the lock once.
On SQLite every write transaction already holds the database's one write lock (BEGIN
IMMEDIATE, see the settings). The cost: transactions that write audit rows are serialised
from their first audit write to their commit.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as chmac
from django.apps import apps
from django.conf import settings
from django.db import connections, models, router, transaction

from arrears.bulkinsert import insert_unnest
from arrears.streaming import stream

# The first row of a chain links to this (documented in docs/security.md).
GENESIS = "0" * 64
BATCH = 1000
# pg_advisory_xact_lock key: "audit" in ASCII. One lock for both chains (see above).
LOCK_KEY = 0x6175646974

# What each chained table's MAC covers, in order: every column but id, seq and mac. Keyed by
# table name so the migration's historical models use the same lists.
FIELDS: dict[str, tuple[str, ...]] = {
    "arrears_auditevent": (
        "occurred_at",
        "actor_id",
        "actor_label",
        "action",
        "content_type_id",
        "object_id",
        "object_repr",
        "changes",
        "bulk",
    ),
    "arrears_securityevent": (
        "occurred_at",
        "kind",
        "actor_id",
        "actor_label",
        "address",
        "object_type",
        "object_id",
        "object_repr",
        "result",
        "detail",
    ),
}
TABLES = tuple(FIELDS)


def _key() -> bytes:
    return str(settings.AUDIT_HMAC_KEY).encode()


def algorithm() -> str:
    return str(getattr(settings, "AUDIT_HMAC_ALGORITHM", "sm3")).lower()


@functools.cache
def _sm3_mac(key: bytes) -> Any:

    # One HMAC context keyed once, copied per message: keying costs more than the message.
    return chmac.HMAC(key, hashes.SM3())


def digest(message: bytes, *, key: bytes | None = None, algo: str | None = None) -> str:
    key = _key() if key is None else key
    algo = algorithm() if algo is None else algo
    if algo == "sha256":
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    if algo == "sm3":
        mac = _sm3_mac(key).copy()
        mac.update(message)
        return str(mac.finalize().hex())
    raise ValueError(f"AUDIT_HMAC_ALGORITHM must be sm3 or sha256, not {algo!r}")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return _utc_text(value)
    return value


@functools.lru_cache(maxsize=64)
def _utc_text(value: datetime.datetime) -> str:
    # Times in UTC with microseconds: what PostgreSQL and SQLite both give back unchanged.
    # Cached: the rows of one batch share their time (a bulk update's 10,000 audit rows).
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(table: str, seq: int, values: Sequence[Any]) -> bytes:
    """The bytes a row's MAC covers (without the link): the table, seq and the FIELDS values
    as compact JSON with sorted keys, so a JSON column read back in another key order (jsonb)
    serialises the same."""
    return json.dumps(
        [table, seq, *(_plain(v) for v in values)],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def row_mac(table: str, seq: int, values: Sequence[Any], prev_mac: str, **kw: Any) -> str:
    return digest(canonical(table, seq, values) + b"|" + prev_mac.encode(), **kw)


def values_of(obj: models.Model) -> list[Any]:
    return [getattr(obj, name) for name in FIELDS[obj._meta.db_table]]


def lock(using: str) -> None:
    """Serialise chain writers until this transaction ends (PostgreSQL; a no-op on SQLite,
    whose write transactions already exclude each other)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def anchor(model: type[models.Model], using: str) -> tuple[int, str]:
    """Where the rows in the database link to: the last archived row, else the genesis."""

    table = model._meta.db_table
    last = (
        _archive_model()
        .objects.using(using)
        .filter(table=table)
        .order_by("-last_seq")
        .values_list("last_seq", "last_mac")
        .first()
    )
    return (int(last[0]), str(last[1])) if last else (0, GENESIS)


def head(model: type[models.Model], using: str) -> tuple[int, str]:
    row = model._default_manager.using(using).order_by("-seq").values_list("seq", "mac").first()
    return (int(row[0]), str(row[1])) if row else anchor(model, using)


def append(
    model: type[models.Model],
    rows: Sequence[models.Model] | Sequence[dict[str, Any]],
    *,
    need_ids: bool = True,
) -> None:
    """Number, MAC and insert rows of one chained table, as one link of the chain each. Rows
    are instances, or plain dicts of attnames (then `need_ids=False`): on PostgreSQL those
    go in by INSERT … SELECT FROM unnest(…), BATCH rows a statement, and keep no ids —
    preparing thousands of instances for bulk_create cost more than computing their MACs
    (the sweep's 10,000 audit rows, docs/performance.md)."""
    if not rows:
        return
    using = router.db_for_write(model)
    table = model._meta.db_table
    names = FIELDS[table]
    with transaction.atomic(using=using, savepoint=False):
        lock(using)
        seq, prev = head(model, using)
        for row in rows:
            seq += 1
            if isinstance(row, dict):
                row["seq"] = seq
                row["mac"] = prev = row_mac(table, seq, [row[n] for n in names], prev)
            else:
                row.seq = seq  # type: ignore[attr-defined]
                row.mac = prev = row_mac(table, seq, values_of(row), prev)  # type: ignore[attr-defined]
        plain = [vars(r) if not isinstance(r, dict) else r for r in rows]
        if need_ids or connections[using].vendor != "postgresql":
            instances = [r if not isinstance(r, dict) else model(**r) for r in rows]
            model._default_manager.using(using).bulk_create(instances, batch_size=BATCH)
        else:
            for start in range(0, len(plain), BATCH):
                insert_unnest(model, plain[start : start + BATCH], using=using)


def chain_existing(model: Any, using: str) -> int:
    """Chain rows written before the chain existed, in id order (the migration). Their MACs
    vouch for them as they were at the upgrade, not when they were written."""
    table = model._meta.db_table
    names = FIELDS[table]
    seq, prev = 0, GENESIS
    pending: list[Any] = []
    rows = model._default_manager.using(using).order_by("pk").only("pk", *names)
    for row in rows.iterator(chunk_size=5000):
        seq += 1
        row.seq = seq
        row.mac = prev = row_mac(table, seq, [getattr(row, n) for n in names], prev)
        pending.append(row)
        if len(pending) >= BATCH:
            model._default_manager.using(using).bulk_update(pending, ["seq", "mac"])
            pending = []
    if pending:
        model._default_manager.using(using).bulk_update(pending, ["seq", "mac"])
    return seq


# --- verification -------------------------------------------------------------------------


@dataclass
class Problem:
    table: str
    seq: int
    kind: str  # "changed", "removed", "truncated", "head_changed"
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "seq": self.seq, "kind": self.kind, "detail": self.detail}


@dataclass
class Report:
    checked: int = 0
    heads: dict[str, list[Any]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


# Problems listed per table at most; a key change would otherwise list a million rows.
MAX_PROBLEMS = 100


def walk(
    table: str,
    rows: Iterable[Sequence[Any]],
    *,
    start_seq: int,
    start_mac: str,
    report: Report,
    key: bytes | None = None,
    algo: str | None = None,
) -> tuple[int, str]:
    """Check rows (seq, mac, *FIELDS values) in seq order against the chain that starts after
    (start_seq, start_mac); add what is wrong to the report. Returns the last (seq, mac)."""
    expected_seq, prev = start_seq + 1, start_mac
    found = 0
    for row in rows:
        seq, mac, values = int(row[0]), str(row[1]), row[2:]
        report.checked += 1
        if seq != expected_seq and found < MAX_PROBLEMS:
            found += 1
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
            report.problems.append(Problem(table, expected_seq, "removed", missing))
        elif row_mac(table, seq, values, prev, key=key, algo=algo) != mac and found < MAX_PROBLEMS:
            found += 1
            report.problems.append(Problem(table, seq, "changed"))
        # Link to the stored MAC: one edited row is reported once, not with every later one.
        expected_seq, prev = seq + 1, mac
    return expected_seq - 1, prev


def verify(*, using: str = "default", previous_heads: dict[str, Any] | None = None) -> Report:
    """Walk both chains from their anchors. Streamed (a server-side cursor on PostgreSQL) in
    one REPEATABLE READ snapshot, so an archive running meanwhile does not look like a gap."""

    report = Report()
    started = time.monotonic()
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for table in TABLES:
            model = next(m for m in apps.get_models() if m._meta.db_table == table)
            start_seq, start_mac = anchor(model, using)
            if start_seq and not _archive_genuine(table, start_seq, using):
                report.problems.append(Problem(table, start_seq, "archive_forged"))
            rows = (
                model._default_manager.using(using)
                .order_by("seq")
                .values_list("seq", "mac", *FIELDS[table])
                .iterator(chunk_size=5000)
            )
            last_seq, last_mac = walk(
                table, rows, start_seq=start_seq, start_mac=start_mac, report=report
            )
            report.heads[table] = [last_seq, last_mac]
            before = (previous_heads or {}).get(table)
            if before and int(before[0]) > start_seq:
                _check_previous_head(model, using, table, before, last_seq, report)
    report.seconds = time.monotonic() - started
    return report


def _check_previous_head(
    model: Any, using: str, table: str, before: Sequence[Any], last_seq: int, report: Report
) -> None:
    """The head the last verification saw must still be there with the same MAC: otherwise
    rows were cut off the end of the chain (or it was rewritten from there)."""
    seq, mac = int(before[0]), str(before[1])
    if last_seq < seq:
        report.problems.append(Problem(table, last_seq + 1, "truncated", f"{last_seq + 1}–{seq}"))
        return
    stored = model._default_manager.using(using).filter(seq=seq).values_list("mac", flat=True)
    if stored.first() != mac:
        report.problems.append(Problem(table, seq, "head_changed"))


def _archive_genuine(table: str, last_seq: int, using: str) -> bool:
    """An archive record names where the chain now starts; its MAC shows the archive command
    wrote it (or rows could be deleted from the start and a record forged to cover them)."""

    row = _archive_model().objects.using(using).filter(table=table, last_seq=last_seq).first()
    if row is None:
        return False
    values = [row.archived_at, row.table, row.first_seq, row.last_seq, row.last_mac, row.sha256]
    return hmac.compare_digest(record_mac(values), row.mac)


def record_mac(values: Sequence[Any]) -> str:
    """The MAC of a bookkeeping row (an archive or a verification), so it cannot be forged."""
    return digest(json.dumps([_plain(v) for v in values], sort_keys=True, default=str).encode())


def iter_rows(model: Any, using: str, **filters: Any) -> Iterator[dict[str, Any]]:
    """Rows as dicts (seq, mac and the MAC'd fields), in chain order, streamed."""
    table = model._meta.db_table
    names = ("seq", "mac", *FIELDS[table])
    qs = model._default_manager.using(using).filter(**filters).order_by("seq")
    for row in stream(qs.values_list(*names), chunk_size=5000):
        yield dict(zip(names, row, strict=True))


def _archive_model() -> Any:
    # Through the app registry: the models import the audit package, which imports this.
    return apps.get_model("arrears", "AuditArchive")

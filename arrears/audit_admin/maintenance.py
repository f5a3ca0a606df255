"""Verifying and archiving the audit trails: `audit_verify` (and the daily beat task) and
`audit_archive`. Records are kept at least `audit.retention_days` (≥ 180, 网络安全法 art. 21),
then moved to a compressed JSON-lines file that carries the chain's anchor, verified, and only
then deleted, in a transaction that the append-only trigger lets delete — on PostgreSQL, where
the trails are partitioned by month, whole archived months are dropped (arrears/retention.py)."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import config, retention
from arrears.audit import chain
from arrears.audit.security import security_event
from arrears.models import AuditArchive, AuditVerification, Role, User
from arrears.notifications import Text
from arrears.services import notification_send

config.define(
    "audit.retention_days",
    "int",
    180,
    gettext_lazy("审计记录保存天数（到期后方可归档）"),
    source="网络安全法第二十一条：留存网络日志不少于六个月",
    minimum=180,
    maximum=3650,
)

FORMAT = "arrears-audit-archive/1"


def _model(table: str) -> Any:
    return next(m for m in apps.get_models() if m._meta.db_table == table)


def audit_partitions_drop_empty(*, using: str = "default") -> list[str]:
    """Drop the trails' month partitions that an archive emptied row by row (its drop had to
    give way to a long reader) once they lie wholly past the retention period: the daily
    table maintenance calls it. Never a partition that holds a row."""
    return retention.partitions_drop_empty(before=earliest_allowed(), using=using)


# --- verification -------------------------------------------------------------------------


def audit_verify_record(*, using: str = "default", alert: bool = True) -> Any:
    """Walk the chains, keep the outcome (the audit page shows the last one) and alert the
    administrators when something is wrong."""

    previous = AuditVerification.objects.using(using).filter(ok=True).first()
    report = chain.verify(using=using, previous_heads=previous.heads if previous else None)
    # On failure the heads of the last good walk are carried on: the next walk must still be
    # compared with what was known to be intact.
    heads = report.heads if report.ok or previous is None else previous.heads
    now = timezone.now()
    problems = [p.as_dict() for p in report.problems]
    row = AuditVerification(
        verified_at=now,
        ok=report.ok,
        checked=report.checked,
        heads=heads,
        problems=problems,
        seconds=round(report.seconds, 3),
    )
    row.mac = chain.record_mac([now, report.ok, report.checked, heads, problems])
    row.save(using=using)
    security_event(
        kind="audit_verified",
        result="success" if report.ok else "failure",
        detail={"checked": report.checked, "problems": problems[:20]},
    )
    if not report.ok and alert:
        _alert(row)
    return row


def _alert(row: Any) -> None:
    # Thin import: arrears.services imports the models.
    recipients = User.objects.filter(is_active=True).filter(
        role__in=[Role.AUDIT_ADMIN, Role.SECURITY_ADMIN]
    ) | User.objects.filter(is_active=True, is_superuser=True)
    notification_send(
        recipients=list(recipients.distinct()),
        kind="audit.chain_broken",
        title=Text(gettext_lazy("审计记录校验失败：发现%(n)s处被修改或删除"), n=len(row.problems)),
        url="/audit/",
        dedupe_key=f"audit-verify:{row.pk}",
        email=True,
        urgent=True,
    )


def last_verification() -> Any:
    return AuditVerification.objects.first()


# --- archive ------------------------------------------------------------------------------


class ArchiveRefused(Exception):
    """The archive would remove records still inside the retention period, or found the
    chain broken in what it was to remove."""


@dataclass
class ArchivedTable:
    table: str
    first_seq: int
    last_seq: int
    count: int
    last_mac: str


def earliest_allowed(now: datetime.datetime | None = None) -> datetime.date:
    """The latest `--before` date allowed: today minus the retention period."""
    today = timezone.localdate(now or timezone.now())
    return today - datetime.timedelta(days=int(config.get("audit.retention_days")))


def _cutoff(before: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(before, datetime.time.min))


def _plain_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: chain._plain(v) for k, v in row.items()}


def _prefix_end(model: Any, using: str, cutoff: datetime.datetime) -> int:
    """The last seq of the longest prefix of the chain older than the cutoff. A prefix, not
    every old row: times are taken before the chain lock, so a slightly older row can follow
    a younger one, and the chain can only be cut at one point."""
    first_young = (
        model._default_manager.using(using)
        .filter(occurred_at__gte=cutoff)
        .order_by("seq")
        .values_list("seq", flat=True)
        .first()
    )
    if first_young is not None:
        return int(first_young) - 1
    return chain.head(model, using)[0]


def audit_archive(
    *, before: datetime.date, to: Path, using: str = "default"
) -> list[ArchivedTable]:
    """Write the records older than `before` (both trails) to `to`, verify the file against
    the chain, then delete them. Refuses dates inside the retention period."""
    if before > earliest_allowed():
        raise ArchiveRefused(
            _("审计记录至少保存%(days)s天：归档日期不能晚于%(date)s")
            % {"days": config.get("audit.retention_days"), "date": earliest_allowed()}
        )
    if to.exists():
        raise ArchiveRefused(_("文件已存在：%(f)s") % {"f": to})
    cutoff = _cutoff(before)
    plans: list[tuple[Any, int, str, int]] = []
    for table in chain.TABLES:
        model = _model(table)
        anchor_seq, anchor_mac = chain.anchor(model, using)
        end = _prefix_end(model, using, cutoff)
        if end > anchor_seq:
            plans.append((model, anchor_seq, anchor_mac, end))
    if not plans:
        return []
    done = _write(to, plans, using, before)
    _verify_file(to, done)
    digest = hashlib.sha256(to.read_bytes()).hexdigest()
    _delete(done, plans, using, to, digest, before)
    for item in done:
        security_event(
            kind="audit_archived",
            detail={
                "table": item.table,
                "first_seq": item.first_seq,
                "last_seq": item.last_seq,
                "count": item.count,
                "file": str(to),
                "sha256": digest,
            },
        )
    return done


def _write(
    to: Path, plans: list[tuple[Any, int, str, int]], using: str, before: datetime.date
) -> list[ArchivedTable]:
    done = []
    partial = to.with_name(f".{to.name}.partial")
    with gzip.open(partial, "wt", encoding="utf-8") as out:
        header = {"format": FORMAT, "algorithm": chain.algorithm(), "before": str(before)}
        out.write(json.dumps(header, ensure_ascii=False) + "\n")
        for model, anchor_seq, anchor_mac, end in plans:
            table = model._meta.db_table
            section = {"table": table, "anchor_seq": anchor_seq, "anchor_mac": anchor_mac}
            out.write(json.dumps(section) + "\n")
            count, last_mac = 0, anchor_mac
            for row in chain.iter_rows(model, using, seq__lte=end):
                out.write(json.dumps(_plain_row(row), ensure_ascii=False) + "\n")
                count, last_mac = count + 1, row["mac"]
            out.write(json.dumps({"end": table, "count": count, "last_mac": last_mac}) + "\n")
            done.append(ArchivedTable(table, anchor_seq + 1, end, count, last_mac))
    os.replace(partial, to)
    return done


def read_archive(path: Path) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each section of an archive file: its header and its rows."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        header = json.loads(next(lines))
        if header.get("format") != FORMAT:
            raise ValueError(f"{path}: not an audit archive")
        section: dict[str, Any] | None = None
        rows: list[dict[str, Any]] = []
        for line in lines:
            item = json.loads(line)
            if "table" in item and "anchor_mac" in item:
                section, rows = {**item, "algorithm": header["algorithm"]}, []
            elif "end" in item and section is not None:
                yield {**section, **item}, rows
                section = None
            else:
                rows.append(item)


def verify_archive(path: Path) -> chain.Report:
    """Recompute the chain of every section of an archive file from its anchor."""
    report = chain.Report()
    for section, rows in read_archive(path):
        table = section["table"]
        names = chain.FIELDS[table]
        last_seq, last_mac = chain.walk(
            table,
            ([r["seq"], r["mac"], *(r[n] for n in names)] for r in rows),
            start_seq=int(section["anchor_seq"]),
            start_mac=str(section["anchor_mac"]),
            report=report,
            algo=section["algorithm"],
        )
        if last_mac != section["last_mac"] or len(rows) != section["count"]:
            report.problems.append(chain.Problem(table, last_seq, "truncated", "file"))
        report.heads[table] = [last_seq, last_mac]
    return report


def _verify_file(to: Path, done: list[ArchivedTable]) -> None:
    report = verify_archive(to)
    expected = {d.table: [d.last_seq, d.last_mac] for d in done}
    if not report.ok or report.heads != expected:
        # Keep the file (it is evidence) but delete nothing.
        raise ArchiveRefused(
            _("归档文件校验未通过，未删除任何记录：%(p)s")
            % {"p": "; ".join(f"{p.table} #{p.seq} {p.kind}" for p in report.problems[:10])}
        )


def _delete(
    done: list[ArchivedTable],
    plans: list[tuple[Any, int, str, int]],
    using: str,
    to: Path,
    digest: str,
    before: datetime.date,
) -> None:
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # The trigger's one exception, for this transaction only (SET LOCAL).
                cursor.execute("SET LOCAL arrears.audit_archive = 'on'")
        for item, (model, _anchor_seq, _anchor_mac, end) in zip(done, plans, strict=True):
            if retention.is_partitioned(item.table, using):
                # PostgreSQL: whole archived months are dropped, the rest deleted by seq.
                deleted = retention.archived_rows_remove(
                    table=item.table, last_seq=end, before=before, using=using
                )
            else:
                # A raw delete: no cascade collection, no signals, one statement.
                qs = model._default_manager.using(using).filter(seq__lte=end)
                deleted = qs._raw_delete(using)
            if deleted != item.count:
                raise ArchiveRefused(
                    _("待删除记录数（%(d)s）与归档文件（%(n)s）不一致，已撤销")
                    % {"d": deleted, "n": item.count}
                )
            archived_at = timezone.now()
            AuditArchive.objects.using(using).create(
                archived_at=archived_at,
                table=item.table,
                first_seq=item.first_seq,
                last_seq=item.last_seq,
                count=item.count,
                last_mac=item.last_mac,
                file=str(to)[:500],
                sha256=digest,
                mac=chain.record_mac(
                    [archived_at, item.table, item.first_seq, item.last_seq, item.last_mac, digest]
                ),
            )

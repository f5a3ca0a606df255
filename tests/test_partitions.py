"""The audit trails' monthly partitions on PostgreSQL (issue 14, migration 0018): months
ahead are created idempotently, the default partition catches a row whose month is missing
and gives it up to its month later, ORM inserts and COPY land in the right month, and an
archive drops whole archived months while the chain still verifies."""

from __future__ import annotations

import datetime as dt
import io
import threading
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from arrears import audit, retention
from arrears.audit import chain
from arrears.audit_admin import maintenance
from arrears.models import AuditEvent, SecurityEvent
from tests.factories import CountyFactory
from tests.races import run_together

pytestmark = pytest.mark.postgres

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# Far from the months the test database's migration created (around the day it ran).
MARCH_2035 = dt.datetime(2035, 3, 10, 9, tzinfo=SHANGHAI)


def _where(model: Any, pk: int) -> str:
    """The partition that holds a row."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text FROM {model._meta.db_table} WHERE id = %s",  # noqa: S608
            [pk],
        )
        return str(cursor.fetchone()[0])


def _names(table: str = "arrears_securityevent") -> list[str]:
    return [p.name for p in retention.partitions_list(table)]


def _login_event() -> SecurityEvent:
    audit.security_event(kind="login", result="success")
    return SecurityEvent.objects.order_by("-seq").first()  # type: ignore[return-value]


def test_the_trails_are_partitioned_with_a_default(db: None) -> None:
    for table in retention.PARTITIONED:
        assert retention.is_partitioned(table)
        assert _names(table)[-1] == f"{table}_default"


def test_this_month_and_the_next_ones_are_created_once(db: None) -> None:
    # when
    created = retention.partitions_ensure(months_ahead=2, now=MARCH_2035)
    # then
    months = ["p203503", "p203504", "p203505"]
    assert created == [f"{t}_{m}" for t in retention.PARTITIONED for m in months]
    assert {f"arrears_securityevent_{m}" for m in months} <= set(_names())
    # and a second run (beat twice, or the command) changes nothing
    assert retention.partitions_ensure(months_ahead=2, now=MARCH_2035) == []


def test_the_command_creates_the_configured_months_and_lists_them(db: None, capsys: Any) -> None:
    with time_machine.travel(MARCH_2035, tick=False):
        call_command("partitions")  # partitions.months_ahead: 3
    out = capsys.readouterr().out
    assert "created arrears_auditevent_p203506" in out
    assert "arrears_auditevent_p203507" not in out
    assert "arrears_securityevent_default" in out


def test_orm_inserts_land_in_their_month(db: None) -> None:
    retention.partitions_ensure(months_ahead=1, now=MARCH_2035)
    with time_machine.travel(MARCH_2035, tick=False), audit.acting_as(label="test"):
        county = CountyFactory.create()
        event = _login_event()
    change = AuditEvent.objects.get(object_id=str(county.pk), content_type__model="county")
    assert _where(AuditEvent, change.pk) == "arrears_auditevent_p203503"
    assert _where(SecurityEvent, event.pk) == "arrears_securityevent_p203503"
    # the ORM still reads a row by its id alone
    assert SecurityEvent.objects.get(pk=event.pk).kind == "login"


def test_the_default_catches_a_missing_month_and_gives_it_up_later(db: None) -> None:
    # given a row written in a month that has no partition (maintenance had stopped)
    with time_machine.travel(dt.datetime(2040, 1, 5, 9, tzinfo=SHANGHAI), tick=False):
        event = _login_event()
    assert _where(SecurityEvent, event.pk) == "arrears_securityevent_default"
    # when the month's partition is created
    created = retention.partitions_ensure(
        months_ahead=0, now=dt.datetime(2040, 1, 20, tzinfo=SHANGHAI)
    )
    # then the row moved into it, unchanged: the chain still verifies
    assert "arrears_securityevent_p204001" in created
    assert _where(SecurityEvent, event.pk) == "arrears_securityevent_p204001"
    report = chain.verify()
    assert report.ok, report.problems


def test_months_in_the_past_are_made_on_request_and_take_their_rows(db: None, capsys: Any) -> None:
    # given rows loaded into months long gone (as the benchmark's COPY does): the default
    with time_machine.travel(dt.datetime(2034, 11, 20, 9, tzinfo=SHANGHAI), tick=False):
        event = _login_event()
    assert _where(SecurityEvent, event.pk) == "arrears_securityevent_default"
    # when
    with time_machine.travel(dt.datetime(2035, 1, 5, 9, tzinfo=SHANGHAI), tick=False):
        call_command("partitions", "--since", "2034-11", "--months", "0")
    # then November to January exist, and the row is in November
    out = capsys.readouterr().out
    for month in ("203411", "203412", "203501"):
        assert f"created arrears_securityevent_p{month}" in out
    assert _where(SecurityEvent, event.pk) == "arrears_securityevent_p203411"
    assert chain.verify().ok


def test_the_command_refuses_a_bad_month(db: None) -> None:
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("partitions", "--since", "2034-13")


def test_copy_routes_rows_to_their_partitions(db: None) -> None:
    # The benchmark seeds big tables with COPY; into a partitioned table it routes each row.
    retention.partitions_ensure(months_ahead=0, now=MARCH_2035)
    rows = io.StringIO(
        "2035-03-11 10:00:00+08\tlogin\tcopy\t\t\t\t\tsuccess\t{}\t9001\tx\n"
        "2041-07-01 10:00:00+08\tlogin\tcopy\t\t\t\t\tsuccess\t{}\t9002\tx\n"
    )
    columns = (
        "occurred_at, kind, actor_label, address, object_type, object_id, object_repr, "
        "result, detail, seq, mac"
    )
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY arrears_securityevent ({columns}) FROM STDIN", rows)
    first, second = SecurityEvent.objects.filter(actor_label="copy").order_by("seq")
    assert _where(SecurityEvent, first.pk) == "arrears_securityevent_p203503"
    assert _where(SecurityEvent, second.pk) == "arrears_securityevent_default"


def test_an_archive_drops_whole_archived_months(db: None, tmp_path: Path) -> None:
    # given records in January, February and March 2035, each month its own partition
    retention.partitions_ensure(months_ahead=3, now=dt.datetime(2035, 1, 2, tzinfo=SHANGHAI))
    for month in (1, 2, 3):
        with (
            time_machine.travel(dt.datetime(2035, month, 10, 9, tzinfo=SHANGHAI), tick=False),
            audit.acting_as(label="test"),
        ):
            CountyFactory.create()
            _login_event()
    march = AuditEvent.objects.filter(occurred_at__gte=dt.datetime(2035, 3, 1, tzinfo=SHANGHAI))
    kept = march.count()
    with connection.cursor() as cursor:
        # The test's own inserts left deferred foreign-key checks on these partitions, which
        # would refuse the drop (the archive then deletes instead); a real archive runs in
        # a transaction of its own, with none pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # when, past the retention, everything before March is archived
    with time_machine.travel(dt.datetime(2035, 10, 1, 9, tzinfo=SHANGHAI), tick=False):
        done = maintenance.audit_archive(before=dt.date(2035, 3, 1), to=tmp_path / "a.jsonl.gz")
    # then January and February are gone as partitions, March stays with its rows
    assert {d.table for d in done} == set(retention.PARTITIONED)
    for table in retention.PARTITIONED:
        names = _names(table)
        assert f"{table}_p203501" not in names and f"{table}_p203502" not in names
        assert f"{table}_p203503" in names
    assert march.count() == kept > 0
    assert maintenance.verify_archive(tmp_path / "a.jsonl.gz").ok
    report = chain.verify()
    assert report.ok, report.problems


def test_a_month_that_cannot_be_dropped_is_deleted_row_by_row(db: None, tmp_path: Path) -> None:
    # given January records whose partition cannot be dropped in this transaction (its
    # inserts' deferred foreign-key checks are pending, as a lock held elsewhere would too)
    retention.partitions_ensure(months_ahead=2, now=dt.datetime(2035, 1, 2, tzinfo=SHANGHAI))
    with (
        time_machine.travel(dt.datetime(2035, 1, 10, 9, tzinfo=SHANGHAI), tick=False),
        audit.acting_as(label="test"),
    ):
        CountyFactory.create()
    # when archived
    with time_machine.travel(dt.datetime(2035, 10, 1, 9, tzinfo=SHANGHAI), tick=False):
        done = maintenance.audit_archive(before=dt.date(2035, 2, 1), to=tmp_path / "a.jsonl.gz")
    # then the rows went by DELETE, the month stays (empty, for the daily maintenance)
    assert sum(d.count for d in done if d.table == "arrears_auditevent") >= 1
    assert not AuditEvent.objects.filter(occurred_at__lt=dt.datetime(2035, 2, 1, tzinfo=SHANGHAI))
    assert "arrears_auditevent_p203501" in _names("arrears_auditevent")
    report = chain.verify()
    assert report.ok, report.problems


def test_the_archive_still_refuses_records_inside_the_retention(db: None, tmp_path: Path) -> None:
    retention.partitions_ensure(months_ahead=1, now=MARCH_2035)
    with time_machine.travel(MARCH_2035, tick=False):
        _login_event()
        with pytest.raises(maintenance.ArchiveRefused):
            maintenance.audit_archive(before=dt.date(2035, 3, 1), to=tmp_path / "a.jsonl.gz")
    assert "arrears_securityevent_p203503" in _names()


def test_only_empty_months_past_the_retention_are_dropped(db: None) -> None:
    # given an empty January and a February with a record, both long past the retention
    retention.partitions_ensure(months_ahead=1, now=dt.datetime(2035, 1, 2, tzinfo=SHANGHAI))
    with time_machine.travel(dt.datetime(2035, 2, 10, tzinfo=SHANGHAI), tick=False):
        _login_event()
    # when the daily maintenance runs in December
    with time_machine.travel(dt.datetime(2035, 12, 1, tzinfo=SHANGHAI), tick=False):
        gone = maintenance.audit_partitions_drop_empty()
    # then January went, February (a record in it) stayed, as did every month ahead
    assert "arrears_securityevent_p203501" in gone
    names = _names()
    assert "arrears_securityevent_p203502" in names
    assert "arrears_securityevent_p203501" not in names


def test_the_append_only_trigger_guards_every_partition(db: None) -> None:
    retention.partitions_ensure(months_ahead=0, now=MARCH_2035)
    with time_machine.travel(MARCH_2035, tick=False):
        _login_event()
    for target in ("arrears_securityevent", "arrears_securityevent_p203503"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"DELETE FROM {target}")  # noqa: S608


@pytest.mark.django_db(transaction=True)
def test_the_migration_goes_back_to_plain_tables_and_forward_again() -> None:
    # given a row in the partitioned trail
    _login_event()
    executor = MigrationExecutor(connection)
    # when the migration is reversed, then applied again
    executor.migrate([("arrears", "0017_cities_required")])
    assert not retention.is_partitioned("arrears_securityevent")
    assert chain.verify().ok
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    # then the row survived both ways and the trail takes new rows
    assert retention.is_partitioned("arrears_securityevent")
    _login_event()
    report = chain.verify()
    assert report.ok, report.problems
    assert SecurityEvent.objects.count() == 2


def _drop(*names: str) -> None:
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


@pytest.mark.django_db(transaction=True)
def test_two_maintenance_runs_at_once_create_each_month_once() -> None:
    # Two beats (or the command while beat runs): the advisory lock and the re-check inside it.
    months = [f"{t}_p203705" for t in retention.PARTITIONED]
    now = dt.datetime(2037, 5, 3, tzinfo=SHANGHAI)
    try:
        first, second = run_together(
            lambda: retention.partitions_ensure(months_ahead=0, now=now),
            lambda: retention.partitions_ensure(months_ahead=0, now=now),
        )
        assert not isinstance(first, Exception) and not isinstance(second, Exception)
        assert sorted([*first, *second]) == sorted(months)
    finally:
        _drop(*months)


@pytest.mark.django_db(transaction=True)
def test_creating_a_month_gives_way_to_an_audit_writer_then_succeeds() -> None:
    # given a transaction that wrote a security event and has not committed: it read the
    # chain's head through the whole table, the default partition included, which attaching
    # a month must lock exclusively
    months = {t: [f"{t}_p203708", f"{t}_p203709"] for t in retention.PARTITIONED}
    retention.partitions_ensure(months_ahead=0, now=dt.datetime(2037, 8, 1, tzinfo=SHANGHAI))
    written, release = threading.Event(), threading.Event()

    def writer() -> None:
        try:
            with transaction.atomic():
                audit.security_event(kind="login", result="success")
                written.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    august = dt.datetime(2037, 8, 10, 9, tzinfo=SHANGHAI)
    try:
        with time_machine.travel(august, tick=False):
            thread.start()
            assert written.wait(30)
            # when next month is made meanwhile: the trail the writer holds gives way after
            # the lock timeout (the writer, and those behind it, wait no longer than that)
            during = retention.partitions_ensure(months_ahead=1, now=august)
            release.set()
            thread.join()
            after = retention.partitions_ensure(months_ahead=1, now=august)
        # then the other trail's month was made at once, this one's on the next run
        assert during == ["arrears_auditevent_p203709"]
        assert after == ["arrears_securityevent_p203709"]
    finally:
        release.set()
        if thread.is_alive():
            thread.join()
        _drop(*months["arrears_auditevent"], *months["arrears_securityevent"])

"""Streamed exports behind a pooler in transaction mode (arrears/streaming.py): the cursor lives
in a transaction of its own on the `stream` connection while the default one goes on
committing. The tests marked `pgbouncer` run only through PgBouncer (`make test-pgbouncer`,
scripts/pgbouncer.sh, which runs them in CI); the others on any PostgreSQL."""

from __future__ import annotations

import os
from typing import Any

import psycopg2
import pytest
from django.db import DatabaseError, connections, transaction
from django.test import Client

from arrears import jobs, services
from arrears.models import DepartmentKind, Heartbeat, Industry, Job, JobState
from arrears.reference import ensure_industries
from arrears.streaming import STREAM, by_pk, stream
from projects.models import Project
from tests.factories import CountyFactory, DepartmentFactory, UserFactory

PGBOUNCER_PORT = os.environ.get("ARREARS_PGBOUNCER_PORT", "")
behind_pgbouncer = pytest.mark.skipif(
    not PGBOUNCER_PORT, reason="runs through PgBouncer only: make test-pgbouncer"
)
# Committed rows: the stream connection sees only what is committed.
streamed = pytest.mark.django_db(transaction=True, databases=["default", STREAM])


def _heartbeats(count: int) -> None:
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=f"stream-{n:04}", at="2026-03-02T10:00:00+08:00") for n in range(count)]
    )


@pytest.mark.postgres
@streamed
def test_a_stream_reads_in_a_transaction_of_its_own_while_the_default_connection_commits() -> None:
    # given more rows than one fetch
    _heartbeats(25)
    names = []
    # when they are streamed ten at a time, with a write on the default connection per row
    for beat in stream(Heartbeat.objects.order_by("name"), chunk_size=10):
        assert connections[STREAM].in_atomic_block
        assert connections["default"].get_autocommit()
        Heartbeat.objects.filter(pk=beat.pk).update(name=beat.name + "-seen")
        names.append(beat.name)
    # then every row came, in order, and the writes beside them were committed as they went
    assert names == [f"stream-{n:04}" for n in range(25)]
    assert not connections[STREAM].in_atomic_block
    assert Heartbeat.objects.filter(name__endswith="-seen").count() == 25


@pytest.mark.postgres
def test_inside_a_transaction_the_stream_reads_in_it(db: None) -> None:
    # A caller's (or a test's) transaction: its uncommitted rows are what must be read.
    _heartbeats(3)
    assert len(list(stream(Heartbeat.objects.all(), chunk_size=2))) == 3


def _pgbouncer_console() -> Any:
    params = connections["default"].get_connection_params()
    return psycopg2.connect(
        host=params.get("host", "127.0.0.1"),
        port=PGBOUNCER_PORT,
        user="postgres",
        dbname="pgbouncer",
    )


@behind_pgbouncer
@pytest.mark.django_db
def test_the_database_is_reached_through_pgbouncer_in_transaction_mode() -> None:
    assert str(connections["default"].settings_dict["PORT"]) == PGBOUNCER_PORT
    console = _pgbouncer_console()
    console.autocommit = True
    with console.cursor() as cursor:
        cursor.execute("SHOW CONFIG")
        config = {row[0]: row[1] for row in cursor.fetchall()}
    console.close()
    assert config["pool_mode"] == "transaction"


@behind_pgbouncer
@streamed
def test_a_held_cursor_outside_a_transaction_is_lost_and_a_stream_is_not() -> None:
    # given rows enough for several fetches, read through PgBouncer
    _heartbeats(30)
    # when Django's own iterator runs outside a transaction (a cursor WITH HOLD, each fetch
    # in a transaction of its own) and another client holds the server connection the cursor
    # was declared on between two fetches
    rows = Heartbeat.objects.order_by("name").iterator(chunk_size=10)
    next(rows)
    with transaction.atomic(using=STREAM):
        with connections[STREAM].cursor() as cursor:
            cursor.execute("SELECT 1")
        # then the next fetch reaches a server connection where the cursor does not exist
        # (psycopg2's own error when closing the lost cursor replaces Django's)
        with pytest.raises((DatabaseError, psycopg2.Error), match="does not exist"):
            for _ in range(10):
                next(rows)
    connections["default"].close()
    # while a stream keeps its cursor on one server connection for its life, whatever the
    # other clients do in between
    seen = 0
    for _beat in stream(Heartbeat.objects.order_by("name"), chunk_size=10):
        with transaction.atomic():
            Heartbeat.objects.filter(name="stream-0000").update(at="2026-03-02T11:00:00+08:00")
        seen += 1
    assert seen == 30


@behind_pgbouncer
@streamed
def test_an_export_job_and_an_inline_export_stream_through_pgbouncer(settings: Any) -> None:
    # given 2,500 projects (more than one fetch of 2,000) and the city office
    ensure_industries(Industry)
    county = CountyFactory.create()
    housing = DepartmentFactory.create(county=county, kind=DepartmentKind.HOUSING)
    industry = Industry.objects.get(code="housing")
    housing.industries.set([industry])
    Project.objects.bulk_create(
        [
            Project(code=f"XM-{n:05}", name=f"项目{n}", county=county, industry=industry)
            for n in range(2500)
        ]
    )
    office = Client()
    office.force_login(UserFactory.create(city_office=True))
    # when it is exported in the request (streamed as the response is sent)
    inline: Any = office.get("/projects/export.csv")
    expected = b"".join(inline.streaming_content)
    assert expected.decode("utf-8-sig").count("\n") == 2501
    # and as a background job, its progress written (and its lease renewed) while rows stream
    settings.CELERY_TASK_ALWAYS_EAGER = True
    services.config_set(key="jobs.inline_rows", value=0)
    assert office.get("/projects/export.csv").status_code == 302
    # then the job is done with every row, and its file is the inline export's
    job = Job.objects.get()
    assert job.state == JobState.DONE, job.error
    assert (job.done, job.total) == (2500, 2500)
    download: Any = office.get(f"/jobs/{job.pk}/download/")
    assert b"".join(download.streaming_content) == expected
    assert jobs.FLUSH_ROWS < 2500  # progress was written mid-stream at least once


@pytest.mark.django_db
def test_by_pk_reads_every_row_once_in_batches(django_assert_num_queries: Any) -> None:
    _heartbeats(25)
    with django_assert_num_queries(3):  # 10 + 10 + 5
        names = [beat.name for beat in by_pk(Heartbeat.objects.all(), batch=10)]
    assert names == [f"stream-{n:04}" for n in range(25)]
    # a multiple of the batch ends with one empty query
    Heartbeat.objects.filter(name__gte="stream-0020").delete()
    with django_assert_num_queries(3):
        assert len(list(by_pk(Heartbeat.objects.all(), batch=10))) == 20

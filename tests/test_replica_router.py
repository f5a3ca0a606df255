"""The replica router's decisions, without a replica (tests/test_replica.py has the real one):
which reads may go there, how far behind a replica is, when a user's write holds the reads on
the primary, and what a view does when the replica fails in its middle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from arrears import replica
from complaints.models import Case

NOW = timezone.make_aware(dt.datetime(2026, 11, 30, 12, 0))
ROUTER = replica.ReplicaRouter()


@pytest.fixture(autouse=True)
def _nothing_measured() -> Iterator[None]:
    replica.forget()
    yield
    replica.forget()


@pytest.fixture
def configured() -> Iterator[None]:
    with mock.patch.object(replica, "configured", return_value=True):
        yield


def measured(replay_lsn: int = 1000, lag: float = 0.0) -> Any:
    found = replica.Position(measured=0.0, replay_lsn=replay_lsn, lag=lag, as_of=NOW)
    return mock.patch.object(replica, "position", return_value=found)


def written(lsn: int) -> Any:
    return mock.patch.object(replica, "_written", return_value=lsn)


class Someone:
    pk = 7
    is_authenticated = True


SOMEONE: Any = Someone()  # a signed-in user, as far as the router looks


def test_positions_compare_as_numbers() -> None:
    assert replica._lsn("0/3000000") == 0x3000000
    assert replica._lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert (replica._lsn("1/0") or 0) > (replica._lsn("0/FFFFFFFF") or 0)
    assert replica._lsn(None) is None


# --- Where reads go ---------------------------------------------------------------------------


def test_unmarked_reads_and_every_write_go_to_the_primary() -> None:
    assert ROUTER.db_for_read(Case) == "default"
    assert ROUTER.db_for_write(Case) == "default"
    with replica._primary_reads():
        assert ROUTER.db_for_read(Case) == "default"


def test_marked_reads_go_where_the_block_chose_and_writes_stay_on_the_primary() -> None:
    token = replica._reading.set(replica.Freshness(replica.REPLICA, NOW))
    try:
        assert ROUTER.db_for_read(Case) == "replica"
        assert ROUTER.db_for_write(Case) == "default"
    finally:
        replica._reading.reset(token)
    # an object loaded from the replica is followed back to the primary once outside
    assert ROUTER.db_for_read(Case, instance=Case()) == "default"


def test_a_request_that_wrote_reads_the_rest_from_the_primary() -> None:
    writes = replica._Writes(wrote=True)
    tokens = (
        replica._reading.set(replica.Freshness(replica.REPLICA, NOW)),
        replica._request_writes.set(writes),
    )
    try:
        assert ROUTER.db_for_read(Case) == "default"
    finally:
        replica._request_writes.reset(tokens[1])
        replica._reading.reset(tokens[0])


def test_migrations_run_on_the_primary_only() -> None:
    assert ROUTER.allow_migrate("default", "complaints")
    assert not ROUTER.allow_migrate("replica", "complaints")


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ('SELECT "complaints_case"."id" FROM "complaints_case"', False),
        ('SELECT * FROM "complaints_case" WHERE id = 1 FOR UPDATE', False),
        ("  select pg_current_wal_lsn()", False),
        ('SAVEPOINT "s1"', False),
        ('INSERT INTO "arrears_job" ("kind") VALUES (%s)', True),
        ('UPDATE "complaints_case" SET "state" = %s', True),
        ('DELETE FROM "django_session"', True),
        ("WITH moved AS (DELETE FROM t RETURNING *) INSERT INTO u SELECT * FROM moved", True),
        ("COPY t FROM STDIN", True),
    ],
)
def test_a_statement_counts_as_a_write_unless_it_only_reads(sql: str, writes: bool) -> None:
    seen = replica._Writes()
    replica._watch(seen)(lambda *args: None, sql, None, False, {})
    assert seen.wrote is writes


# --- How far behind -------------------------------------------------------------------------


def sample(seconds_before: float, lsn: int) -> replica.Sample:
    return replica.Sample(NOW - dt.timedelta(seconds=seconds_before), lsn)


def test_a_replica_at_the_primary_s_position_lags_nothing_however_idle_the_primary() -> None:
    # the last commit it replayed was an hour ago: the primary has written nothing since
    lag = replica.lag_of(
        primary_lsn=500, replay_lsn=500, replay_age=3600.0, samples=[], started=NOW
    )
    assert lag == 0.0


def test_a_replica_behind_lags_by_its_best_known_bound() -> None:
    samples = [sample(60, 100), sample(4, 480), sample(2, 520)]
    # it replayed past the sample of 4 s ago: it misses at most the last 4 s
    assert (
        replica.lag_of(
            primary_lsn=600, replay_lsn=500, replay_age=3600.0, samples=samples, started=NOW
        )
        == 4.0
    )
    # its last replayed commit is more recent than any sample it passed
    assert (
        replica.lag_of(
            primary_lsn=600, replay_lsn=500, replay_age=1.5, samples=samples, started=NOW
        )
        == 1.5
    )


def test_a_replica_behind_with_nothing_to_bound_it_is_infinitely_behind() -> None:
    lag = replica.lag_of(primary_lsn=600, replay_lsn=500, replay_age=None, samples=[], started=NOW)
    assert lag == float("inf")


# --- Which database a marked block reads -----------------------------------------------------


def test_without_a_replica_everything_reads_the_primary() -> None:
    with mock.patch.object(replica, "configured", return_value=False):
        assert replica.choose(SOMEONE).source == "default"


@pytest.mark.usefixtures("configured")
def test_a_close_replica_serves_a_user_who_wrote_nothing_recently() -> None:
    with measured(lag=3.0), written(0):
        chosen = replica.choose(SOMEONE)
    assert chosen.on_replica and chosen.as_of == NOW


@pytest.mark.usefixtures("configured")
def test_a_replica_further_behind_than_allowed_is_not_read(settings: Any) -> None:
    settings.REPLICA_MAX_LAG_SECONDS = 30
    with measured(lag=31.0), written(0):
        assert not replica.choose(SOMEONE).on_replica
    with measured(lag=30.0), written(0):
        assert replica.choose(SOMEONE).on_replica


@pytest.mark.usefixtures("configured")
def test_a_replica_that_is_down_is_not_read() -> None:
    with mock.patch.object(replica, "position", return_value=None):
        assert not replica.choose(SOMEONE).on_replica


@pytest.mark.usefixtures("configured")
def test_a_user_who_just_wrote_reads_the_replica_only_once_it_replayed_the_write() -> None:
    with measured(replay_lsn=1000), written(1200):
        with mock.patch.object(replica, "_replayed_now", return_value=1100) as asked:
            assert not replica.choose(SOMEONE).on_replica
        asked.assert_called_once()  # the measurement was older than the write: asked afresh
        with mock.patch.object(replica, "_replayed_now", return_value=1200):
            assert replica.choose(SOMEONE).on_replica
    # a write the measurement has already seen needs no question
    with measured(replay_lsn=1300), written(1200):
        with mock.patch.object(replica, "_replayed_now") as asked:
            assert replica.choose(SOMEONE).on_replica
        asked.assert_not_called()


@pytest.mark.usefixtures("configured")
def test_without_the_cache_a_user_s_writes_are_unknown_so_the_primary_answers() -> None:
    with (
        measured(),
        mock.patch.object(replica.cache, "get", side_effect=ConnectionError),
        mock.patch.object(replica, "_replayed_now", return_value=10**9),
    ):
        assert not replica.choose(SOMEONE).on_replica


def test_a_write_is_remembered_longer_than_the_lag_allowed(settings: Any) -> None:
    settings.REPLICA_MAX_LAG_SECONDS = 30
    assert replica.mark_seconds() > 30 + replica.PROBE_SECONDS


@pytest.mark.postgres
@pytest.mark.usefixtures("configured")
@pytest.mark.django_db
def test_remembering_a_write_keeps_the_primary_s_position_and_never_lowers_it() -> None:
    replica.remember(4242)
    first = replica._written(4242)
    assert 0 < first < replica.UNKNOWN_LSN
    replica.cache.set(replica._mark_key(4242), first + 10**6)
    replica.remember(4242)
    assert replica._written(4242) == first + 10**6
    replica.cache.delete(replica._mark_key(4242))


# --- Views ---------------------------------------------------------------------------------


def test_a_view_whose_replica_fails_runs_once_more_on_the_primary() -> None:
    seen: list[str] = []

    @replica.reads_view
    def view(request: Any) -> HttpResponse:
        seen.append(replica.current().source)
        if replica.current().on_replica:
            raise OperationalError("server closed the connection unexpectedly")
        return HttpResponse("ok")

    request = RequestFactory().get("/reports/")
    with mock.patch.object(replica, "choose", return_value=replica.Freshness("replica", NOW)):
        response = view(request)
    assert response.status_code == 200
    assert seen == ["replica", "default"]


def test_a_view_failing_on_the_primary_is_not_run_again() -> None:
    calls = []

    @replica.reads_view
    def view(request: Any) -> HttpResponse:
        calls.append(1)
        raise OperationalError("the primary is gone")

    with (
        mock.patch.object(replica, "choose", side_effect=lambda user: replica.live()),
        pytest.raises(OperationalError),
    ):
        view(RequestFactory().get("/reports/"))
    assert len(calls) == 1


def test_freshness_of_a_kept_result_is_when_it_was_computed() -> None:
    fresh = replica.Freshness("replica", NOW)
    earlier = NOW - dt.timedelta(minutes=5)
    assert fresh.older(earlier) == replica.Freshness("replica", earlier)
    assert fresh.older(NOW + dt.timedelta(seconds=1)) is fresh
    response = replica.stamp(HttpResponse(), fresh)
    assert response["X-Data-Source"] == "replica"
    assert response["X-Data-As-Of"] == "2026-11-30T12:00:00+08:00"

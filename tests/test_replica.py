"""Reads on a real PostgreSQL streaming replica (`make test-replica`, scripts/pg-replica.sh):
the dashboards read the replica and nothing of theirs from the primary; a user who just wrote
reads the primary; a lagging or unreachable replica sends the reads to the primary, and the
page says so.

The data must be committed to reach the replica (a test's rolled-back transaction never
leaves the primary), so these tests are transactional and wait for the replica to replay the
primary's position before they look."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from arrears import jobs, replica
from arrears.models import JobState, Role
from complaints.models import Complaint
from tests.factories import CountyFactory, DepartmentFactory, UserFactory
from tests.reporting.conftest import at, complaint

# `replica`, not `postgres`: skipped (not failed) by the CI's main run, which has no replica;
# `make test-replica` requires them (ARREARS_REQUIRE_REPLICA, tests/conftest.py).
pytestmark = [
    pytest.mark.replica,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]

ROWS = "/reports/rows/?subset=received&period=2026-10"


def _primary_lsn() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return str(cursor.fetchone()[0])


def replayed() -> None:
    """Wait until the replica has replayed everything the primary has written so far (a
    streaming replica on the same machine takes milliseconds; the bound is generous)."""
    target = _primary_lsn()
    with connections["replica"].cursor() as cursor:
        for _ in range(400):
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
            time.sleep(0.025)
    raise AssertionError(f"the replica did not replay {target}")


@pytest.fixture(autouse=True)
def _measured_afresh() -> Iterator[None]:
    # Each test measures the replica itself, and keeps that measurement for the whole test
    # (a long probe interval), so what it asserts does not depend on how fast the machine is.
    replica.forget()
    with override_settings(REPLICA_PROBE_SECONDS=3600):
        yield
    replica.forget()


@pytest.fixture
def paused(city: dict[str, Any]) -> Iterator[None]:
    """The city on the replica, which then stops replaying (it still receives): it falls
    behind on purpose."""
    replayed()
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
        # A request to pause: replay stops at its next record, so wait until it has.
        for _ in range(400):
            cursor.execute("SELECT pg_get_wal_replay_pause_state()")
            if cursor.fetchone()[0] == "paused":
                break
            time.sleep(0.025)
        else:
            raise AssertionError("the replica did not pause")
    try:
        yield
    finally:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")


@pytest.fixture
def city(calendar_2026: Any) -> dict[str, Any]:
    a = CountyFactory.create(code="369902", name="东湖区", short_name="东湖")
    hrss = DepartmentFactory.create(county=a, name="东湖区人社局")
    waiting = complaint(None, None, at(2026, 10, 12), "hotline_12345")
    complaint(a, hrss, at(2026, 10, 13), "hotline_12345")
    return {
        "a": a,
        "hrss": hrss,
        "waiting": waiting,
        "office": UserFactory.create(city_office=True),
        "leader": UserFactory.create(role=Role.CITY_LEADER),
    }


def client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _rows_in_county(response: Any) -> int:
    match = re.search(r'data-testid="rows-count">共 (\d+) 条', response.content.decode())
    assert match, re.findall(r"invalid-feedback[^>]*>[^<]*", response.content.decode())
    return int(match.group(1))


def _tables(queries: list[dict[str, str]]) -> set[str]:
    # Quoted by the ORM, bare in the dashboards' facts statements (reporting/facts.py).
    return {t for q in queries for t in re.findall(r'(?:FROM|JOIN) "?(\w+)"?', q["sql"])}


def test_a_dashboard_request_sends_no_query_of_its_own_to_the_primary(
    city: dict[str, Any],
) -> None:
    # given: the rows on the replica, and this process's measurement of it taken
    office = client(city["office"])
    replayed()
    assert replica.position() is not None
    # when
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as standby,
    ):
        response = office.get("/reports/?period=2026-10")
    # then: every figure came from the replica; the primary saw only what authenticates the
    # request (the session and the signed-in user; once a minute the session's activity)
    assert response.status_code == 200
    assert response["X-Data-Source"] == "replica"
    assert "（只读副本）" in response.content.decode()
    # (the figures of complaints and cases from the dashboards' facts, overdue cases too, with
    # the probes of today's clocks)
    assert {"reporting_fact", "arrears_deadline"} <= _tables(standby.captured_queries)
    on_primary = _tables(primary.captured_queries)
    assert on_primary <= {"django_session", "arrears_user", "arrears_usersession"}, on_primary
    assert len(primary.captured_queries) <= 3 < len(standby.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/reports/print/?period=2026-10",
        ROWS,
        "/reports/rows.csv?subset=received&period=2026-10",
        "/reports/rows.xlsx?subset=received&period=2026-10",
        "/api/v1/reports/dashboard/?period=2026-10",
    ],
)
def test_every_reporting_page_export_and_the_api_read_the_replica(
    city: dict[str, Any], url: str
) -> None:
    office = client(city["office"])
    replayed()
    assert replica.position() is not None
    with CaptureQueriesContext(connections["replica"]) as standby:
        response = office.get(url)
        # a streamed CSV reads its rows while it is sent, after the view returned
        content = b"".join(getattr(response, "streaming_content", []))
    assert response.status_code == 200
    assert response["X-Data-Source"] == "replica"
    dashboard = url.startswith(("/reports/print", "/api/v1/reports/"))
    # Dashboards count complaints from their facts; lists and exports read the rows.
    read = "reporting_fact" if dashboard else "complaints_complaint"
    assert read in _tables(standby.captured_queries)
    if url.startswith("/reports/rows.csv"):
        assert content.decode("utf-8-sig").count("\n") == 3  # the header and two rows
    if url.startswith(("/reports/print", "/reports/rows/")):
        assert "（只读副本）" in response.content.decode()


def test_a_read_right_after_a_write_by_the_same_user_sees_the_write(
    city: dict[str, Any], paused: None
) -> None:
    # given: the county's list on the replica, which has stopped replaying
    office, leader = client(city["office"]), client(city["leader"])
    county = f"{ROWS}&county={city['a'].pk}"
    replayed_before = office.get(county)
    assert replayed_before["X-Data-Source"] == "replica"
    assert _rows_in_county(replayed_before) == 1
    # when: the city office dispatches the waiting complaint to the county (a write)
    response = office.post(
        f"/complaints/{city['waiting'].tracking_no}/dispatch/", {"department": city["hrss"].pk}
    )
    assert response.status_code in (200, 302)
    assert Complaint.objects.get(pk=city["waiting"].pk).county == city["a"]
    # then: the office's next read comes from the primary and counts the dispatched complaint
    after = office.get(county)
    assert after["X-Data-Source"] == "primary"
    assert "（主库，实时）" in after.content.decode()
    assert _rows_in_county(after) == 2
    # and someone who did not write still reads the (paused) replica, without it
    other = leader.get(county)
    assert other["X-Data-Source"] == "replica"
    assert _rows_in_county(other) == 1


def test_a_replica_too_far_behind_sends_the_reads_to_the_primary(
    city: dict[str, Any], paused: None
) -> None:
    # given: a write on the primary (by someone else) that the paused replica does not replay
    leader = client(city["leader"])
    county = f"{ROWS}&county={city['a'].pk}"
    Complaint.objects.filter(pk=city["waiting"].pk).update(
        county=city["a"], department=city["hrss"]
    )
    # when it is behind by less than allowed, the replica answers, without the write
    behind = leader.get(county)
    assert behind["X-Data-Source"] == "replica"
    assert _rows_in_county(behind) == 1
    # when it is further behind than allowed (here: any lag at all)
    with override_settings(REPLICA_MAX_LAG_SECONDS=0):
        replica.forget()
        response = leader.get(county)
        api = leader.get("/api/v1/reports/dashboard/?period=2026-10")
    # then: the primary answers, and the page says so
    assert response["X-Data-Source"] == "primary"
    assert "（主库，实时）" in response.content.decode()
    assert _rows_in_county(response) == 2
    assert api.status_code == 200 and api["X-Data-Source"] == "primary"


@override_settings(REPLICA_MAX_LAG_SECONDS=0)
def test_a_replica_that_has_caught_up_is_not_behind_at_all(city: dict[str, Any]) -> None:
    # given: a write, replayed (the positions decide: however old the last replayed commit
    # grows while the primary is idle, a replica at the primary's position lags 0 s;
    # tests/test_replica_router.py has that arithmetic)
    leader = client(city["leader"])
    Complaint.objects.filter(pk=city["waiting"].pk).update(
        county=city["a"], department=city["hrss"]
    )
    replayed()
    replica.forget()
    measured = replica.position()
    assert measured is not None and measured.lag == 0.0
    # when
    response = leader.get(f"{ROWS}&county={city['a'].pk}")
    # then: the positions match, so the replica is not behind at all, even allowed no lag
    assert response["X-Data-Source"] == "replica"
    assert _rows_in_county(response) == 2


@pytest.fixture
def replica_unreachable() -> Iterator[None]:
    """The replica's address now points at a port where nothing listens."""
    standby = connections["replica"]
    standby.close()
    port = standby.settings_dict["PORT"]
    standby.settings_dict["PORT"] = "1"
    try:
        yield
    finally:
        standby.close()
        standby.settings_dict["PORT"] = port


def test_a_replica_that_is_down_sends_the_reads_to_the_primary(
    city: dict[str, Any], replica_unreachable: None
) -> None:
    # when the replica is gone before this process measured it
    office = client(city["office"])
    page = office.get("/reports/?period=2026-10")
    api = office.get("/api/v1/reports/dashboard/?period=2026-10")
    rows = office.get(ROWS)
    # then every page answers from the primary, and says so
    for response in (page, api, rows):
        assert response.status_code == 200
        assert response["X-Data-Source"] == "primary"
    assert "（主库，实时）" in page.content.decode()


def test_a_replica_that_fails_in_the_middle_of_a_page_is_retried_on_the_primary(
    city: dict[str, Any], replica_unreachable: None
) -> None:
    # given: this process measured the replica as healthy just before it went away
    replica._position = replica.Position(
        measured=time.monotonic(), replay_lsn=replica.UNKNOWN_LSN, lag=0.0, as_of=timezone.now()
    )
    assert replica.choose(city["office"]).on_replica
    # when
    response = client(city["office"]).get("/reports/?period=2026-10")
    # then: the page was computed again on the primary, no error
    assert response.status_code == 200
    assert response["X-Data-Source"] == "primary"
    assert replica.position() is None  # and the replica is left alone for a while


def test_an_export_job_reads_the_replica(city: dict[str, Any]) -> None:
    # given: the rows on the replica
    replayed()
    # when: the owner's export runs (here at once, as a worker would: outside any request)
    with CaptureQueriesContext(connections["replica"]) as standby:
        job = jobs.job_start(
            owner=city["office"],
            kind="reporting.rows",
            params={"query": "subset=received&period=2026-10", "fmt": "csv"},
            summary="收到的投诉",
        )
    # then: its rows came from the replica, its bookkeeping stayed on the primary
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.error
    assert job.done == 2
    assert "complaints_complaint" in _tables(standby.captured_queries)
    assert "arrears_job" not in _tables(standby.captured_queries)


def test_a_replica_that_is_no_standby_is_not_read(city: dict[str, Any]) -> None:
    # given: the replica's address points at a server that is not in recovery (a promoted
    # standby, or the primary by mistake): its data may diverge from the primary's
    standby = connections["replica"]
    standby.close()
    port = standby.settings_dict["PORT"]
    standby.settings_dict["PORT"] = connections["default"].settings_dict["PORT"]
    try:
        response = client(city["office"]).get("/reports/?period=2026-10")
    finally:
        standby.close()
        standby.settings_dict["PORT"] = port
    # then
    assert response.status_code == 200
    assert response["X-Data-Source"] == "primary"

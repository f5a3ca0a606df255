"""Shared fixtures. In CI (ARREARS_REQUIRE_SERVICES=1) the run fails if it silently fell back
to SQLite or the embedded broker, or if PostgreSQL-only or browser tests were skipped."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.test.client import RequestFactory
from django.utils import translation

from arrears import config, services
from arrears.models import DepartmentKind, Role
from tests import openapi
from tests.factories import CityFactory, CountyFactory, DepartmentFactory, UserFactory
from tests.openapi import check_response

if TYPE_CHECKING:
    # Only for the fixtures' types: the models cannot be imported before Django is set up,
    # which pytest-django does after loading this file.
    from arrears.models import City, County, Department, User

REQUIRE_SERVICES = os.environ.get("ARREARS_REQUIRE_SERVICES") == "1"
# `make test-replica` sets it: the run fails if there is no replica or a replica test skipped.
REQUIRE_REPLICA = os.environ.get("ARREARS_REQUIRE_REPLICA") == "1"

# ARREARS_TEST_CLOCK=2026-12-31T23:59:00+08:00 runs the session with the clock moved there
# (`make test-dates`): deadlines, calendars and periods must hold on the last minute of a year
# and the first of the next, not only on the day CI happens to run. The clock ticks on, so
# timeouts and orderings by time behave; every test starts again at the moment given, or the
# later tests of a long session would all run well into the next day.
# Several moments, separated by spaces, run side by side under pytest-xdist with one worker
# per moment and `--dist each` (`make test-dates`): every worker runs every selected test, on
# its own database, the first worker at the first moment, the second at the second.
TEST_CLOCKS = os.environ.get("ARREARS_TEST_CLOCK", "").split()
_moment: datetime.datetime | None = None  # this process's, set in pytest_configure
_clock: Any = None


def _parse_clock(text: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError as exc:
        raise pytest.UsageError(f"ARREARS_TEST_CLOCK: {text!r}: {exc}") from exc
    if moment.tzinfo is None:
        # A bare time would be read in the machine's zone (UTC in CI), not the city's.
        raise pytest.UsageError(f"ARREARS_TEST_CLOCK: {text!r} needs a UTC offset (+08:00)")
    return moment


def _choose_clock(config: pytest.Config) -> datetime.datetime | None:
    """The moment this process's tests run at: None for the real clock, and in the xdist
    controller of several moments (it runs no test)."""
    moments = [_parse_clock(text) for text in TEST_CLOCKS]
    if len(moments) <= 1:
        return moments[0] if moments else None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker:
        number = int(worker.removeprefix("gw"))
        if number >= len(moments):
            raise pytest.UsageError(f"ARREARS_TEST_CLOCK has no moment for xdist worker {worker}")
        return moments[number]
    if config.getoption("dist", "no") != "each" or config.getoption("numprocesses", None) != len(
        moments
    ):
        raise pytest.UsageError(
            f"ARREARS_TEST_CLOCK has {len(moments)} moments: run them with "
            f"-n {len(moments)} --dist each (one xdist worker per moment)"
        )
    return None


def pytest_report_header(config: pytest.Config) -> str:
    if not TEST_CLOCKS:
        return "clock: real (set ARREARS_TEST_CLOCK to move it)"
    if len(TEST_CLOCKS) == 1:
        return f"clock: moved to {TEST_CLOCKS[0]} (ARREARS_TEST_CLOCK), ticking"
    each = ", ".join(f"gw{number} to {text}" for number, text in enumerate(TEST_CLOCKS))
    return f"clock: moved, one xdist worker per moment: {each} (ARREARS_TEST_CLOCK), ticking"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failure under a moved clock says which moment it failed at (with several moments the
    same test runs once per moment)."""
    report = yield
    if _moment is not None and report.failed:
        report.sections.append(("clock", f"moved to {_moment.isoformat()} (ARREARS_TEST_CLOCK)"))
    return report


def pytest_unconfigure(config: pytest.Config) -> None:
    global _clock
    if _clock is not None:
        _clock.stop()
        _clock = None


@pytest.fixture(autouse=True)
def _moved_clock() -> Any:
    if _moment is None:
        yield
        return
    with time_machine.travel(_moment, tick=True):
        yield


def pytest_configure(config: pytest.Config) -> None:
    global _clock, _moment
    _moment = _choose_clock(config)
    if _moment is not None and _clock is None:
        # For the whole session too: collection, the test database's creation and
        # session fixtures see the moved clock.
        _clock = time_machine.travel(_moment, tick=True)
        _clock.start()
    if REQUIRE_SERVICES:
        engine = settings.DATABASES["default"]["ENGINE"]
        broker = settings.CELERY_BROKER_URL
        problems = []
        if "postgresql" not in engine:
            problems.append(f"database is {engine}, not PostgreSQL (set DATABASE_URL)")
        if not broker.startswith("redis://"):
            problems.append(f"broker is {broker}, not Redis (set REDIS_URL)")
        if problems:
            raise pytest.UsageError("ARREARS_REQUIRE_SERVICES=1 but " + "; ".join(problems))
    if REQUIRE_REPLICA and "replica" not in settings.DATABASES:
        raise pytest.UsageError("ARREARS_REQUIRE_REPLICA=1 but REPLICA_DATABASE_URL is not set")


_required_skips: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Under pytest-xdist this runs in each worker and again in the controller, for the reports
    # the workers send it (with their keywords): the controller's list is the one that counts,
    # a worker's exit status does not make the run's.
    if REQUIRE_SERVICES and report.skipped:
        keywords = set(report.keywords)
        if {"postgres", "browser", "celery_worker"} & keywords:
            _required_skips.append(report.nodeid)
    if REQUIRE_REPLICA and report.skipped and "replica" in report.keywords:
        _required_skips.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        # An xdist worker: its count of validated API responses goes to the controller
        # (pytest_testnodedown), which prints the total.
        workeroutput["openapi_validated"] = openapi.validated
        return
    if _required_skips:
        print("\nRequired tests were skipped in CI:\n  " + "\n  ".join(_required_skips))
        session.exitstatus = 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL")
    no_replica = pytest.mark.skip(reason="needs a streaming replica: make test-replica")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)
        if "replica" in item.keywords and "replica" not in settings.DATABASES:
            item.add_marker(no_replica)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """pytest-django's test databases, then the `replica` alias pointed at the replica's copy
    of the test database. Django left it alone (TEST MIRROR, config/settings/base.py): a
    replica is read-only and receives the primary's CREATE DATABASE, migrations and every
    committed row by streaming replication."""
    if "replica" not in settings.DATABASES:
        yield
        return
    replica = connections["replica"]
    as_set = replica.settings_dict
    replica.close()
    replica.settings_dict = {
        **settings.DATABASES["replica"],
        "NAME": connections["default"].settings_dict["NAME"],
    }
    yield
    replica.close()
    replica.settings_dict = as_set


@pytest.fixture
def calendar_2026(db: Any) -> None:
    """The official 2025–2026 schedules from the library, as the city would have them."""

    for year in (2025, 2026):
        days, status, source = services.calendar_schedule_from_library(year)
        services.calendar_year_load(year=year, days=days, status=status, source=source)


@dataclass(frozen=True)
class TwoCounties:
    """County A and county B, each with an HRSS and a housing department, and their staff."""

    a: County
    b: County
    a_hrss: Department
    a_housing: Department
    b_hrss: Department
    b_housing: Department
    city_housing: Department
    official_a: User
    official_b: User
    inspector_a: User
    city_office: User
    city_housing_official: User


@pytest.fixture
def two_counties(db: Any) -> TwoCounties:
    a = CountyFactory.create(code="369902", name="东湖区", short_name="东湖")
    b = CountyFactory.create(code="369903", name="西江区", short_name="西江")
    return _two_counties(a, b)


@dataclass(frozen=True)
class TwoCities(TwoCounties):
    """TwoCounties with county B in another city (云岭市): `city_office` is city A's office,
    `city_office_b` city B's; the province office sees both."""

    city_a: City
    city_b: City
    city_office_b: User
    city_leader_a: User
    province_office: User


@pytest.fixture
def two_cities(db: Any) -> TwoCities:
    city_a = CityFactory.create()
    city_b = CityFactory.create(code="369800", name="云岭市", short_name="云岭")
    a = CountyFactory.create(code="369902", name="东湖区", short_name="东湖", city=city_a)
    b = CountyFactory.create(code="369803", name="城关区", short_name="城关", city=city_b)
    d = _two_counties(a, b)
    return TwoCities(
        **{f.name: getattr(d, f.name) for f in fields(TwoCounties)},
        city_a=city_a,
        city_b=city_b,
        city_office_b=UserFactory.create(role=Role.CITY_OFFICE, city=city_b, is_staff=True),
        city_leader_a=UserFactory.create(role=Role.CITY_LEADER, city=city_a),
        province_office=UserFactory.create(role=Role.PROVINCE_OFFICE, is_staff=True),
    )


def _two_counties(a: County, b: County) -> TwoCounties:
    a_hrss = DepartmentFactory.create(county=a, kind=DepartmentKind.HRSS)
    a_housing = DepartmentFactory.create(county=a, kind=DepartmentKind.HOUSING)
    b_hrss = DepartmentFactory.create(county=b, kind=DepartmentKind.HRSS)
    b_housing = DepartmentFactory.create(county=b, kind=DepartmentKind.HOUSING)
    city_housing = DepartmentFactory.create(county=None, city=a.city, kind=DepartmentKind.HOUSING)
    return TwoCounties(
        a=a,
        b=b,
        a_hrss=a_hrss,
        a_housing=a_housing,
        b_hrss=b_hrss,
        b_housing=b_housing,
        city_housing=city_housing,
        official_a=UserFactory.create(role=Role.COUNTY_OFFICIAL, county=a),
        official_b=UserFactory.create(role=Role.COUNTY_OFFICIAL, county=b),
        inspector_a=UserFactory.create(role=Role.INSPECTOR, county=a, department=a_hrss),
        city_office=UserFactory.create(city_office=True, city=a.city),
        city_housing_official=UserFactory.create(
            role=Role.DEPARTMENT_OFFICIAL, department=city_housing
        ),
    )


@pytest.fixture(scope="session", autouse=True)
def _end_stray_connections(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Live-server request threads can keep a connection past their last request (HTTP
    keep-alive from the browser); end them so the test database can be dropped."""
    yield

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        connection.close()


@pytest.fixture(autouse=True)
def _fresh_configuration() -> Any:
    """Configuration values are cached per process for a few seconds; a test must not see
    the previous test's (rolled back) overrides."""

    config.forget()
    # Within one test the cache does not run out: on a slow (loaded) machine a test lasting
    # longer than CACHE_SECONDS would otherwise read a setting twice and fail its query
    # count. Every change goes through config_set, which forgets the cache anyway.
    saved, config.CACHE_SECONDS = config.CACHE_SECONDS, 3600.0
    yield
    config.CACHE_SECONDS = saved
    config.forget()


@pytest.fixture(autouse=True)
def _api_responses_match_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every /api/v1/ response a test receives through the test client is checked against
    docs/openapi.yaml (tests/openapi.py). DRF's APIClient is a Django Client, and both build
    every request (followed redirects included) in `generic`, which still has the path as
    sent: the request's own path is decoded, and an encoded slash inside a parameter
    (`/referrals/GD%2F1/`) would no longer match its template."""

    # Typed as the factory's (it returns a request); on a Client it returns the response.
    build: Any = RequestFactory.generic

    def generic(self: Client, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        response = build(self, method, path, *args, **kwargs)
        check_response(response, urlsplit(str(path)).path)
        return response

    monkeypatch.setattr(Client, "generic", generic, raising=False)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """An xdist worker finished: add its count of validated API responses to the total."""
    openapi.validated += getattr(node, "workeroutput", {}).get("openapi_validated", 0)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if openapi.validated:
        terminalreporter.write_line(
            f"{openapi.validated} API responses validated against docs/openapi.yaml"
        )


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Each test starts in the site's default language (Chinese). A request through the test
    client activates the language of its cookie or user and Django leaves it active in the
    thread, so without this a test that browsed in English left the next one reading English
    messages."""

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)

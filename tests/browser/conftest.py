"""Shared browser fixtures: Debian's Chromium driven by Playwright, and the demo city."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# The seeded demo city is copied once per session (per xdist worker) into temporary tables of
# this name and a number, and copied back for each later browser test (PostgreSQL, demo_city).
# Temporary: only this connection sees them, pg_dump does not (tests/complaints/
# test_no_plain_identifiers.py dumps the database), and they go with the connection.
SNAPSHOT_PREFIX = "demo_city_snapshot_"


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread, which makes Django refuse ORM
    # calls from the test body; the live server answers from its own thread, so it is safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


class _Snapshot:
    """The demo city as seed_demo left it, in temporary tables of the test's connection."""

    # The tables `flush` empties after each transactional test, with their writable columns.
    tables: dict[str, list[str]] | None = None
    # When (by the test's clock) the seeding that the copy holds had finished.
    seeded_until: datetime.datetime | None = None

    @classmethod
    def exists(cls) -> bool:
        """Whether this connection still has the copy (a closed connection took it along)."""
        if cls.tables is None:
            return False
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [f"pg_temp.{SNAPSHOT_PREFIX}0"])
            return cursor.fetchone()[0] is not None

    @classmethod
    def take(cls) -> None:
        names = connection.introspection.django_table_names(only_existing=True)
        tables: dict[str, list[str]] = {}
        with connection.cursor() as cursor:
            for number, name in enumerate(names):
                # Generated columns cannot be written; they come back by themselves.
                cursor.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = %s "
                    "AND is_generated = 'NEVER' ORDER BY ordinal_position",
                    [name],
                )
                columns = [connection.ops.quote_name(c) for (c,) in cursor.fetchall()]
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{SNAPSHOT_PREFIX}{number}")
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {SNAPSHOT_PREFIX}{number} AS "  # noqa: S608 - ours
                    f"SELECT {', '.join(columns)} FROM {connection.ops.quote_name(name)}"
                )
                tables[name] = columns
        cls.tables = tables
        cls.seeded_until = timezone.now()

    @classmethod
    def restore(cls) -> None:
        assert cls.tables is not None
        quoted = [connection.ops.quote_name(name) for name in cls.tables]
        # One transaction, triggers off (foreign-key checks included: the copy is consistent),
        # so the order in which the tables are filled does not matter.
        with transaction.atomic(), connection.cursor() as cursor:
            # The copy holds the dashboards' facts as seeding left them: the triggers that
            # keep them (reporting/facts.py) must not count the copied rows a second time.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(f"TRUNCATE {', '.join(quoted)} CASCADE")
            copies = zip(quoted, cls.tables.values(), strict=True)
            for number, (table, columns) in enumerate(copies):
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - as above
                    f"SELECT {', '.join(columns)} FROM pg_temp.{SNAPSHOT_PREFIX}{number}"
                )
            # The flush after the previous test did not reset the sequences and the copied
            # rows were numbered by them, so new rows cannot collide; no reset needed.
        # The content types are the copy's again (the flush had made new ones).
        ContentType.objects.clear_cache()


@pytest.fixture
def demo_city(transactional_db: None, settings: Any) -> Iterator[None]:
    """The demo city of `make run`, committed (the live server reads it from another thread).

    Seeding takes seconds of work for each test, and the flush after a transactional test
    empties every table: on PostgreSQL the first browser test of the session seeds and copies
    the tables into temporary ones, the later ones copy them back, which gives each
    test the same rows seed_demo would have written."""

    # As in `make run`: demo users enrolled with the published secret are verified at login,
    # so the screens' tests sign in with the password alone. The live server runs in this
    # process and reads the same settings. tests/browser/test_two_factor.py turns it off.
    settings.ARREARS_DEMO = True
    if connection.vendor != "postgresql":
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        yield
        return
    if not _Snapshot.exists():
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        _Snapshot.take()
        yield
        return
    _Snapshot.restore()
    assert _Snapshot.seeded_until is not None
    if timezone.now() >= _Snapshot.seeded_until:
        yield
        return
    # The clock was moved back to the same moment for this test (ARREARS_TEST_CLOCK): had it
    # seeded, its rows would be older than its start. Start it where the seeding had ended.
    with time_machine.travel(_Snapshot.seeded_until, tick=True):
        yield

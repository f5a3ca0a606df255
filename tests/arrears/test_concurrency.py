"""PostgreSQL behaviour: two workers acting on the same rows at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import F

from arrears import deadlines
from arrears.models import AuditEvent, County, Deadline, DeadlineState
from tests.factories import CountyFactory
from tests.races import run_at_once, succeeded

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_closes_record_one_outcome() -> None:
    deadline = deadlines.deadline_open(
        subject=CountyFactory.create(), kind="k", started_on=dt.date(2026, 11, 2), working_days=5
    )

    def close() -> bool:
        return deadlines.deadline_close(
            deadline=Deadline.objects.get(pk=deadline.pk),
            at=dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC),
        )

    assert sorted(succeeded(run_at_once(close, 4))) == [False, False, False, True]
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.MET
    closes = AuditEvent.objects.filter(
        object_id=str(deadline.pk), action="update", changes__has_key="state"
    )
    assert closes.count() == 1


def test_concurrent_bulk_updates_audit_each_change_once() -> None:
    county = CountyFactory.create(sort_order=0)

    def bump() -> int:
        return County.objects.filter(pk=county.pk).update(sort_order=F("sort_order") + 1)

    assert succeeded(run_at_once(bump, 3)) == [1, 1, 1]
    county.refresh_from_db()
    assert county.sort_order == 3
    steps = sorted(
        tuple(e.changes["sort_order"])
        for e in AuditEvent.objects.filter(object_id=str(county.pk), action="update")
    )
    # rows are locked before they are read, so each recorded step starts where the last ended
    assert steps == [(0, 1), (1, 2), (2, 3)]
    assert connection.vendor == "postgresql"

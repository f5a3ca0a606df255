"""Migrations of issue 16: clocks reminded under the single reminder are past their last step
(nothing is sent twice), and a stored case.pause_on_arbitration keeps applying under the
closing clock's new rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from arrears.models import City, ConfigValue, County, Deadline

BEFORE = [("arrears", "0020_deadline_calendar_hours"), ("complaints", "0022_work_order_types")]
AFTER = [("arrears", "0021_deadline_reminder_steps"), ("complaints", "0023_pause_rules_per_kind")]
TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.django_db(transaction=True)
def test_reminded_clocks_are_past_their_steps_and_the_pause_rule_is_renamed() -> None:
    # given the schema before, a clock reminded and one not yet, and a city's stored rule
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps: Any = executor.loader.project_state(BEFORE).apps
    OldDeadline = apps.get_model("arrears", "Deadline")
    city = City.objects.create(code="369900", name="江城市")
    county = County.objects.create(city=city, code="369999", name="测试区", short_name="测试")
    common = {
        "content_type_id": ContentType.objects.get_for_model(County).pk,
        "object_id": county.pk,
        "started_on": dt.date(2026, 9, 21),
        "working_days": 10,
        "due_date": dt.date(2026, 10, 12),
        "due_at": dt.datetime(2026, 10, 12, 17, 30, tzinfo=TZ),
        "remind_at": dt.datetime(2026, 10, 10, tzinfo=TZ),
        "state": "open",
    }
    reminded = OldDeadline.objects.create(
        **common, kind="a", reminded_at=dt.datetime(2026, 10, 10, 9, tzinfo=TZ)
    )
    waiting = OldDeadline.objects.create(**common, kind="b")
    ConfigValue.objects.create(key="case.pause_on_arbitration", value="false", city=city)
    try:
        # when migrated
        executor.loader.build_graph()
        executor.migrate(AFTER)
        # then the reminded clock has nothing left to send, the other its step still
        rows = {
            d.pk: (d.reminded_step, d.remind_at)
            for d in Deadline.objects.filter(pk__in=[reminded.pk, waiting.pk])
        }
        assert rows[reminded.pk] == (0, None)
        assert rows[waiting.pk] == (None, dt.datetime(2026, 10, 10, tzinfo=TZ))
        assert list(ConfigValue.objects.values_list("key", "value")) == [
            ("deadline.pause.case.close.arbitration", "false")
        ]
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

"""Migration 0010 repairs the cases that recorded more than was owed before 0011's check
constraints, with a revision on each one's timeline, and puts complaints in their case's
status."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from arrears.models import City, County, Department, User
from complaints.models import Case as LiveCase
from complaints.models import Complaint as LiveComplaint

BEFORE = [("complaints", "0009_money_revision_status_form_token")]
AFTER = [("complaints", "0011_recovered_within_owed_constraints")]


@pytest.mark.django_db(transaction=True)
def test_the_repair_raises_owed_to_what_was_paid_and_says_so() -> None:
    # given: the schema before the constraints, with a case paid ¥999,999 on ¥156,000 owed
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps: Any = executor.loader.project_state(BEFORE).apps
    # The kernel's tables are not rolled back: its current models write them.

    Case = apps.get_model("complaints", "Case")
    Complaint = apps.get_model("complaints", "Complaint")
    city = City.objects.create(code="369900", name="江城市")
    county = County.objects.create(city=city, code="369999", name="测试区", short_name="测试")
    department = Department.objects.create(
        county=county, level="county", kind="hrss", name="测试区人社局"
    )
    owner = User.objects.create(username="migration-owner")
    unit = {"county_id": county.pk, "department_id": department.pk, "owner_id": owner.pk}
    wrong = Case.objects.create(
        **unit,
        employer_name="某公司",
        state="closed",
        outcome="paid_in_full",
        workers_owed=10,
        amount_owed=Decimal("156000.00"),
        recovered_amount=Decimal("999999.00"),
        workers_paid=12,
    )
    right = Case.objects.create(
        **unit,
        employer_name="另一公司",
        state="accepted",
        workers_owed=3,
        amount_owed=Decimal("9000.00"),
        recovered_amount=Decimal("9000.00"),
        workers_paid=3,
    )
    common = {
        "channel": "web_form",
        "received_at": "2026-10-01T10:00:00+08:00",
        "complainant_name": "王五",
        "complainant_phone": "13912345678",
        "employer_name": "某公司",
        "facts": "欠薪",
        "status": "signed",
    }
    Complaint.objects.create(
        tracking_no="AAAAA22222", case=wrong, workers_owed=10, amount_owed=156000, **common
    )
    Complaint.objects.create(
        tracking_no="BBBBB33333", case=right, workers_owed=3, amount_owed=9000, **common
    )

    # when (and back to the latest schema, whatever comes after, for the tests that follow)
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    # then

    repaired = LiveCase.objects.get(pk=wrong.pk)
    assert (repaired.amount_owed, repaired.workers_owed) == (Decimal("999999.00"), 12)
    assert (repaired.owed_adjustment, repaired.workers_adjustment) == (Decimal("843999.00"), 2)
    entry = repaired.entries.get(kind="revise_owed")
    assert entry.data["amount_owed"] == ["156000.00", "999999.00"]
    assert "156,000.00 → 999,999.00" in entry.text and "数据修复" in entry.text
    untouched = LiveCase.objects.get(pk=right.pk)
    assert untouched.amount_owed == Decimal("9000.00") and not untouched.entries.exists()
    assert dict(LiveComplaint.objects.values_list("tracking_no", "status")) == {
        "AAAAA22222": "closed",
        "BBBBB33333": "accepted",
    }
